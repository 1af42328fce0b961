"""Property tests: arbitrary operation sequences against the spec's structural
guarantees (ERR-TOTAL, ERR-ATOMIC, every INV-*, RIGHTS-DERIVE monotonicity,
FIFO per port (PORT-SEND, PORT-RECEIVE, PORT-HANDOFF) and per channel
(CHAN-SEND, CHAN-RECEIVE), no message or capability lost or duplicated).

The programs are runs of the shared generation layer (``generation.runs``),
so a broken property shrinks to a short run."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given

from veridian_ipc.generation import Step, runs
from veridian_ipc.spec import (
    Blocked,
    Delivered,
    Err,
    Ok,
    violations,
)
from veridian_ipc.spec.state import (
    AtHandle,
    Channel,
    KernelState,
    Port,
    Process,
    Sending,
    Waiting,
    Woken,
)
from veridian_ipc.spec.step import atomic
from veridian_ipc.spec.tasks import table_of, task_of, threads_of
from veridian_ipc.vocabulary.names import Fd, Handle, ObjId, Pid
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Kill,
    Operation,
    Receive,
    Send,
    SockRecv,
    SockSend,
    TransferBuffer,
)

#: Every program: 10 to 60 steps of three processes, from the generation
#: layer's runs (each starts with the set-ups: a port bound and looked up, a
#: channel, a mapped buffer, a listening and a connected socket), with
#: ill-typed records and non-records mixed in (ERR-TOTAL).
programs = runs(10, 60, processes=(3, 3), ill_typed=True, in_process=True)


def _tagged(tag: int, op: Operation) -> Operation:
    """Make message data unique so deliveries can be traced to sends."""
    if (
        isinstance(op, Send | ChannelSend | SockSend)
        and isinstance(op.data, bytes)
        and len(op.data) <= 8
    ):
        return replace(op, data=tag.to_bytes(4, "big"))
    return op


#: The same programs, every short message tagged with its step's index.
tagged_programs = runs(
    10, 60, processes=(3, 3), ill_typed=True, in_process=True, prepare=_tagged
)


def _handed(s: KernelState) -> dict[Pid, tuple[ObjId, bytes]]:
    """Each process woken by a hand-off it has not collected: the port and the
    message's data (PORT-HANDOFF)."""
    found: dict[Pid, tuple[ObjId, bytes]] = {}
    for pid, p in s.processes.items():
        st = p.status
        if isinstance(st, Woken) and st.handed is not None:
            assert isinstance(st.result, Ok)
            assert isinstance(st.result.value, Delivered)
            found[pid] = (st.handed, st.result.value.data)
    return found


@given(programs)
def test_any_program_keeps_every_invariant(program: list[Step]) -> None:
    """ERR-TOTAL, ERR-ATOMIC, every INV-*: no exception, invariants hold after
    every step, and a failed step returns the very state it was given."""
    for x in program:
        assert isinstance(x.result, Ok | Err)
        assert atomic(x.before, x.after, x.result, x.op), (x.op, x.result)
        assert violations(x.after) == [], (x.op, violations(x.after))


@given(programs)
def test_derived_rights_never_exceed_the_parents(program: list[Step]) -> None:
    """RIGHTS-DERIVE / INV-RIGHTS-MONOTONE along every path to a root."""
    for x in program:
        s = x.after
        for cap in s.caps.values():
            anc = cap.parent
            while anc is not None:
                assert cap.rights & ~s.caps[anc].rights == 0
                anc = s.caps[anc].parent


@given(tagged_programs)
def test_fifo_no_loss_no_duplication(program: list[Step]) -> None:
    """Per port and per channel, messages are delivered in the order sent, at
    most once, unchanged; every sent message is delivered, still queued, or
    counted as discarded (a socket closed, a port's last capability gone).
    A message handed to a blocked receiver (PORT-HANDOFF) is delivered when
    the receiver wakes, whenever it resumes; a blocked send (PORT-SEND-BLOCK)
    is sent when its sender is woken with ``Ok``."""
    s = program[0].before
    sent: dict[ObjId, list[bytes]] = {}
    delivered: dict[ObjId, list[bytes]] = {}
    discarded: dict[ObjId, int] = {}
    returned: set[ObjId] = set()
    for x in program:
        pid, op, before, s, r = x.pid, x.op, x.before, x.after, x.result
        if isinstance(r, Err):
            continue
        proc = table_of(before, Pid(pid)) if Pid(pid) in before.processes else None

        def obj_of(
            handle: int, proc: Process | None = proc, before: KernelState = before
        ) -> ObjId:
            assert proc is not None
            return before.caps[proc.handles[Handle(handle)]].obj

        if isinstance(op, (Send, ChannelSend)) and not isinstance(r.value, Blocked):
            sent.setdefault(obj_of(op.handle), []).append(op.data)
        elif isinstance(op, TransferBuffer):  # BUF-TRANSFER: an empty message
            sent.setdefault(obj_of(op.port), []).append(b"")
        elif isinstance(op, ChannelSendBatch):
            sent.setdefault(obj_of(op.handle), []).extend(op.items)
        elif isinstance(op, SockSend):
            assert proc is not None
            peer = proc.fds[Fd(op.fd)].peer
            assert peer is not None
            sent.setdefault(before.caps[peer].obj, []).append(op.data)
        elif isinstance(op, Receive) and isinstance(r.value, Delivered):
            delivered.setdefault(obj_of(op.handle), []).append(r.value.data)
        elif isinstance(op, Kill):
            task = task_of(before, Pid(op.target))
            for thread in threads_of(before, task):  # PROC-KILL: every thread
                gone_to = _handed(before).get(thread)
                if gone_to is not None:  # back to its port (PORT-HANDOFF)
                    delivered[gone_to[0]].remove(gone_to[1])
                    returned.add(gone_to[0])
        elif isinstance(op, ChannelReceive):
            assert isinstance(r.value, bytes)
            delivered.setdefault(obj_of(op.handle), []).append(r.value)
        elif isinstance(op, ChannelReceiveBatch):
            assert isinstance(r.value, tuple)
            delivered.setdefault(obj_of(op.handle), []).extend(r.value)
        elif isinstance(op, SockRecv):
            assert proc is not None
            assert isinstance(r.value, Delivered)  # POSIX-RECV: data and handles
            own = before.caps[proc.fds[Fd(op.fd)].own].obj
            delivered.setdefault(own, []).append(r.value.data)
        if not isinstance(op, Receive | SockRecv):  # these deliver, counted above
            for obj, o in before.objects.items():
                after = s.objects.get(obj)
                left = len(after.queue) if isinstance(after, Port) else 0
                if isinstance(o, Port) and len(o.queue) > left:
                    discarded[obj] = discarded.get(obj, 0) + len(o.queue) - left
        for obj, o in before.objects.items():  # blocked sends served, FIFO
            for q_pid in getattr(o, "senders", ()):
                q = s.processes.get(q_pid)
                old_status = before.processes[q_pid].status
                if (
                    q is not None
                    and isinstance(old_status, Sending)
                    and isinstance(q.status, Woken)
                    and q.status.result == Ok(None)
                ):
                    sent.setdefault(obj, []).append(old_status.op.data)
        for wp, q in s.processes.items():  # woken with a message (PORT-HANDOFF)
            old = before.processes.get(wp)
            if (
                old is not None
                and isinstance(old.status, Waiting)
                and isinstance(q.status, Woken)
                and isinstance(q.status.result, Ok)
                and isinstance(q.status.result.value, Delivered)
            ):
                data = q.status.result.value.data
                delivered.setdefault(old.status.port, []).append(data)
    for obj, msgs in sent.items():
        got = delivered.get(obj, [])
        held = s.objects.get(obj)
        if held is None and obj not in discarded:
            continue  # a channel destroyed with its last capability
        assert held is None or isinstance(held, Port | Channel), held
        queued = (
            []
            if held is None
            else [m.data for m in held.queue]
            if isinstance(held, Port)
            else [
                held.slots[(held.read_idx + i) % held.capacity]
                for i in range(held.write_idx - held.read_idx)
            ]
        )
        gone = discarded.get(obj, 0)
        if obj in returned:  # a returned hand-off comes after later ones
            seen = got + queued
            assert len(set(seen)) == len(seen), (obj, seen)
            assert set(seen) <= set(msgs), (obj, seen, msgs)
            continue
        # delivered ++ discarded-prefix ++ queued == sent, in order
        assert got == msgs[: len(got)], (obj, got, msgs)
        assert msgs[len(got) + gone :] == queued, (obj, msgs, got, gone, queued)
    # nobody waits on a port that holds messages (hand-off never overtaken)
    for o in s.objects.values():
        if isinstance(o, Port):
            assert not (o.waiters and o.queue)
    for p in s.processes.values():
        if isinstance(p.status, Waiting):
            assert isinstance(s.caps[p.status.cap].at, AtHandle)
