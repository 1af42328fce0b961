"""Blocking send (PORT-SEND-BLOCK, CHAN-SEND-BLOCK): each decision of
spec/blocking.py on a scripted run, with INV-WAITERS checked after every step
and the model (``Kernel``) in lock-step with the spec."""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import BLOCKED, Err, IpcError, Ok, initial_state, step
from veridian_ipc.spec.invariants import valid_senders, violations
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.state import KernelState, Port, Sending
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.rights import GRANT, SEND

Script = list[tuple[int, sc.Operation]]


def run(script: Script, processes: int = 4) -> tuple[KernelState, list[Result]]:
    """Run ``script`` on the spec and the model; both agree on every result
    and observation, and every invariant holds after every step."""
    s = initial_state(processes)
    k = Kernel(processes)
    results: list[Result] = []
    for pid, op in script:
        s, r = step(s, pid, op)
        assert k.apply(pid, op) == r, (op, r)
        assert k.observe() == observe(s), op
        assert violations(s) == [], (op, violations(s))
        results.append(r)
    return s, results


E = Err
BLOCK = Ok(BLOCKED)
#: pid 1 creates port 1 (capacity 1), gives pids 2 and 3 a SEND copy by
#: Lookup, and fills the port.
FULL_PORT: Script = [
    (1, sc.CreatePort(1)),
    (1, sc.Bind(1, "p", 0, SEND | GRANT)),
    (2, sc.Lookup("p")),
    (3, sc.Lookup("p")),
    (4, sc.Lookup("p")),
    (1, sc.Send(1, 0, 0, b"0")),
]


def test_timeout_zero_keeps_port_full_and_a_timeout_blocks() -> None:
    s, rs = run(
        [*FULL_PORT, (2, sc.Send(1, 0, 0, b"a")), (2, sc.Send(1, 0, 0, b"a", (), 3))]
    )
    assert rs[-2:] == [E(IpcError.PortFull), BLOCK]
    st = s.processes[Pid(2)].status
    assert isinstance(st, Sending)
    assert st.deadline == 3
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert pt.senders == (2,)
    assert len(pt.queue) == 1


def test_blocked_sender_issues_nothing_but_resume() -> None:
    _, rs = run(
        [
            *FULL_PORT,
            (2, sc.Send(1, 0, 0, b"a", (), None)),
            (2, sc.Drop(1)),
            (2, sc.Resume()),
        ]
    )
    assert rs[-2:] == [E(IpcError.ProcessBlocked), E(IpcError.WouldBlock)]


def test_blocked_senders_proceed_fifo_as_room_frees() -> None:
    script: Script = [
        *FULL_PORT,
        (3, sc.Send(1, 0, 0, b"b", (), None)),
        (2, sc.Send(1, 0, 0, b"a", (), None)),
        (1, sc.Receive(1)),
    ]
    s, rs = run(script)
    assert rs[-1].value.data == b"0"  # type: ignore[union-attr]
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert [m.data for m in pt.queue] == [b"b"]
    assert pt.senders == (2,)
    s, rs = run(
        [
            *script,
            (3, sc.Resume()),
            (1, sc.Receive(1)),
            (2, sc.Resume()),
            (1, sc.Receive(1)),
        ]
    )
    assert rs[-4] == Ok(None)
    assert rs[-2] == Ok(None)
    assert [r.value.data for r in (rs[-3], rs[-1])] == [b"b", b"a"]  # type: ignore[union-attr]


def test_deadline_ends_a_blocked_send_with_timeout() -> None:
    script: Script = [
        *FULL_PORT,
        (2, sc.Send(1, 0, 0, b"a", (), 2)),
        (0, sc.AdvanceClock(1)),
        (2, sc.Resume()),
        (0, sc.AdvanceClock(1)),
        (2, sc.Resume()),
    ]
    _, rs = run(script)
    assert rs[-3:] == [E(IpcError.WouldBlock), Ok(2), E(IpcError.Timeout)]


def test_close_ends_blocked_senders_with_port_closed() -> None:
    script: Script = [
        *FULL_PORT,
        (2, sc.Send(1, 0, 0, b"a", (), None)),
        (3, sc.Send(1, 0, 0, b"b", (), None)),
        (1, sc.Close(1)),
        (2, sc.Resume()),
        (3, sc.Resume()),
    ]
    _, rs = run(script)
    assert rs[-3:] == [Ok(1), E(IpcError.PortClosed), E(IpcError.PortClosed)]


def test_killing_the_last_receiver_closes_on_blocked_senders() -> None:
    script: Script = [
        *FULL_PORT,
        (2, sc.Send(1, 0, 0, b"a", (), None)),
        (0, sc.Kill(1)),
        (2, sc.Resume()),
    ]
    _, rs = run(script)
    assert rs[-1] == E(IpcError.PortClosed)


def test_killed_sender_leaves_the_fifo_and_its_capabilities_die_with_it() -> None:
    script: Script = [
        *FULL_PORT,
        (2, sc.CreatePort(1)),  # handle 2 of pid 2, carried by its send
        (2, sc.Send(1, 0, 0, b"a", (2,), None)),
        (3, sc.Send(1, 0, 0, b"b", (), None)),
        (0, sc.Kill(2)),
        (1, sc.Receive(1)),
        (3, sc.Resume()),
    ]
    s, rs = run(script)
    assert rs[-1] == Ok(None)
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert [m.data for m in pt.queue] == [b"b"]
    assert ObjId(2) not in s.objects  # pid 2's port went with its handles


def test_revoking_the_send_capability_ends_the_wait() -> None:
    script: Script = [
        *FULL_PORT,
        (2, sc.Send(1, 0, 0, b"a", (), None)),
        (1, sc.Revoke(1)),
        (2, sc.Resume()),
    ]
    _, rs = run(script)
    assert rs[-3] == BLOCK
    assert rs[-1] == E(IpcError.InvalidCapability)


def test_a_carried_capability_revoked_while_waiting_fails_the_send() -> None:
    """The send is attempted again as issued when room frees: MSG-TRANSFER
    finds the carried handle gone (seL4 looks capabilities up at the
    rendezvous)."""
    script: Script = [
        *FULL_PORT,
        (4, sc.CreatePort(1)),  # pid 4's handle 2
        (4, sc.Bind(2, "q", 0, SEND | GRANT)),
        (2, sc.Lookup("q")),  # pid 2's handle 2, derived from pid 4's
        (2, sc.Send(1, 0, 0, b"a", (2,), None)),
        (4, sc.Revoke(2)),
        (1, sc.Receive(1)),
        (2, sc.Resume()),
    ]
    s, rs = run(script)
    assert rs[-4] == BLOCK
    assert rs[-1] == E(IpcError.InvalidCapability)
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert pt.queue == ()


def test_a_send_blocks_while_hand_offs_hold_every_slot_and_a_receiver_waits() -> None:
    script: Script = [
        (1, sc.CreatePort(1)),
        (1, sc.Bind(1, "p", 0, 0x1 | 0x2 | 0x8)),
        (2, sc.Lookup("p")),
        (3, sc.Lookup("p")),
        (2, sc.Receive(1, None)),
        (1, sc.Send(1, 0, 0, b"h")),  # handed to pid 2, kept slot
        (3, sc.Receive(1, None)),  # waits: the queue is empty
        (1, sc.Send(1, 0, 0, b"x", (), None)),  # blocks: the slot is kept
    ]
    s, rs = run(script)
    assert rs[-1] == BLOCK
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert pt.waiters == (3,)
    assert pt.senders == (1,)
    s, rs = run([*script, (2, sc.Resume()), (3, sc.Resume()), (1, sc.Resume())])
    assert rs[-2].value.data == b"x"  # type: ignore[union-attr]
    assert rs[-1] == Ok(None)


def test_negative_timeout_is_invalid_after_the_rights() -> None:
    _, rs = run(
        [
            (1, sc.CreatePort(1)),
            (1, sc.Send(1, 0, 0, b"", (), -1)),
            (1, sc.Send(9, 0, 0, b"", (), -1)),
            (1, sc.CreateChannel(1, 4)),
            (1, sc.ChannelSend(2, b"", -1)),
        ]
    )
    assert rs[1:3] == [E(IpcError.InvalidArgument), E(IpcError.InvalidCapability)]
    assert rs[-1] == E(IpcError.InvalidArgument)


def test_channel_send_blocks_and_batches_never_block() -> None:
    script: Script = [
        (1, sc.CreateChannel(1, 4)),
        (1, sc.ChannelSend(1, b"0")),
        (1, sc.ChannelSendBatch(1, (b"z",))),
        (1, sc.ChannelSend(1, b"w")),
        (1, sc.ChannelSend(1, b"1", 5)),
        (0, sc.AdvanceClock(1)),
    ]
    s, rs = run(script)
    assert rs[2:5] == [E(IpcError.WouldBlock), E(IpcError.WouldBlock), BLOCK]
    st = s.processes[Pid(1)].status
    assert isinstance(st, Sending)
    assert st.deadline == 5


#: pid 1's ring (handle 1, capacity 1) reaches pids 2 and 3 in messages
#: (their handle 2) and is full.
SHARED_RING: Script = [
    (1, sc.CreateChannel(1, 4)),
    (1, sc.Derive(1, SEND | GRANT)),  # handle 2
    (1, sc.Derive(1, SEND | GRANT)),  # handle 3
    (2, sc.CreatePort(1)),
    (2, sc.Bind(1, "p2", 0, SEND)),
    (3, sc.CreatePort(1)),
    (3, sc.Bind(1, "p3", 0, SEND)),
    (1, sc.Lookup("p2")),  # handle 4
    (1, sc.Lookup("p3")),  # handle 5
    (1, sc.Send(4, 0, 0, b"", (2,))),
    (1, sc.Send(5, 0, 0, b"", (3,))),
    (2, sc.Receive(1)),
    (3, sc.Receive(1)),
    (1, sc.ChannelSend(1, b"0")),
    (3, sc.ChannelSend(2, b"b", None)),
    (2, sc.ChannelSend(2, b"a", None)),
]


def test_channel_blocked_senders_proceed_fifo() -> None:
    """Both block, pid 3 first; each read frees one slot for the first."""
    script: Script = [
        *SHARED_RING,
        (1, sc.ChannelReceive(1)),
        (1, sc.ChannelReceive(1)),
        (3, sc.Resume()),
        (2, sc.Resume()),
        (1, sc.ChannelReceive(1)),
    ]
    _, rs = run(script)
    assert rs[14:16] == [BLOCK, BLOCK]
    assert rs[16:] == [Ok(b"0"), Ok(b"b"), Ok(None), Ok(None), Ok(b"a")]


def test_channel_close_ends_blocked_channel_sends() -> None:
    script: Script = [
        *SHARED_RING,
        (1, sc.Close(1)),
        (2, sc.Resume()),
        (3, sc.Resume()),
    ]
    _s, rs = run(script)
    assert rs[-3:] == [Ok(1), E(IpcError.PortClosed), E(IpcError.PortClosed)]


def test_a_killed_ring_sender_leaves_the_fifo() -> None:
    script: Script = [
        *SHARED_RING,
        (0, sc.Kill(3)),
        (1, sc.ChannelReceive(1)),
        (2, sc.Resume()),
    ]
    _, rs = run(script)
    assert rs[-1] == Ok(None)


def test_invariant_catches_a_sender_left_blocked_with_room() -> None:
    """The clause fails on a wrong state: a blocked sender on a port that
    has room (a step that freed room without serving it)."""
    s, _ = run([*FULL_PORT, (2, sc.Send(1, 0, 0, b"a", (), None))])
    assert valid_senders(s)
    pt = s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    from dataclasses import replace

    broken = replace(s, objects=s.objects.set(ObjId(1), replace(pt, queue=())))
    assert not valid_senders(broken)
    closed = replace(s, objects=s.objects.set(ObjId(1), replace(pt, closed=True)))
    assert not valid_senders(closed)
