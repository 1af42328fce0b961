"""ERR-TOTAL: which values are well-typed operations.

An operation is accepted only if its class is exactly one of the operation
records and every field holds a value of exactly its declared type (``bool`` is
not an ``int``, ``str`` is not ``bytes``; a field that was never set, as in
``object.__new__(Socket)``, is never well typed, even where ``None`` is). The
checks are read from the records' field annotations (the operation registry);
an annotation with no check here fails at import, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import OP_SPECS, OpSpec, RegistryError

Check = Callable[[object], bool]

#: Read in place of a field that was never set; no check accepts it.
_UNSET = object()


def _int(v: object) -> bool:
    return type(v) is int


def _opt_int(v: object) -> bool:
    return v is None or type(v) is int


def _bytes(v: object) -> bool:
    return type(v) is bytes


def _str(v: object) -> bool:
    return type(v) is str


def _bool(v: object) -> bool:
    return type(v) is bool


def _int_tuple(v: object) -> bool:
    return type(v) is tuple and all(type(x) is int for x in v)


def _bytes_tuple(v: object) -> bool:
    return type(v) is tuple and all(type(x) is bytes for x in v)


def _opt_int_set(v: object) -> bool:
    return v is None or (type(v) is frozenset and all(type(x) is int for x in v))


def _opt_rate(v: object) -> bool:
    return v is None or (
        type(v) is sc.RateLimit
        and type(getattr(v, "burst", _UNSET)) is int
        and type(getattr(v, "refill", _UNSET)) is int
        and type(getattr(v, "period", _UNSET)) is int
    )


#: Each field annotation of the records (ids stripped) -> the check of its values.
CHECKS: dict[object, Check] = {
    int: _int,
    int | None: _opt_int,
    bytes: _bytes,
    str: _str,
    bool: _bool,
    tuple[int, ...]: _int_tuple,
    tuple[bytes, ...]: _bytes_tuple,
    frozenset[int] | None: _opt_int_set,
    sc.RateLimit | None: _opt_rate,
}


def _field_checks(spec: OpSpec) -> tuple[tuple[str, Check], ...]:
    out = []
    for f in spec.fields:
        check = CHECKS.get(f.type)
        if check is None:
            raise RegistryError(f"{spec.name}.{f.name}: no model check for {f.type}")
        out.append((f.name, check))
    return tuple(out)


#: Operation class -> (field, check) for each of its fields, from the registry.
FIELDS: dict[type, tuple[tuple[str, Check], ...]] = {
    spec.cls: _field_checks(spec) for spec in OP_SPECS
}


def well_typed(op: object) -> bool:
    """ERR-TOTAL: ``op`` is an operation record with well-typed fields."""
    checks = FIELDS.get(type(op))
    if checks is None:
        return False
    for name, check in checks:  # noqa: SIM110  (a loop: no generator per call)
        if not check(getattr(op, name, _UNSET)):
            return False
    return True
