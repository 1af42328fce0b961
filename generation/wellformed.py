"""Is a drawn operation well-formed? The registry's own answer.

The generators draw invalid values on purpose (a handle never issued, a size
one past a limit, a type out of range) so that runs reach every error, but
never nonsense: every operation they draw (outside the deliberately
ill-typed draws) is

- a record of the registry (``vocabulary/operations.py``, ``OPS_BY_NAME``),
- typed as its fields declare (the spec's ``well_typed``, ERR-TOTAL), and
- within each field's declared ``Domain`` bounds, or at most ``MARGIN`` past
  one of them (at the edge or just over it: the values that tell a correct
  bound check from an off-by-one; a count of at least 1 is drawn down to 0
  and -1, hence two).

``problems(op)`` lists what is wrong (empty when the operation is
well-formed); the tests run it over drawn runs and over a planted bad draw.
"""

from __future__ import annotations

from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary.operations import OPS_BY_NAME, Domain

#: How far past a domain's bound a drawn value may lie.
MARGIN = 2


def _size(v: object) -> int | None:
    if isinstance(v, bytes | str | tuple | frozenset):
        return len(v.encode() if isinstance(v, str) else v)
    return None


def _outside(where: str, v: object, d: Domain) -> list[str]:
    out: list[str] = []
    if isinstance(v, int) and not isinstance(v, bool):
        if d.minimum is not None and v < d.minimum - MARGIN:
            out.append(f"{where}={v} far below {d.minimum}")
        if d.maximum is not None and v > d.maximum + MARGIN:
            out.append(f"{where}={v} far above {d.maximum}")
    n = _size(v)
    if n is not None:
        if d.max_bytes is not None and n > d.max_bytes + MARGIN:
            out.append(f"{where} has {n} bytes, far over {d.max_bytes}")
        if d.max_length is not None and n > d.max_length + MARGIN:
            out.append(f"{where} has length {n}, far over {d.max_length}")
        if d.max_items is not None and n > d.max_items + MARGIN:
            out.append(f"{where} has {n} items, far over {d.max_items}")
    if d.items is not None and isinstance(v, tuple | frozenset):
        for i, item in enumerate(sorted(v) if isinstance(v, frozenset) else v):
            out += _outside(f"{where}[{i}]", item, d.items)
    return out


def problems(op: object) -> list[str]:
    """What makes ``op`` ill-formed for the registry (see the module's
    docstring); empty when it is well-formed."""
    spec = OPS_BY_NAME.get(type(op).__name__)
    if spec is None or spec.cls is not type(op):
        return [f"{op!r} is not a record of the operation registry"]
    if not well_typed(op):
        return [f"{op!r} has a field of the wrong type"]
    out: list[str] = []
    for f in spec.fields:
        d = spec.domains.get(f.name)
        if d is not None:
            out += _outside(f"{spec.name}.{f.name}", getattr(op, f.name), d)
    return out


__all__ = ["MARGIN", "problems"]
