"""What a target cannot express: restrictions declared in its handshake.

A real kernel may lack one operation of a group it implements, create ports of
one fixed capacity, or hold rights masks that cannot carry some bit. Declared
as a group, such a gap would make the target diverge on the first step that
touches it, and the rest of the group would be examined less. So a target may
declare **restrictions** (the ``restricts`` of its ``hello``; in process, a
class attribute ``restricts``; ``conform --restricts JSON`` overrides both), a
list of objects, each on one operation of the registry
(``vocabulary.operations.OPS_BY_NAME``) or one of its fields:

- ``{"op": "ChannelSendBatch"}``: the target lacks the operation;
- ``{"op": "CreatePort", "field": "capacity", "in": [2]}`` or
  ``{"op": "CreatePort", "field": "capacity", "min": 1, "max": 2}``: an
  integer field limited to some values or a range;
- ``{"op": "Derive", "field": "rights", "without": ["MANAGE"]}``: a rights
  field whose masks cannot hold some bits (``vocabulary.rights.Rights``).

An optional integer field (``Send``'s ``timeout``: ``int | None``) may be
restricted too; its ``None`` lies outside any ``in`` list or range
(``{"op": "Send", "field": "timeout", "in": [0]}``: sends that never wait).

The suite stays inside them: an operation about to be sent that one
restriction excludes is **not sent and not applied to the spec** (the step is
simply absent on both sides) and counted under that restriction (``label``);
everything else runs as before, so one missing feature hides nothing else. A
field value of the wrong type (ERR-TOTAL) is never excluded: it is not a
value the target could not express but one it must refuse.

A bad declaration (an unknown operation, field or right, a field of the wrong
type for the restriction, or one that excludes every value) is a
``RestrictsError`` naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from veridian_ipc.vocabulary.operations import OPS_BY_NAME, Operation
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.rights import Rights

__all__ = [
    "NO_RESTRICTIONS",
    "Restriction",
    "Restrictions",
    "RestrictsError",
    "parse_restricts",
    "restrictions_of",
    "restricts_of",
]

_KEYS = frozenset({"op", "field", "in", "min", "max", "without"})


class RestrictsError(ValueError):
    """A ``restricts`` declaration that names no real operation, field or
    right, or that excludes every value."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Restriction:
    """One restriction: ``op`` alone (the operation is never sent), or a field
    of it limited to ``values``, to ``low``..``high``, or to masks without the
    bits of ``without``."""

    op: str
    field: str | None = None
    values: frozenset[int] | None = None
    low: int | None = None
    high: int | None = None
    without: int = 0

    @property
    def whole(self) -> bool:
        """The whole operation is excluded."""
        return self.field is None

    @property
    def label(self) -> str:
        """How the report names it: ``CreatePort.capacity in [2]``."""
        if self.field is None:
            return self.op
        parts = []
        if self.values is not None:
            parts.append(f"in {sorted(self.values)}")
        if self.low is not None and self.high is not None:
            parts.append(f"in {self.low}..{self.high}")
        elif self.low is not None:
            parts.append(f">= {self.low}")
        elif self.high is not None:
            parts.append(f"<= {self.high}")
        if self.without:
            names = [r.name for r in Rights if r & self.without and r.name]
            parts.append("without " + ",".join(names))
        return f"{self.op}.{self.field} " + " ".join(parts)

    def excludes(self, op: Operation) -> bool:
        """``op`` (of any operation) lies outside this restriction."""
        if type(op).__name__ != self.op:
            return False
        if self.field is None:
            return True
        value = getattr(op, self.field, None)
        if value is None and (self.values is not None or self.low is not None):
            return True  # an optional field's None is no value in the list
        if not _is_int(value):
            return False  # ill-typed (ERR-TOTAL): the target must refuse it
        assert isinstance(value, int)
        if self.values is not None and value not in self.values:
            return True
        if self.low is not None and value < self.low:
            return True
        if self.high is not None and value > self.high:
            return True
        return bool(value & self.without)

    def to_json(self) -> Data:
        """The declaration as the hello writes it."""
        out: dict[str, Data] = {"op": self.op}
        if self.field is not None:
            out["field"] = self.field
        if self.values is not None:
            out["in"] = sorted(self.values)
        if self.low is not None:
            out["min"] = self.low
        if self.high is not None:
            out["max"] = self.high
        if self.without:
            out["without"] = [r.name for r in Rights if r & self.without and r.name]
        return out


@dataclass(frozen=True)
class Restrictions:
    """Every restriction a target declared (possibly none)."""

    items: tuple[Restriction, ...] = ()

    def excluding(self, op: Operation) -> Restriction | None:
        """The first restriction ``op`` lies outside, if any."""
        for r in self.items:
            if r.excludes(op):
                return r
        return None

    @property
    def whole_ops(self) -> frozenset[str]:
        """Operations excluded entirely."""
        return frozenset(r.op for r in self.items if r.whole)

    def to_json(self) -> list[Data]:
        """The declaration as the hello writes it."""
        return [r.to_json() for r in self.items]


NO_RESTRICTIONS = Restrictions()


def _int_list(op: str, key: str, value: object) -> list[int]:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise RestrictsError(f'{op}: "{key}" must be a list of integers')
    return list(value)


def _one(item: object) -> Restriction:
    if not isinstance(item, dict):
        raise RestrictsError(f"a restriction must be an object, not {item!r:.60}")
    op = item.get("op")
    spec = OPS_BY_NAME.get(op) if isinstance(op, str) else None
    if spec is None or not isinstance(op, str):
        raise RestrictsError(f"unknown operation {op!r:.60}")
    extra = sorted(set(item) - _KEYS)
    if extra:
        raise RestrictsError(f"{op}: unknown keys {extra}")
    name = item.get("field")
    limits = sorted(k for k in ("in", "min", "max", "without") if k in item)
    if name is None:
        if limits:
            raise RestrictsError(f'{op}: {limits} need a "field"')
        return Restriction(op)
    fields = {f.name: f for f in spec.fields}
    if not isinstance(name, str) or name not in fields:
        raise RestrictsError(
            f"{op} has no field {name!r:.60} (fields: {', '.join(fields) or 'none'})"
        )
    if fields[name].type not in (int, int | None) or fields[name].id_kind is not None:
        raise RestrictsError(f"{op}.{name} is not an integer field")
    if not limits:
        raise RestrictsError(f"{op}.{name}: say in, min, max or without")
    return _field_restriction(op, name, item, spec.domains.get(name))


def _field_restriction(
    op: str, name: str, item: dict[str, object], dom: object
) -> Restriction:
    where = f"{op}.{name}"
    values = None
    if "in" in item:
        values = frozenset(_int_list(where, "in", item["in"]))
    bounds: dict[str, int | None] = {}
    for key in ("min", "max"):
        v = item.get(key)
        if (v is not None and not isinstance(v, int)) or isinstance(v, bool):
            raise RestrictsError(f'{where}: "{key}" must be an integer')
        bounds[key] = v
    low, high = bounds["min"], bounds["max"]
    mask = 0
    if "without" in item:
        if "rights" not in name:
            raise RestrictsError(f'{where}: "without" applies to a rights field only')
        names = item["without"]
        if not isinstance(names, list) or not names:
            raise RestrictsError(f'{where}: "without" must be a list of right names')
        for n in names:
            if not isinstance(n, str) or n not in Rights.__members__:
                known = ", ".join(Rights.__members__)
                msg = f"{where}: unknown right {n!r:.40} (known: {known})"
                raise RestrictsError(msg)
            mask |= int(Rights[n])
    lo: int | None = getattr(dom, "minimum", None)
    hi: int | None = getattr(dom, "maximum", None)
    allowed = _some_value(values, low, high, lo, hi)
    if not allowed:
        raise RestrictsError(f"{where}: the restriction excludes every value")
    return Restriction(op, name, values, low, high, mask)


def _some_value(
    values: frozenset[int] | None,
    low: int | None,
    high: int | None,
    lo: int | None,
    hi: int | None,
) -> bool:
    """Some valid value (within the field's domain ``lo``..``hi``) is left."""
    floors = [x for x in (low, lo) if x is not None]
    ceilings = [x for x in (high, hi) if x is not None]
    bottom = max(floors) if floors else None
    top = min(ceilings) if ceilings else None
    if values is not None:
        return any(
            (bottom is None or v >= bottom) and (top is None or v <= top)
            for v in values
        )
    return bottom is None or top is None or bottom <= top


def parse_restricts(value: object) -> Restrictions:
    """Restrictions from a declaration: a list of objects (module docstring),
    or the same as JSON text (``conform --restricts``)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RestrictsError(f"restricts is not JSON: {exc}") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise RestrictsError(f"restricts must be a list of objects, not {value!r:.60}")
    return Restrictions(tuple(_one(item) for item in value))


def restricts_of(cls: object, claimed: object = None) -> Restrictions:
    """A target's restrictions: ``claimed`` if given, else the class's
    ``restricts`` attribute (default none)."""
    value = claimed if claimed is not None else getattr(cls, "restricts", [])
    return value if isinstance(value, Restrictions) else parse_restricts(value)


def restrictions_of(driver: object) -> Restrictions:
    """What a driver's target declared it cannot express (none by default)."""
    declared = getattr(driver, "restricts", NO_RESTRICTIONS)
    return declared if isinstance(declared, Restrictions) else NO_RESTRICTIONS


def labels(items: Iterable[Restriction]) -> list[str]:
    """Each restriction's label."""
    return [r.label for r in items]
