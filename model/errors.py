"""The facade's errors: ``IpcException`` and one subclass per ``IpcError``.

Every error the facade raises for the spec's ``IpcError`` (ERR-ENUM) is an
``IpcException`` whose ``.error`` is that ``IpcError``; its class is the
subclass named after it, so a caller can catch one error::

    try:
        port.receive_nowait()
    except WouldBlock:
        ...

and ``except IpcException`` still catches them all. ``exception_for(error)``
is the one mapping from an ``IpcError`` to its exception; ``IpcException(error,
what)`` called on the base class gives the same subclass.

The classes are written out (so that type checkers and readers see them);
``ERROR_CLASSES`` is checked, when this module is imported, to hold exactly one
class per ``IpcError`` member, so a new error cannot be left without its class.
The POSIX socket object raises ``OSError`` instead (POSIX-ERRNO).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from veridian_ipc.vocabulary.errors import IpcError


class IpcException(Exception):
    """An operation failed with the spec's ``error`` (an ``IpcError``).

    Raised as the subclass named after the error (``WouldBlock``,
    ``PortClosed`` ...); ``IpcException(error, what)`` builds that subclass.
    """

    #: The error of a subclass (None on the base class itself).
    code: ClassVar[IpcError | None] = None

    error: IpcError
    what: str

    def __new__(cls, *args: Any, **kwargs: Any) -> IpcException:
        if cls is IpcException and args and isinstance(args[0], IpcError):
            cls = ERROR_CLASSES[args[0]]
        return super().__new__(cls)

    def __init__(self, error: IpcError | str = "", what: str = "") -> None:
        code = type(self).code
        if isinstance(error, IpcError):
            if code is not None and error is not code:
                raise ValueError(f"{type(self).__name__} is not {error.name}")
            code = error
        elif code is None:
            raise TypeError(f"IpcException needs an IpcError, not {error!r}")
        else:  # a subclass: its one argument is the description
            what = error
        self.error = code
        self.what = what
        super().__init__(f"{code.name}: {what}" if what else code.name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (exception_for, (self.error, self.what))


class PortNotFound(IpcException):
    """``IpcError.PortNotFound``: No binding for the name (NS-LOOKUP,
    NS-CONNECT, NS-UNBIND)."""

    code = IpcError.PortNotFound


class PortClosed(IpcException):
    """``IpcError.PortClosed``: The port or channel is closed and, for a
    receive, drained (PORT-CLOSE)."""

    code = IpcError.PortClosed


class PortFull(IpcException):
    """``IpcError.PortFull``: The port's queue holds ``capacity`` messages
    (PORT-SEND)."""

    code = IpcError.PortFull


class InsufficientRights(IpcException):
    """``IpcError.InsufficientRights``: The capability lacks a right the
    operation needs (RIGHTS-REQUIRED)."""

    code = IpcError.InsufficientRights


class InvalidCapability(IpcException):
    """``IpcError.InvalidCapability``: The handle is not a live handle of the
    caller, or names the wrong kind of object (CAP-HANDLE)."""

    code = IpcError.InvalidCapability


class MessageTooLarge(IpcException):
    """``IpcError.MessageTooLarge``: Inline data over 64 bytes, over a filter's
    or channel's size limit, or a message larger than the receiver's buffer
    (MSG-LIMITS, FILTER-CHECK)."""

    code = IpcError.MessageTooLarge


class InvalidMessage(IpcException):
    """``IpcError.InvalidMessage``: A malformed message: too many capabilities,
    a repeated handle, a type or flags value out of range (MSG-LIMITS)."""

    code = IpcError.InvalidMessage


class OutOfMemory(IpcException):
    """``IpcError.OutOfMemory``: The request exceeds a configured resource limit
    (PORT-CREATE, CHAN-CREATE, BUF-CREATE)."""

    code = IpcError.OutOfMemory


class WouldBlock(IpcException):
    """``IpcError.WouldBlock``: The operation cannot complete now and the caller
    asked not to wait (PORT-RECEIVE, CHAN-SEND, CHAN-RECEIVE, PORT-RESUME)."""

    code = IpcError.WouldBlock


class Timeout(IpcException):
    """``IpcError.Timeout``: A blocked receive reached its deadline (TIME-DEADLINE)."""

    code = IpcError.Timeout


class TypeMismatch(IpcException):
    """``IpcError.TypeMismatch``: Typed connect found a binding of another
    service type (NS-CONNECT)."""

    code = IpcError.TypeMismatch


class InvalidArgument(IpcException):
    """``IpcError.InvalidArgument``: An argument value out of its domain, or of
    the wrong type (ERR-TOTAL)."""

    code = IpcError.InvalidArgument


class NameInUse(IpcException):
    """``IpcError.NameInUse``: The name is already bound; unbind it first (NS-BIND)."""

    code = IpcError.NameInUse


class OutOfBounds(IpcException):
    """``IpcError.OutOfBounds``: A buffer access outside ``[0, size)``
    (BUF-READ, BUF-WRITE)."""

    code = IpcError.OutOfBounds


class Filtered(IpcException):
    """``IpcError.Filtered``: The port's filter does not allow the message type
    (FILTER-CHECK)."""

    code = IpcError.Filtered


class RateLimited(IpcException):
    """``IpcError.RateLimited``: The port's rate limit has no token left in this
    period (FILTER-RATE)."""

    code = IpcError.RateLimited


class NoSuchProcess(IpcException):
    """``IpcError.NoSuchProcess``: The acting or target process does not exist
    (PROC-KILL, ERR-PRECEDENCE)."""

    code = IpcError.NoSuchProcess


class ProcessBlocked(IpcException):
    """``IpcError.ProcessBlocked``: The acting process is blocked or has a
    wake-up to collect (PROC-STATUS)."""

    code = IpcError.ProcessBlocked


class NotConnected(IpcException):
    """``IpcError.NotConnected``: A socket send on an unconnected socket
    (POSIX-SEND)."""

    code = IpcError.NotConnected


class AlreadyConnected(IpcException):
    """``IpcError.AlreadyConnected``: A socket connect on a connected socket
    (POSIX-CONNECT)."""

    code = IpcError.AlreadyConnected


#: The exception class of each error.
ERROR_CLASSES: Final[dict[IpcError, type[IpcException]]] = {
    cls.code: cls for cls in IpcException.__subclasses__() if cls.code is not None
}


def check_classes(classes: dict[IpcError, type[IpcException]]) -> None:
    """Every ``IpcError`` has its class, named after it (``ImportError`` if
    not: checked when this module is imported)."""
    missing = sorted(e.name for e in IpcError if e not in classes)
    misnamed = sorted(c.__name__ for e, c in classes.items() if c.__name__ != e.name)
    if missing or misnamed:
        raise ImportError(
            f"model.errors: no class for {missing}, misnamed classes {misnamed}"
        )


check_classes(ERROR_CLASSES)


def exception_for(error: IpcError, what: str = "") -> IpcException:
    """The exception for ``error`` (its own subclass), described by ``what``."""
    return ERROR_CLASSES[error](what)


__all__ = [
    "ERROR_CLASSES",
    "AlreadyConnected",
    "Filtered",
    "InsufficientRights",
    "InvalidArgument",
    "InvalidCapability",
    "InvalidMessage",
    "IpcException",
    "MessageTooLarge",
    "NameInUse",
    "NoSuchProcess",
    "NotConnected",
    "OutOfBounds",
    "OutOfMemory",
    "PortClosed",
    "PortFull",
    "PortNotFound",
    "ProcessBlocked",
    "RateLimited",
    "Timeout",
    "TypeMismatch",
    "WouldBlock",
    "check_classes",
    "exception_for",
]
