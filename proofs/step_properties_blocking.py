"""Step properties of blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK).

Each function is a check over one ``Transition`` (``step_properties`` lists
them with their IDs): a blocked send waits with the deadline it asked for and
holds nothing; blocked senders proceed in FIFO order; every wait ends only by
room, its deadline, a close, a revoke of the capability it sends through, or
a kill of the sender, each with its stated result. ``served`` counts the
messages blocked sends put on ports and rings in the step, which the
conservation property (STEP-MESSAGES-CONSERVED) adds to its count. Like the
other properties they read the states only.
"""

from __future__ import annotations

from veridian_ipc.spec import IpcError, KernelState
from veridian_ipc.spec.state import Channel, Port, Sending, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Blocked, Err, Ok

from .faithful import task_pid
from .step_properties_base import Transition


def _left(t: Transition) -> list[tuple[Pid, Sending, object]]:
    """The senders blocked in ``pre`` that are not in ``post``: each with
    its status in ``post`` (None: the process is gone)."""
    out: list[tuple[Pid, Sending, object]] = []
    for pid, p in t.pre.processes.items():
        st = p.status
        if isinstance(st, Sending):
            after = t.post.processes.get(pid)
            if after is None or after.status != st:
                out.append((pid, st, None if after is None else after.status))
    return out


def served(t: Transition, kind: type) -> int:
    """Blocked sends to objects of ``kind`` that the step completed."""
    return sum(
        1
        for _, st, now in _left(t)
        if isinstance(t.pre.objects.get(st.obj), kind)
        and isinstance(now, Woken)
        and now.result == Ok(None)
    )


def blocked(t: Transition) -> bool:
    """The step is a send that blocked."""
    return isinstance(t.result, Ok) and isinstance(t.result.value, Blocked)


def send_blocks(t: Transition) -> str | None:
    """A send blocks only with a non-zero timeout on a full, open object,
    with the deadline it asked for, at the back of the FIFO, and nothing of
    its message is queued."""
    if not blocked(t) or not isinstance(t.op, sc.Send | sc.ChannelSend):
        return None
    op = t.op
    st = t.post.processes[t.pid].status
    if op.timeout == 0 or not isinstance(st, Sending):
        return "a send blocked with timeout 0, or without a Sending status"
    want = None if op.timeout is None else t.pre.clock + op.timeout
    if st.deadline != want:
        return f"blocked with deadline {st.deadline}, asked for {want}"
    before = t.pre.objects.get(st.obj)
    after = t.post.objects.get(st.obj)
    if not isinstance(before, Port | Channel) or not isinstance(after, Port | Channel):
        return "blocked on no port or channel"
    if after.senders != (*before.senders, t.pid):
        return "a blocked sender was not put at the back of the FIFO"
    if before.closed:
        return "blocked on a closed object"
    if isinstance(before, Port) and isinstance(after, Port):
        if after.queue != before.queue:
            return "a blocked send changed the queue"
    elif (
        isinstance(before, Channel)
        and isinstance(after, Channel)
        and after.held != before.held
    ):
        return "a blocked send changed the ring"
    return None


def senders_fifo(t: Transition) -> str | None:
    """A blocked sender is served (``Ok``) only after every sender blocked
    before it on the same object has left the FIFO."""
    gone = {pid for pid, _, _ in _left(t)}
    for pid, st, now in _left(t):
        if not (isinstance(now, Woken) and now.result == Ok(None)):
            continue
        o = t.pre.objects.get(st.obj)
        assert isinstance(o, Port | Channel)
        ahead = o.senders[: o.senders.index(pid)]
        if any(q not in gone for q in ahead):
            return f"process {pid} was served ahead of {ahead}"
    return None


def _closed(s: KernelState, obj: object) -> bool:
    o = s.objects.get(obj)  # type: ignore[call-overload]
    return o is None or bool(getattr(o, "closed", False))


def wait_ends(t: Transition) -> str | None:
    """Every blocked send ends by room (``Ok``, or the error the send meets
    then), its deadline (``Timeout``, only once the clock reached it), a close
    (``PortClosed``, the object closed), a revoke of the capability it sends
    through (``InvalidCapability``), or a kill of the sender (gone); and a
    sender still blocked is still past none of its deadline."""
    for pid, st, now in _left(t):
        if now is None:
            killed = isinstance(t.op, sc.Kill) and task_pid(
                t.pre, t.op.target
            ) == task_pid(t.pre, pid)
            if not killed:  # a kill of any thread ends the task (PROC-KILL)
                return f"blocked sender {pid} vanished without a Kill"
            continue
        if not isinstance(now, Woken):
            return f"blocked sender {pid} left the wait without an outcome"
        r = now.result
        if r == Err(IpcError.Timeout):
            if st.deadline is None or st.deadline > t.post.clock:
                return f"blocked sender {pid} timed out before its deadline"
        elif r == Err(IpcError.PortClosed):
            if not _closed(t.post, st.obj):
                return f"blocked sender {pid} got PortClosed on an open object"
        elif r == Ok(None) or isinstance(r, Err):
            continue  # room: the send as issued (checked by conservation)
        else:
            return f"blocked sender {pid} woken with {r}"
    for pid, p in t.post.processes.items():
        still = p.status
        if (
            isinstance(still, Sending)
            and still.deadline is not None
            and still.deadline <= t.post.clock
        ):
            return f"process {pid} still blocked sending past its deadline"
    return None


__all__ = ["blocked", "send_blocks", "senders_fifo", "served", "wait_ends"]
