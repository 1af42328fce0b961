"""Bookkeeping shared by the chapters: results, new objects, waking a waiter.

No rule lives here. Results are shared immutable values (``Err`` records are
frozen), so the common outcomes are built once.
"""

from __future__ import annotations

from typing import Final

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Err, Ok, Result

from .state import RUNNING, WOKEN, KObject, Message, State, Waiter

#: One ``Err`` per error, built once.
FAIL: Final[dict[IpcError, Err]] = {e: Err(e) for e in IpcError}
OK_NONE: Final[Ok[None]] = Ok(None)

# The errors the rules return by name, each defined here once.
E_ALREADY_CONNECTED: Final = FAIL[IpcError.AlreadyConnected]
E_INSUFFICIENT_RIGHTS: Final = FAIL[IpcError.InsufficientRights]
E_INVALID_ARGUMENT: Final = FAIL[IpcError.InvalidArgument]
E_INVALID_CAPABILITY: Final = FAIL[IpcError.InvalidCapability]
E_INVALID_MESSAGE: Final = FAIL[IpcError.InvalidMessage]
E_NAME_IN_USE: Final = FAIL[IpcError.NameInUse]
E_NO_SUCH_PROCESS: Final = FAIL[IpcError.NoSuchProcess]
E_NOT_CONNECTED: Final = FAIL[IpcError.NotConnected]
E_OUT_OF_BOUNDS: Final = FAIL[IpcError.OutOfBounds]
E_OUT_OF_MEMORY: Final = FAIL[IpcError.OutOfMemory]
E_PORT_CLOSED: Final = FAIL[IpcError.PortClosed]
E_PORT_FULL: Final = FAIL[IpcError.PortFull]
E_PORT_NOT_FOUND: Final = FAIL[IpcError.PortNotFound]
E_PROCESS_BLOCKED: Final = FAIL[IpcError.ProcessBlocked]
E_TIMEOUT: Final = FAIL[IpcError.Timeout]
E_TOO_LARGE: Final = FAIL[IpcError.MessageTooLarge]
E_TYPE_MISMATCH: Final = FAIL[IpcError.TypeMismatch]
E_WOULD_BLOCK: Final = FAIL[IpcError.WouldBlock]


def new_object(st: State, obj: KObject) -> KObject:
    """Register a new object (its id was taken from ``st.next_obj``)."""
    st.objects[obj.id] = obj
    st.next_obj = obj.id + 1
    return obj


def finish(st: State, w: Waiter, result: Result | Message) -> None:
    """End the receive ``w`` (already off its port's queue) with ``result``.

    The waiting process becomes woken (PORT-RESUME collects the result); a
    facade waiter is notified.
    """
    w.port = None
    w.cap = None
    if w.deadline is not None:
        st.timed.pop(w, None)
    w.result = result
    p = w.proc
    if p.waiter is w:
        p.status = WOKEN
    if w.notify is not None:
        w.notify()


def wake(st: State, w: Waiter, result: Result) -> None:
    """Take ``w`` off its port's waiter queue and end it with ``result``
    (TIME-DEADLINE, PORT-CLOSE, RIGHTS-REVOKE)."""
    port = w.port
    if port is not None and port.waiters is not None:
        port.waiters.remove(w)
    finish(st, w, result)


def unwait(st: State, w: Waiter) -> None:
    """Withdraw a waiter without an outcome (its process ends: PROC-KILL)."""
    port = w.port
    if port is not None and port.waiters is not None:
        port.waiters.remove(w)
    w.port = None
    w.cap = None
    if w.deadline is not None:
        st.timed.pop(w, None)
    p = w.proc
    if p.waiter is w:
        p.waiter = None
        p.status = RUNNING
