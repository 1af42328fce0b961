"""Message filters (group "filters"): which messages a port admits.

Seed section "Message Filtering": a port may carry a ``MessageFilter`` of allowed
message types, a maximum size and a rate limit, checked before a message is
accepted; the seed's ``set_filter`` is unguarded and its ``accept_message``
returns a bare bool. Decisions:

- Setting or clearing a filter needs MANAGE on the port (FILTER-SET): a filter
  restricts every sender, so only the port's manager may set it.
- A rejected sender gets an error, never a silent drop (FILTER-CHECK):
  ``Filtered`` for a type not allowed, ``MessageTooLarge`` for data over the
  filter's size, ``RateLimited`` when the bucket is empty (FILTER-RATE). Nothing
  is consumed by a rejected send: not the message, not its capabilities, not a
  token.
- The rate limit is a token bucket on the logical clock (FILTER-RATE), so it is
  deterministic and its bound can be proved.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_U32, Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import MANAGE
from veridian_ipc.vocabulary.syscalls import RateLimit, SetFilter

from .caps import authorize
from .state import Filter, KernelState, Kind
from .store import Step, fail, port, put_obj


def _valid_rate(rate: RateLimit) -> bool:
    return rate.burst >= 1 and rate.refill >= 1 and rate.period >= 1


@rule(RuleId.FILTER_SET)
def set_filter(s: KernelState, pid: Pid, op: SetFilter) -> Step:
    """Install, replace or (every field None) remove a port's filter.

    A new rate limit starts with a full bucket (``burst`` tokens) at the current
    tick. The filter applies to messages sent from now on; messages already
    queued stay.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no MANAGE.
    - ``InvalidArgument``: a type outside 0..2**32-1, ``max_size`` outside
      0..64, or a rate parameter below 1.
    - ``PortClosed``: the port is closed.
    """
    found = authorize(s, pid, op.handle, Kind.PORT, MANAGE)
    if isinstance(found, IpcError):
        return fail(s, found)
    _, cap = found
    if op.allowed_types is not None and any(
        not 0 <= t <= MAX_U32 for t in op.allowed_types
    ):
        return fail(s, IpcError.InvalidArgument)
    if op.max_size is not None and not 0 <= op.max_size <= MAX_INLINE_DATA:
        return fail(s, IpcError.InvalidArgument)
    if op.rate is not None and not _valid_rate(op.rate):
        return fail(s, IpcError.InvalidArgument)
    pt = port(s, cap.obj)
    if pt.closed:
        return fail(s, IpcError.PortClosed)
    new: Filter | None = None
    if op.allowed_types is not None or op.max_size is not None or op.rate is not None:
        tokens = op.rate.burst if op.rate is not None else 0
        new = Filter(op.allowed_types, op.max_size, op.rate, tokens, s.clock)
    return put_obj(s, cap.obj, replace(pt, filter=new)), Ok(None)


@rule(RuleId.FILTER_CHECK)
def check_filter(f: Filter, msg_type: int, size: int) -> IpcError | None:
    """A message passes a filter when its type is allowed and it is small enough.

    ``size`` is the length of the inline data. This check and FILTER-RATE run on
    every message offered to a filtered port (PORT-SEND, BUF-TRANSFER,
    POSIX-SEND), after the message itself was found well-formed and the port
    open, and before the queue's capacity is looked at.

    Errors, in precedence order:

    - ``Filtered``: ``msg_type`` not in ``allowed_types``.
    - ``MessageTooLarge``: ``size`` over ``max_size``.
    """
    if f.allowed_types is not None and msg_type not in f.allowed_types:
        return IpcError.Filtered
    if f.max_size is not None and size > f.max_size:
        return IpcError.MessageTooLarge
    return None


def refill(f: Filter, now: int) -> Filter:
    """The bucket as of tick ``now``: ``refill`` tokens per whole ``period``
    elapsed since ``stamp``, never above ``burst``."""
    if f.rate is None:
        return f
    periods = (now - f.stamp) // f.rate.period
    if periods <= 0:
        return f
    tokens = min(f.rate.burst, f.tokens + periods * f.rate.refill)
    return replace(f, tokens=tokens, stamp=f.stamp + periods * f.rate.period)


@rule(RuleId.FILTER_RATE)
def take_token(f: Filter, now: int) -> Filter | IpcError:
    """A rate-limited port admits a message only if its bucket holds a token.

    The bucket is refilled for the time elapsed (``refill`` tokens per whole
    ``period``, capped at ``burst``) and one token is taken. Consequence (proved
    in proofs/): in any interval of ``k`` whole periods a port admits at most
    ``burst + k * refill`` messages. The updated bucket is kept only if the send
    succeeds.

    Errors, in precedence order:

    - ``RateLimited``: no token left.
    """
    if f.rate is None:
        return f
    f = refill(f, now)
    if f.tokens < 1:
        return IpcError.RateLimited
    return replace(f, tokens=f.tokens - 1)


def admit(
    f: Filter | None, msg_type: int, size: int, now: int
) -> Filter | IpcError | None:
    """FILTER-CHECK then FILTER-RATE: the filter after admitting, or the error."""
    if f is None:
        return None
    err = check_filter(f, msg_type, size)
    if err is not None:
        return err
    return take_token(f, now)
