"""Check orders of the operations ``precedence_cascades`` leaves out.

The solver's proof (``precedence``) covers the rules whose order it can state
over a few conditions; the operations below have their conditions written
here, in the same form (one ``Cond`` per documented error, each evaluated on
its own), so that the behavioural check of the cascades against the spec
reaches every operation whose rule documents two errors or more
(ERR-PRECEDENCE). ``ALL_CASCADES`` is both together. ``Close`` names no rule;
its order is its dispatcher's docstring (spec/step.py).
"""

from __future__ import annotations

from typing import Any

from veridian_ipc.spec import RULES, KernelState, RuleId
from veridian_ipc.spec.state import Buffer, Kind, Running, Waiting
from veridian_ipc.spec.step import DISPATCHERS
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary._registry import parse_errors
from veridian_ipc.vocabulary.names import Fd, Pid
from veridian_ipc.vocabulary.rights import MANAGE, RECEIVE, SEND

from .precedence_cascades import CASCADES, NEGATIVE_TIMEOUT, unless_blocked
from .precedence_conds import (
    Cascade,
    Cond,
    bad_handle,
    bad_name,
    cap_at,
    lacks,
    no_fd,
    ring_of,
)
from .precedence_quota import OBJECT_QUOTA


def _closed_object(s: KernelState, pid: Pid, op: Any) -> bool:
    cap = cap_at(s, pid, op.handle)
    assert cap is not None
    obj = s.objects[cap.obj]
    assert not isinstance(obj, Buffer)  # Close refuses a buffer's handle first
    return obj.closed


def _close_bad(s: KernelState, pid: Pid, op: Any) -> bool:
    cap = cap_at(s, pid, op.handle)
    return cap is None or cap.kind is Kind.BUFFER


def _status(s: KernelState, pid: Pid) -> object:
    return s.processes[pid].status


EXTRA: tuple[Cascade, ...] = (
    Cascade(
        RuleId.CHAN_SEND,
        sc.ChannelSend,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no SEND", lacks(Kind.CHANNEL, SEND)),
            NEGATIVE_TIMEOUT,
            Cond(
                "MessageTooLarge",
                "too long",
                lambda s, pid, op: (
                    len(op.data) > ring_of(s, pid, op.handle).max_message
                ),
            ),
            Cond(
                "PortClosed",
                "closed",
                lambda s, pid, op: ring_of(s, pid, op.handle).closed,
            ),
            *unless_blocked(
                (
                    Cond(
                        "WouldBlock",
                        "full",
                        lambda s, pid, op: (
                            len((r := ring_of(s, pid, op.handle)).held) >= r.capacity
                        ),
                    ),
                ),
                "WouldBlock",
            ),
        ),
        exclusive=(("negative timeout", "full"),),
    ),
    Cascade(
        RuleId.CHAN_RECEIVE,
        sc.ChannelReceive,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no RECEIVE", lacks(Kind.CHANNEL, RECEIVE)),
            Cond(
                "PortClosed",
                "closed and empty",
                lambda s, pid, op: (
                    not (r := ring_of(s, pid, op.handle)).held and r.closed
                ),
            ),
            Cond(
                "WouldBlock",
                "empty",
                lambda s, pid, op: not ring_of(s, pid, op.handle).held,
            ),
        ),
    ),
    Cascade(
        RuleId.PORT_CLOSE,  # Close: its dispatcher's order (DISPATCHERS)
        sc.Close,
        (
            Cond("InvalidCapability", "bad handle or a buffer's", _close_bad),
            Cond("InsufficientRights", "no MANAGE", lacks(None, MANAGE)),
            Cond("PortClosed", "already closed", _closed_object),
        ),
    ),
    Cascade(
        RuleId.PORT_RESUME,
        sc.Resume,
        (
            Cond(
                "InvalidArgument",
                "running",
                lambda s, pid, op: isinstance(_status(s, pid), Running),
            ),
            Cond(
                "WouldBlock",
                "still waiting",
                lambda s, pid, op: isinstance(_status(s, pid), Waiting),
            ),
        ),
    ),
    Cascade(
        RuleId.POSIX_SOCKET,
        sc.Socket,
        (
            Cond(
                "InvalidArgument",
                "capacity below 1",
                lambda s, pid, op: op.capacity is not None and op.capacity < 1,
            ),
            Cond(
                "OutOfMemory",
                "capacity above the limit",
                lambda s, pid, op: (
                    op.capacity is not None and op.capacity > s.config.max_port_capacity
                ),
            ),
            OBJECT_QUOTA,
        ),
    ),
    Cascade(
        RuleId.POSIX_BIND,
        sc.SockBind,
        (
            Cond(
                "InsufficientRights",
                "may not bind",
                lambda s, pid, op: not table_of(s, pid).may_bind,
            ),
            Cond("InvalidCapability", "no fd", no_fd),
            Cond(
                "InvalidArgument",
                "bound already, or a bad name",
                lambda s, pid, op: (
                    table_of(s, pid).fds[Fd(op.fd)].name is not None
                    or bad_name(s, pid, op)
                ),
            ),
            Cond("NameInUse", "name bound", lambda s, pid, op: op.name in s.namespace),
        ),
    ),
)


#: Every operation whose rule documents two errors or more: the proof's
#: cascades, then the ones above.
ALL_CASCADES: tuple[Cascade, ...] = (*CASCADES, *EXTRA)


def documented_errors(c: Cascade) -> tuple[str, ...]:
    """The documented order of ``c``'s operation (Close: its dispatcher's)."""
    dispatcher = DISPATCHERS.get(c.op)
    if dispatcher is not None:
        return parse_errors(dispatcher.__doc__ or "")
    return RULES[c.rule].errors
