"""The complete error enum (rule ERR-ENUM).

Seed section "Error Handling / IPC Errors" lists nine variants; its own code uses
two more (``Timeout`` in "Timeout Support", ``TypeMismatch`` in "Capability
Integration"). The decisions taken elsewhere in the spec need a few more, added
after them. Every variant has a stable numeric code: **codes are normative**
(implementations are compared on them; messages are not), append-only, never
reused. Codes 1-9 follow the seed's order, 10-11 the two it uses unlisted, 12 and
up are this spec's additions, each with the rule that needs it.

Precedent for the additions: seL4 and Zircon both distinguish "bad argument
value" (seL4 ``InvalidArgument``, Zircon ``ZX_ERR_INVALID_ARGS``) from "bad
handle" and from "out of range" (seL4 ``RangeError``, Zircon
``ZX_ERR_OUT_OF_RANGE``); Zircon reports a closed peer as
``ZX_ERR_PEER_CLOSED``, which is the seed's ``PortClosed``.
"""

from __future__ import annotations

from enum import IntEnum

from ._registry import rule
from .ids import RuleId


@rule(RuleId.ERR_ENUM)
class IpcError(IntEnum):
    """Every error an operation can return; codes are stable and normative.

    The seed's nine variants keep its order (codes 1-9); ``Timeout`` and
    ``TypeMismatch``, used but not listed by the seed, are 10 and 11; the rest are
    additions this spec's decisions require, each documented where it is used.
    """

    # Seed, "IPC Errors", in its order.
    PortNotFound = 1
    """No binding for the name (NS-LOOKUP, NS-CONNECT, NS-UNBIND)."""
    PortClosed = 2
    """The port or channel is closed and, for a receive, drained (PORT-CLOSE)."""
    PortFull = 3
    """The port's queue holds ``capacity`` messages (PORT-SEND)."""
    InsufficientRights = 4
    """The capability lacks a right the operation needs (RIGHTS-REQUIRED)."""
    InvalidCapability = 5
    """The handle is not a live handle of the caller, or names the wrong kind of
    object (CAP-HANDLE)."""
    MessageTooLarge = 6
    """Inline data over 64 bytes, over a filter's or channel's size limit, or a
    message larger than the receiver's buffer (MSG-LIMITS, FILTER-CHECK)."""
    InvalidMessage = 7
    """A malformed message: too many capabilities, a repeated handle, a type or
    flags value out of range (MSG-LIMITS)."""
    OutOfMemory = 8
    """The request exceeds a configured resource limit (PORT-CREATE,
    CHAN-CREATE, BUF-CREATE)."""
    WouldBlock = 9
    """The operation cannot complete now and the caller asked not to wait
    (PORT-RECEIVE, CHAN-SEND, CHAN-RECEIVE, PORT-RESUME)."""
    # Used by the seed's code but missing from its enum.
    Timeout = 10
    """A blocked receive reached its deadline (TIME-DEADLINE)."""
    TypeMismatch = 11
    """Typed connect found a binding of another service type (NS-CONNECT)."""
    # Added by this spec's decisions.
    InvalidArgument = 12
    """An argument value out of its domain, or of the wrong type (ERR-TOTAL)."""
    NameInUse = 13
    """The name is already bound; unbind it first (NS-BIND)."""
    OutOfBounds = 14
    """A buffer access outside ``[0, size)`` (BUF-READ, BUF-WRITE)."""
    Filtered = 15
    """The port's filter does not allow the message type (FILTER-CHECK)."""
    RateLimited = 16
    """The port's rate limit has no token left in this period (FILTER-RATE)."""
    NoSuchProcess = 17
    """The acting or target process does not exist (PROC-KILL, ERR-PRECEDENCE)."""
    ProcessBlocked = 18
    """The acting process is blocked or has a wake-up to collect (PROC-STATUS)."""
    NotConnected = 19
    """A socket send on an unconnected socket (POSIX-SEND)."""
    AlreadyConnected = 20
    """A socket connect on a connected socket (POSIX-CONNECT)."""


def error_named(name: str) -> IpcError:
    """The error whose name is ``name`` (as used in docstrings and on the wire)."""
    return IpcError[name]


#: Linux errno numbers (normative values for the POSIX layer).
ERRNO_VALUES: dict[str, int] = {
    "EPERM": 1,
    "ENOENT": 2,
    "ESRCH": 3,
    "EBADF": 9,
    "EAGAIN": 11,
    "ENOMEM": 12,
    "EACCES": 13,
    "EFAULT": 14,
    "EBUSY": 16,
    "EINVAL": 22,
    "EPIPE": 32,
    "EMSGSIZE": 90,
    "EPROTOTYPE": 91,
    "EADDRINUSE": 98,
    "EISCONN": 106,
    "ENOTCONN": 107,
    "ETIMEDOUT": 110,
}

#: The errno each error is reported as by the POSIX layer (POSIX-ERRNO in
#: spec/sockets.py explains the choices). Data, shared with implementations.
ERRNO_NAMES: dict[IpcError, str] = {
    IpcError.PortNotFound: "ENOENT",
    IpcError.PortClosed: "EPIPE",
    IpcError.PortFull: "EAGAIN",
    IpcError.InsufficientRights: "EACCES",
    IpcError.InvalidCapability: "EBADF",
    IpcError.MessageTooLarge: "EMSGSIZE",
    IpcError.InvalidMessage: "EINVAL",
    IpcError.OutOfMemory: "ENOMEM",
    IpcError.WouldBlock: "EAGAIN",
    IpcError.Timeout: "ETIMEDOUT",
    IpcError.TypeMismatch: "EPROTOTYPE",
    IpcError.InvalidArgument: "EINVAL",
    IpcError.NameInUse: "EADDRINUSE",
    IpcError.OutOfBounds: "EFAULT",
    IpcError.Filtered: "EPERM",
    IpcError.RateLimited: "EAGAIN",
    IpcError.NoSuchProcess: "ESRCH",
    IpcError.ProcessBlocked: "EBUSY",
    IpcError.NotConnected: "ENOTCONN",
    IpcError.AlreadyConnected: "EISCONN",
}
