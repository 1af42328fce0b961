"""PROC-THREAD: threads of one task share its tables and block on their own.

Each scenario runs on the spec and, in lock step, on the model's ``Kernel``:
both must give the same results and the same observation after every step.
"""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import BLOCKED, Delivered, Err, IpcError, Ok, Result, step
from veridian_ipc.spec.invariants import violations
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.state import KernelState, initial_state
from veridian_ipc.spec.tasks import table_of, task_of, threads_of
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
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


class Both:
    """The spec and the model, stepped together and compared after each step."""

    def __init__(self, processes: int = 2) -> None:
        self.s: KernelState = initial_state(processes)
        self.k = Kernel(processes)

    def do(self, pid: int, op: Operation) -> Result:
        self.s, r = step(self.s, pid, op)
        assert self.k.apply(pid, op) == r, op
        assert self.k.observe() == observe(self.s), op
        assert violations(self.s) == [], op
        return r


def _port_and_thread(b: Both) -> tuple[int, int]:
    """Process 1 gets a second thread (pid 3) and a port (handle 1); process
    2 a SEND copy of it, carried in a message."""
    r = b.do(0, SpawnThread(1))
    assert r == Ok(3)
    assert b.do(1, CreatePort(4)) == Ok(1)
    return 3, 1


def test_spawn_thread_needs_a_live_process() -> None:
    b = Both()
    assert b.do(0, SpawnThread(7)) == Err(IpcError.NoSuchProcess)
    assert b.do(0, SpawnThread(0)) == Err(IpcError.NoSuchProcess)
    assert b.do(0, SpawnThread(2)) == Ok(3)
    assert b.do(0, SpawnThread(3)) == Ok(4)  # any thread names the task
    assert task_of(b.s, Pid(4)) == 2
    assert threads_of(b.s, Pid(2)) == (2, 3, 4)


def test_a_handle_installed_by_one_thread_is_usable_by_the_other() -> None:
    b = Both()
    t, h = _port_and_thread(b)
    assert b.do(t, Inspect(h)).value.rights  # type: ignore[union-attr]
    h2 = b.do(t, Derive(h, SEND))
    assert h2 == Ok(2)
    assert b.do(1, Drop(2)) == Ok(None)  # dropped by the first thread
    assert b.do(t, Inspect(2)) == Err(IpcError.InvalidCapability)
    assert table_of(b.s, Pid(t)) is table_of(b.s, Pid(1))


def test_two_threads_wait_on_one_port_and_are_served_fifo() -> None:
    b = Both()
    t, h = _port_and_thread(b)
    assert b.do(t, Receive(h, None)) == Ok(BLOCKED)
    assert b.do(1, Receive(h, None)) == Ok(BLOCKED)  # a second waiter
    assert b.do(1, Send(h, 0, 0, b"x")) == Err(IpcError.ProcessBlocked)
    b.do(0, SpawnThread(1))  # pid 4, running: it sends to its own task
    assert b.do(4, Send(h, 0, 0, b"a")) == Ok(None)
    assert b.do(4, Send(h, 0, 0, b"b")) == Ok(None)
    ra, rb = b.do(t, Resume()), b.do(1, Resume())
    assert isinstance(ra, Ok)
    assert isinstance(rb, Ok)
    assert isinstance(ra.value, Delivered)
    assert isinstance(rb.value, Delivered)
    assert (ra.value.data, rb.value.data) == (b"a", b"b")
    assert ra.value.sender == 4


def test_a_running_thread_acts_while_its_sibling_waits() -> None:
    b = Both()
    t, h = _port_and_thread(b)
    assert b.do(1, Receive(h, None)) == Ok(BLOCKED)
    assert b.do(1, Inspect(h)) == Err(IpcError.ProcessBlocked)
    assert b.do(t, Inspect(h)) == Ok(b.do(t, Inspect(h)).value)  # type: ignore[union-attr]
    assert b.do(t, Derive(h, SEND)) == Ok(2)
    # dropping the capability the sibling waits through ends its receive
    assert b.do(t, Drop(h)) == Ok(None)
    assert b.do(1, Resume()) == Err(IpcError.InvalidCapability)


def test_kill_ends_every_thread_of_the_task() -> None:
    b = Both()
    t, h = _port_and_thread(b)
    b.do(1, CreatePort(2))
    assert b.do(t, Receive(h, None)) == Ok(BLOCKED)
    assert b.do(0, Kill(t)) == Ok(None)  # through the second thread
    assert set(b.s.processes.keys()) == {Pid(2)}
    assert b.do(1, Inspect(h)) == Err(IpcError.NoSuchProcess)
    assert b.do(t, Resume()) == Err(IpcError.NoSuchProcess)
    assert b.do(0, SpawnThread(1)) == Err(IpcError.NoSuchProcess)


def test_kill_gives_back_every_uncollected_hand_off_in_order() -> None:
    """Both threads were handed a message from another process's port; the
    kill returns both to it (PORT-HANDOFF), the lower pid's oldest, and
    nothing is lost."""
    b = Both()
    assert b.do(0, SpawnThread(1)) == Ok(3)
    assert b.do(2, CreatePort(4)) == Ok(1)
    assert b.do(2, Bind(1, "a", 0, PORT_RIGHTS)) == Ok(None)
    assert b.do(1, Lookup("a")) == Ok(1)
    assert b.do(1, Receive(1, None)) == Ok(BLOCKED)
    assert b.do(3, Receive(1, None)) == Ok(BLOCKED)
    assert b.do(2, Send(1, 0, 0, b"1")) == Ok(None)
    assert b.do(2, Send(1, 0, 0, b"2")) == Ok(None)
    assert b.do(0, Kill(3)) == Ok(None)
    assert set(b.s.processes.keys()) == {Pid(2)}
    got = [b.do(2, Receive(1, 0)) for _ in range(2)]
    assert [r.value.data for r in got] == [b"1", b"2"]  # type: ignore[union-attr]
