"""The operation registry: each operation described once, next to its fields.

Every operation record (vocabulary/syscalls.py) carries one ``@operation(...)``
decorator that says, once, what every other part of the project needs to know
about it:

- its feature **group** (a name of ``ids.GROUPS``): a target claims groups and
  is driven only with their operations;
- its **rule** (a ``RuleId``): the spec's step dispatches the operation to the
  function registered for that rule (``None`` for ``Close``, whose rule,
  PORT-CLOSE or CHAN-CLOSE, depends on the object);
- the rule IDs it **also** always exercises (RIGHTS-REQUIRED, CAP-HANDLE,
  MSG-LIMITS ...), which conformance coverage counts;
- what it **returns** on success, as an annotation (``None``, ``HandleRef``,
  ``bytes``, ``Delivered | Blocked`` ...);
- the **domains** of the fields whose valid values the type does not say
  (``Domain``: a sentence for the reference, bounds for the JSON schema).

Its fields are typed once, in their annotations. Fields that hold numbers the
implementation chooses (pids, handles, mapping ids) use ``PidRef``, ``HandleRef``
and ``MapRef``: ``Annotated`` ints, so callers and mypy still see plain ints,
while the registry reads the kind (``IdKind``) with
``get_type_hints(..., include_extras=True)``. (They are not the NewTypes of
vocabulary/names.py, ``Handle`` and ``MapId``, which the state uses and callers would
have to wrap.) File descriptors are normative (POSIX-SOCKET numbers them; they
are never renamed) and stay plain ``int``.

Dispatch tables, the conformance protocol's id fields and result ids, coverage
tags, field type checks (ERR-TOTAL), the JSON schema of operation arguments and
the operation reference are all derived from ``OP_SPECS``; the tables that
must stay hand-written check themselves against it with ``check_table``, so a
missed operation fails loudly, by name.

This module is vocabulary: it holds no semantics, and the model may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import (
    Annotated,
    Any,
    ClassVar,
    TypeVar,
    get_args,
    get_origin,
    get_type_hints,
)

from .ids import GROUPS, RuleId


class IdKind(Enum):
    """A kind of implementation-chosen number, renamed between implementations."""

    PID = "pid"
    HANDLE = "handle"
    MAPPING = "mapping"


#: A process id (PROC-SPAWN numbers them).
PidRef = Annotated[int, IdKind.PID]
#: A handle in the caller's capability table (CAP-HANDLE).
HandleRef = Annotated[int, IdKind.HANDLE]
#: A mapping id (BUF-MAP numbers them).
MapRef = Annotated[int, IdKind.MAPPING]

#: The names of the feature groups (``ids.GROUPS``), in reading order.
GROUP_NAMES: tuple[str, ...] = tuple(g for g, _ in GROUPS)


class RegistryError(RuntimeError):
    """An operation record or a table keyed by operations is inconsistent."""


class Operation:
    """Base of every operation record."""

    __slots__ = ()
    environment: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class Domain:
    """The values a field accepts, declared once where code cannot derive it.

    ``text`` says, for the operation reference, which values are valid and what
    an invalid one gives (``"0..2**32-1; else InvalidMessage"``). The bounds are
    the part JSON Schema can express (``minimum``/``maximum`` for an int,
    ``max_bytes`` for ``bytes``, ``min_length``/``max_length`` for a ``str``,
    ``min_items``/``max_items`` for a tuple or frozenset, ``items`` for the
    bounds of each of its items): a value outside them fails in
    *every* state, so every operation that succeeds lies within them.
    State-dependent limits (a ``Config`` field, the channel's ``max_message``)
    stay in ``text`` with their ``CONFIG_BOUNDS`` ceiling as the bound.
    """

    text: str
    minimum: int | None = None
    maximum: int | None = None
    max_bytes: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    items: Domain | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an operation record.

    ``type`` is the annotation with the id markers stripped (what a value must
    be, ERR-TOTAL); ``id_kind`` says which kind of renamed number it holds, if
    any (for ``tuple[HandleRef, ...]``, each item is one).
    """

    name: str
    type: Any
    id_kind: IdKind | None


@dataclass(frozen=True, slots=True)
class OpSpec:
    """Everything the project needs to know about one operation."""

    cls: type[Operation]
    group: str
    rule: RuleId | None
    also: tuple[RuleId, ...]
    returns: Any
    fields: tuple[FieldSpec, ...]
    domains: Mapping[str, Domain] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The operation's name on the wire: its class name."""
        return self.cls.__name__

    @property
    def environment(self) -> bool:
        """Issued by the world (Spawn, SpawnThread, Kill, AdvanceClock)."""
        return self.cls.environment

    @property
    def tags(self) -> tuple[RuleId, ...]:
        """The rule IDs every step of this operation exercises."""
        return (self.rule, *self.also) if self.rule is not None else self.also

    @property
    def id_fields(self) -> dict[str, IdKind]:
        """Fields holding renamed numbers, by name."""
        return {f.name: f.id_kind for f in self.fields if f.id_kind is not None}

    @property
    def result_id(self) -> IdKind | None:
        """The kind of renamed number a success returns, if it returns one."""
        return id_kind_of(self.returns)


#: Every operation's description, in the order the records are defined.
OP_SPECS: list[OpSpec] = []
#: The same, by wire name.
OPS_BY_NAME: dict[str, OpSpec] = {}


def process_ops() -> list[OpSpec]:
    """The operations a process issues (every one but the environment's)."""
    return [s for s in OP_SPECS if not s.environment]


def id_kind_of(annotation: object) -> IdKind | None:
    """The ``IdKind`` an annotation marks (``HandleRef``, ``tuple[HandleRef, ...]``)."""
    if get_origin(annotation) is Annotated:
        kinds = [m for m in get_args(annotation)[1:] if isinstance(m, IdKind)]
        return kinds[0] if kinds else None
    if get_origin(annotation) is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return id_kind_of(args[0])
    return None


def _field_specs(cls: type) -> tuple[FieldSpec, ...]:
    try:
        marked = get_type_hints(cls, include_extras=True)
        plain = get_type_hints(cls)
    except NameError as exc:
        raise RegistryError(
            f"operation {cls.__name__}: annotation not found: {exc}"
        ) from None
    out = []
    for f in fields(cls):
        kind = id_kind_of(marked[f.name])
        if kind is not None and plain[f.name] not in (int, tuple[int, ...]):
            raise RegistryError(
                f"operation {cls.__name__}.{f.name}: an id marker needs an int"
                " or tuple[int, ...] field"
            )
        out.append(FieldSpec(f.name, plain[f.name], kind))
    return tuple(out)


C = TypeVar("C", bound=type[Operation])


def operation(
    *,
    group: str,
    rule: RuleId | None,
    also: tuple[RuleId, ...] = (),
    returns: object = None,
    domains: Mapping[str, Domain] | None = None,
) -> Callable[[C], C]:
    """Register the decorated operation record; the class is returned unchanged.

    Put it above ``@dataclass`` (``slots=True`` makes a new class: the registry
    must hold the final one). Raises ``RegistryError`` at import for an unknown
    group, a name registered twice, a class that is not an ``Operation``
    dataclass, an id marker on a field that is not an int, or a ``domains``
    key that is not one of its fields.
    """

    def register(cls: C) -> C:
        name = getattr(cls, "__name__", repr(cls))
        obj: object = cls  # checked at run time: callers may pass anything
        if not (isinstance(obj, type) and issubclass(obj, Operation)):
            raise RegistryError(f"operation {name}: not an Operation subclass")
        if "__dataclass_fields__" not in vars(obj):
            raise RegistryError(f"operation {name}: not a dataclass")
        if group not in GROUP_NAMES:
            raise RegistryError(f"operation {name}: unknown group {group!r}")
        for r in (rule, *also):
            if r is not None and not isinstance(r, RuleId):
                raise RegistryError(f"operation {name}: {r!r} is not a RuleId")
        if name in OPS_BY_NAME:
            raise RegistryError(f"operation {name} registered twice")
        specs = _field_specs(cls)
        unknown = sorted(set(domains or {}) - {f.name for f in specs})
        if unknown:
            raise RegistryError(
                f"operation {name}: domains for unknown fields {', '.join(unknown)}"
            )
        spec = OpSpec(
            cls, group, rule, tuple(also), returns, specs, dict(domains or {})
        )
        OP_SPECS.append(spec)
        OPS_BY_NAME[name] = spec
        return cls

    return register


def check_registered(namespace: Mapping[str, object]) -> None:
    """Every operation class bound in ``namespace`` is the registered one.

    Catches a record that lacks its ``@operation`` decorator, and a decorator
    placed below ``@dataclass(slots=True)`` (which registers a discarded class).
    """
    for name, obj in namespace.items():
        if (
            not (isinstance(obj, type) and issubclass(obj, Operation))
            or obj is Operation
        ):
            continue
        spec = OPS_BY_NAME.get(obj.__name__)
        if spec is None:
            raise RegistryError(
                f"operation {name} is not registered: decorate it with @operation"
            )
        if spec.cls is not obj:
            raise RegistryError(
                f"operation {name}: the registered class is not this one"
                " (put @operation above @dataclass)"
            )


def check_table(
    table: Iterable[object],
    where: str,
    *,
    ops: Iterable[OpSpec] | None = None,
) -> None:
    """A table keyed by operation classes (or names) covers exactly ``ops``.

    ``ops`` defaults to every registered operation. Raises ``RegistryError``
    naming ``where`` and the operations missing or unknown, so a table that was
    not updated for a new operation fails at import, not deep in a run.
    """
    expected = {s.name for s in (OP_SPECS if ops is None else ops)}
    keys = {k if isinstance(k, str) else getattr(k, "__name__", repr(k)) for k in table}
    missing, unknown = sorted(expected - keys), sorted(keys - expected)
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}" if missing else ""]
        parts.append(f"unknown {', '.join(unknown)}" if unknown else "")
        raise RegistryError(
            f"{where} is out of date: {'; '.join(p for p in parts if p)}"
        )
