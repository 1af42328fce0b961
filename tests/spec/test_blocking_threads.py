"""Blocked senders and threads (PORT-SEND-BLOCK, CHAN-SEND-BLOCK with
PROC-THREAD, PROC-STATUS, PROC-KILL): a blocked sender is a thread, its
capabilities are in its task's table, a kill of the task ends every thread's
blocked send, and a thread blocked in a send blocks none of its siblings.

Each scenario runs on the spec and, in lock step, on the model's ``Kernel``:
the same results and observations after every step, every invariant held.
"""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import BLOCKED, Delivered, Err, IpcError, Ok, Result, step
from veridian_ipc.spec.invariants import violations
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.state import Channel, KernelState, Port, Sending, initial_state
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.rights import GRANT, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelSend,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
    SpawnThread,
)

BLOCK = Ok(BLOCKED)


class Both:
    """The spec and the model, stepped together and compared after each step."""

    def __init__(self) -> None:
        self.s: KernelState = initial_state(2)
        self.k = Kernel(2)

    def do(self, pid: int, op: Operation) -> Result:
        self.s, r = step(self.s, pid, op)
        assert self.k.apply(pid, op) == r, op
        assert self.k.observe() == observe(self.s), op
        assert violations(self.s) == [], (op, violations(self.s))
        return r


def _full_port(b: Both) -> None:
    """Process 2 owns port 1 (capacity 1, full with one message); process 1,
    with a second thread (pid 3), holds a SEND copy of it as handle 1."""
    assert b.do(0, SpawnThread(1)) == Ok(3)
    assert b.do(2, CreatePort(1)) == Ok(1)
    assert b.do(2, Bind(1, "p", 0, SEND | GRANT)) == Ok(None)
    assert b.do(1, Lookup("p")) == Ok(1)
    assert b.do(2, Send(1, 0, 0, b"0")) == Ok(None)


def _port(b: Both) -> Port:
    pt = b.s.objects[ObjId(1)]
    assert isinstance(pt, Port)
    return pt


def test_a_thread_blocked_in_a_send_blocks_none_of_its_siblings() -> None:
    b = Both()
    _full_port(b)
    assert b.do(3, Send(1, 0, 0, b"t", (), None)) == BLOCK
    assert isinstance(b.s.processes[Pid(3)].status, Sending)
    assert b.do(3, Inspect(1)) == Err(IpcError.ProcessBlocked)
    # its sibling, the task's first thread, runs on: it acts on the shared
    # table and blocks in a send of its own behind it
    assert b.do(1, Derive(1, SEND)) == Ok(2)
    assert b.do(1, Send(2, 0, 0, b"f", (), None)) == BLOCK
    assert _port(b).senders == (3, 1)
    # room frees: the blocked threads are served in order, each with its own
    # outcome, and each message names its sending thread (MSG-SENDER)
    for expected in (b"0", b"t", b"f"):
        got = b.do(2, Receive(1, 0))
        assert isinstance(got, Ok)
        assert isinstance(got.value, Delivered)
        assert got.value.data == expected
    assert b.do(3, Resume()) == Ok(None)
    assert b.do(1, Resume()) == Ok(None)
    assert _port(b).senders == ()


def test_a_served_message_names_the_blocked_thread() -> None:
    b = Both()
    _full_port(b)
    assert b.do(3, Send(1, 0, 0, b"t", (), None)) == BLOCK
    b.do(2, Receive(1, 0))
    got = b.do(2, Receive(1, 0))
    assert isinstance(got, Ok)
    assert isinstance(got.value, Delivered)
    assert got.value.sender == 3


def test_a_sibling_dropping_the_send_capability_ends_the_wait() -> None:
    b = Both()
    _full_port(b)
    assert b.do(3, Send(1, 0, 0, b"t", (), None)) == BLOCK
    assert b.do(1, Drop(1)) == Ok(None)  # the table is the task's
    assert _port(b).senders == ()
    assert b.do(3, Resume()) == Err(IpcError.InvalidCapability)
    assert len(_port(b).queue) == 1  # nothing was queued for it


def test_a_carried_capability_dropped_by_a_sibling_fails_the_served_send() -> None:
    b = Both()
    _full_port(b)
    assert b.do(1, Derive(1, SEND | GRANT)) == Ok(2)
    assert b.do(3, Send(1, 0, 0, b"t", (2,), None)) == BLOCK
    assert b.do(1, Drop(2)) == Ok(None)  # a sibling moves it out meanwhile
    assert b.do(2, Receive(1, 0)) != Err(IpcError.WouldBlock)
    # the send, attempted again as issued, finds its carried handle gone
    assert b.do(3, Resume()) == Err(IpcError.InvalidCapability)
    assert len(_port(b).queue) == 0


def test_a_kill_of_the_task_ends_every_threads_blocked_send() -> None:
    """Both threads of process 1 are blocked, one on a port and one on a
    ring; the kill names neither's pid in particular (the task's first
    thread, then the other way round): each leaves its FIFO, nothing is
    queued, and the port and the ring keep only what was there."""
    for target in (1, 3):
        b = Both()
        _full_port(b)
        # process 2's ring of one slot, full; process 1 gets a SEND copy of
        # it in a message on its own port
        assert b.do(2, CreateChannel(1, 1)) == Ok(2)
        assert b.do(2, ChannelSend(2, b"0")) == Ok(None)
        assert b.do(2, Derive(2, SEND | GRANT)) == Ok(3)
        assert b.do(1, CreatePort(1)) == Ok(2)
        assert b.do(1, Bind(2, "q", 0, SEND)) == Ok(None)
        assert b.do(2, Lookup("q")) == Ok(4)
        assert b.do(2, Send(4, 0, 0, b"", (3,))) == Ok(None)
        assert b.do(1, Receive(2, 0)) != Err(IpcError.WouldBlock)
        assert b.do(1, ChannelSend(3, b"f", None)) == BLOCK
        assert b.do(3, Send(1, 0, 0, b"t", (), None)) == BLOCK
        assert b.do(0, Kill(target)) == Ok(None)
        assert set(b.s.processes) == {Pid(2)}
        ring = b.s.objects[ObjId(2)]
        assert isinstance(ring, Channel)
        assert ring.senders == ()
        assert ring.write_idx - ring.read_idx == 1
        assert _port(b).senders == ()
        assert len(_port(b).queue) == 1
        # room frees later: no blocked send of the dead task comes back
        assert b.do(2, Receive(1, 0)) != Err(IpcError.WouldBlock)
        assert len(_port(b).queue) == 0


def test_a_kill_ends_a_blocked_thread_and_its_waiting_sibling() -> None:
    b = Both()
    _full_port(b)
    assert b.do(1, CreatePort(1)) == Ok(2)
    assert b.do(1, Receive(2, None)) == BLOCK  # waits in a receive
    assert b.do(3, Send(1, 0, 0, b"t", (), None)) == BLOCK  # waits in a send
    assert b.do(0, Kill(3)) == Ok(None)
    assert set(b.s.processes) == {Pid(2)}
    assert _port(b).senders == ()
