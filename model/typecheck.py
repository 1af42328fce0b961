"""ERR-TOTAL: which values are well-typed operations.

An operation is accepted only if its class is exactly one of the operation
records and every field holds a value of exactly its declared type (``bool`` is
not an ``int``, ``str`` is not ``bytes``; a field that was never set, as in
``object.__new__(Socket)``, is never well typed, even where ``None`` is). The
table below is written out by hand from the records' declarations (a test
checks it covers every field).
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec import syscalls as sc

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


#: Operation class -> (field, check) for each of its fields.
FIELDS: dict[type, tuple[tuple[str, Check], ...]] = {
    sc.Spawn: (),
    sc.Kill: (("target", _int),),
    sc.AdvanceClock: (("ticks", _int),),
    sc.Inspect: (("handle", _int),),
    sc.Drop: (("handle", _int),),
    sc.Derive: (("handle", _int), ("rights", _int)),
    sc.Revoke: (("handle", _int),),
    sc.CreatePort: (("capacity", _int),),
    sc.Send: (
        ("handle", _int),
        ("msg_type", _int),
        ("flags", _int),
        ("data", _bytes),
        ("caps", _int_tuple),
    ),
    sc.Receive: (("handle", _int), ("timeout", _opt_int)),
    sc.Resume: (),
    sc.Close: (("handle", _int),),
    sc.SetFilter: (
        ("handle", _int),
        ("allowed_types", _opt_int_set),
        ("max_size", _opt_int),
        ("rate", _opt_rate),
    ),
    sc.Bind: (("handle", _int), ("name", _str), ("service_type", _int)),
    sc.Unbind: (("handle", _int), ("name", _str)),
    sc.Lookup: (("name", _str),),
    sc.Connect: (("name", _str), ("service_type", _int)),
    sc.CreateChannel: (("capacity", _int), ("max_message", _int)),
    sc.ChannelSend: (("handle", _int), ("data", _bytes)),
    sc.ChannelSendBatch: (("handle", _int), ("items", _bytes_tuple)),
    sc.ChannelReceive: (("handle", _int),),
    sc.ChannelReceiveBatch: (("handle", _int), ("max_count", _int)),
    sc.CreateBuffer: (("size", _int),),
    sc.MapBuffer: (("handle", _int), ("writable", _bool)),
    sc.Unmap: (("mapping", _int),),
    sc.ReadBuffer: (("mapping", _int), ("offset", _int), ("length", _int)),
    sc.WriteBuffer: (("mapping", _int), ("offset", _int), ("data", _bytes)),
    sc.TransferBuffer: (("handle", _int), ("port", _int), ("msg_type", _int)),
    sc.Socket: (("capacity", _opt_int),),
    sc.SockBind: (("fd", _int), ("name", _str)),
    sc.SockConnect: (("fd", _int), ("name", _str)),
    sc.SockSend: (("fd", _int), ("data", _bytes)),
    sc.SockRecv: (("fd", _int), ("bufsize", _int)),
    sc.SockClose: (("fd", _int),),
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
