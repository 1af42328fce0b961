"""Message filters and the token bucket (FILTER-SET, FILTER-CHECK, FILTER-RATE)."""

from __future__ import annotations

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_U32
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.rights import MANAGE
from veridian_ipc.vocabulary.syscalls import SetFilter

from .state import Filter, Port, Process, State
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_PORT_CLOSED,
    OK_NONE,
)


def set_filter(st: State, p: Process, op: SetFilter) -> Result:
    """FILTER-SET: install, replace or (all fields None) clear a port's filter.

    A new rate limit starts with a full bucket at the current tick.
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Port:
        return E_INVALID_CAPABILITY
    if not cap.rights & MANAGE:
        return E_INSUFFICIENT_RIGHTS
    types = op.allowed_types
    if types is not None and any(not 0 <= t <= MAX_U32 for t in types):
        return E_INVALID_ARGUMENT
    if op.max_size is not None and not 0 <= op.max_size <= MAX_INLINE_DATA:
        return E_INVALID_ARGUMENT
    rate = op.rate
    if rate is not None and (rate.burst < 1 or rate.refill < 1 or rate.period < 1):
        return E_INVALID_ARGUMENT
    port = cap.obj
    if port.closed:
        return E_PORT_CLOSED
    if types is None and op.max_size is None and rate is None:
        port.filter = None
    else:
        triple = None if rate is None else (rate.burst, rate.refill, rate.period)
        port.filter = Filter(types, op.max_size, triple, st.clock)
    return OK_NONE


def tokens_at(f: Filter, now: int) -> int:
    """The bucket's tokens as of tick ``now`` (refill per whole period, capped)."""
    periods = (now - f.stamp) // f.period
    if periods <= 0:
        return f.tokens
    return min(f.burst, f.tokens + periods * f.refill)


def check_filter(f: Filter, msg_type: int, size: int, now: int) -> IpcError | None:
    """FILTER-CHECK then FILTER-RATE, without taking the token.

    Errors, in precedence order: ``Filtered``, ``MessageTooLarge``,
    ``RateLimited``.
    """
    if f.allowed_types is not None and msg_type not in f.allowed_types:
        return IpcError.Filtered
    if f.max_size is not None and size > f.max_size:
        return IpcError.MessageTooLarge
    if f.burst and tokens_at(f, now) < 1:
        return IpcError.RateLimited
    return None


def take_token(f: Filter, now: int) -> None:
    """FILTER-RATE: refill for the elapsed whole periods, then take one token."""
    if not f.burst:
        return
    periods = (now - f.stamp) // f.period
    if periods > 0:
        f.tokens = min(f.burst, f.tokens + periods * f.refill)
        f.stamp += periods * f.period
    f.tokens -= 1
