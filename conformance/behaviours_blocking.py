"""Behaviours of blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK): a send
that waits for room, and each way its wait ends.

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are. ``generation.flows_block`` writes the
stories that reach them.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Channel, KernelState, Port, Sending, Woken
from veridian_ipc.spec.tasks import task_of, threads_of
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Blocked, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    Close,
    Kill,
    Operation,
    Receive,
    Resume,
    Revoke,
    Send,
    SockRecv,
)

from .behaviours_base import History, behaviour, ok

R = RuleId
S = KernelState
H = History


def ended(pre: S, post: S) -> list[tuple[Sending, Woken]]:
    """The blocked sends of ``pre`` whose process is woken in ``post``."""
    out: list[tuple[Sending, Woken]] = []
    for q, p in pre.processes.items():
        if isinstance(p.status, Sending):
            after = post.processes.get(q)
            if after is not None and isinstance(after.status, Woken):
                out.append((p.status, after.status))
    return out


def _kind(s: S, st: Sending) -> type:
    return type(s.objects.get(st.obj))


def _ended_with(pre: S, post: S, kind: type, result: Result) -> bool:
    return any(
        _kind(pre, st) is kind and w.result == result for st, w in ended(pre, post)
    )


def _blocked(r: Result) -> bool:
    return isinstance(r, Ok) and isinstance(r.value, Blocked)


@behaviour(
    "B-PORT-SEND-BLOCKS",
    (R.PORT_SEND_BLOCK, R.PORT_SEND),
    "a send with a timeout finds the port full and blocks",
    Send,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _blocked(r)


@behaviour(
    "B-PORT-BLOCKED-SENDER-SERVED",
    (R.PORT_SEND_BLOCK, R.PORT_RECEIVE),
    "room frees on a port and its blocked sender's message goes in",
    Receive,
    Resume,
    SockRecv,
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _ended_with(pre, post, Port, Ok(None))


@behaviour(
    "B-PORT-BLOCKED-SENDERS-FIFO",
    (R.PORT_SEND_BLOCK,),
    "two senders blocked on one port; room serves the first",
    Receive,
    Resume,
    SockRecv,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    for o in pre.objects.values():
        if isinstance(o, Port) and len(o.senders) >= 2:
            first = post.processes.get(Pid(o.senders[0]))
            if first is not None and isinstance(first.status, Woken):
                return True
    return False


@behaviour(
    "B-PORT-BLOCKED-SENDER-TIMEOUT",
    (R.PORT_SEND_BLOCK, R.TIME_DEADLINE),
    "the deadline of a blocked send passes",
    AdvanceClock,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _ended_with(pre, post, Port, Err(IpcError.Timeout))


@behaviour(
    "B-PORT-BLOCKED-SENDER-CLOSED",
    (R.PORT_SEND_BLOCK, R.PORT_CLOSE),
    "a port is closed, or abandoned, on a blocked sender",
    Close,
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return ok(r) and _ended_with(pre, post, Port, Err(IpcError.PortClosed))


@behaviour(
    "B-PORT-BLOCKED-SENDER-REVOKED",
    (R.PORT_SEND_BLOCK, R.RIGHTS_REVOKE),
    "the capability a blocked send goes through is revoked",
    Revoke,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _ended_with(pre, post, Port, Err(IpcError.InvalidCapability))


@behaviour(
    "B-PORT-BLOCKED-SENDER-KILLED",
    (R.PORT_SEND_BLOCK, R.PROC_KILL),
    "a process with a thread blocked in a send is killed",
    Kill,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    target = Pid(getattr(op, "target", 0))
    if not ok(r) or target not in pre.processes:
        return False
    return any(
        isinstance(pre.processes[t].status, Sending)
        for t in threads_of(pre, task_of(pre, target))
    )


@behaviour(
    "B-CHAN-SEND-BLOCKS",
    (R.CHAN_SEND_BLOCK, R.CHAN_SEND),
    "a channel send with a timeout finds the ring full and blocks",
    ChannelSend,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _blocked(r)


@behaviour(
    "B-CHAN-BLOCKED-SENDER-SERVED",
    (R.CHAN_SEND_BLOCK, R.CHAN_RECEIVE),
    "a ring is read and its blocked sender's message goes in",
    ChannelReceive,
    ChannelReceiveBatch,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    return _ended_with(pre, post, Channel, Ok(None))
