"""What an operation returns: ``Ok(value)`` or ``Err(error)``; never an exception.

A blocking receive that has to wait returns ``Ok(BLOCKED)``: the process is then
blocked, and collects the outcome later with ``Resume`` (PORT-RESUME). Values are
immutable records, comparable with ``==``, so two implementations' results can be
compared directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import IpcError

T = TypeVar("T", covariant=True)


@dataclass(frozen=True, slots=True)
class Delivered:
    """A received synchronous message, as the receiver sees it.

    ``sender`` is set by the system (MSG-SENDER). ``caps`` holds, in the sender's
    order, the receiver's new handles for the transferred capabilities; a
    capability revoked while in flight is ``None`` (MSG-INFLIGHT-REVOKE).
    """

    sender: int
    msg_type: int
    flags: int
    data: bytes
    caps: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class CapInfo:
    """What ``Inspect`` tells about a handle: the object's kind and the rights."""

    kind: str
    rights: int


@dataclass(frozen=True, slots=True)
class Blocked:
    """The process is now blocked in a receive; see PORT-RESUME."""


BLOCKED = Blocked()

Value = None | int | bytes | Delivered | CapInfo | Blocked | tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """Success, with the operation's value."""

    value: T


@dataclass(frozen=True, slots=True)
class Err:
    """Failure, with the error. The state is unchanged (ERR-ATOMIC)."""

    error: IpcError


Result = Ok[Value] | Err


#: Plain data: None, bool, int, str, lists, and dicts with str or int keys.
Data = Any


def encode_value(v: Value) -> Data:
    """A result value as plain data (bytes as lowercase hex)."""
    if v is None or isinstance(v, int):
        return v
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, Delivered):
        return {
            "sender": v.sender,
            "msg_type": v.msg_type,
            "flags": v.flags,
            "data": v.data.hex(),
            "caps": list(v.caps),
        }
    if isinstance(v, CapInfo):
        return {"kind": v.kind, "rights": v.rights}
    if isinstance(v, Blocked):
        return "blocked"
    return {"items": [b.hex() for b in v]}


def encode_result(r: Result) -> Data:
    """``{"ok": value}`` or ``{"error": "Name"}``."""
    if isinstance(r, Ok):
        return {"ok": encode_value(r.value)}
    assert isinstance(r, Err)
    return {"error": r.error.name}
