"""The model under real threads: every concurrent history is linearizable.

Several threads, each its own process, run random programs against one model
kernel (sends, try- and blocking receives, channel sends and receives, batches,
a close racing with all of them); every call is recorded with its interval
(``conformance.linearizability.Recorder``) and the history is checked against
the spec. A controller closes everything at the end, which must wake every
blocked receiver, then drains what is left, so the check also sees that no
message was lost or delivered twice. Every wait is bounded: a thread that does
not finish is reported as a hang, with the history so far.

The rounds use fixed seeds (the thread schedule still varies from run to run),
and a short switch interval, so threads interleave inside the model's calls.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import pytest

from veridian_ipc.conformance.linearizability import (
    Call,
    Recorder,
    StepOp,
    Verdict,
    blocking_receive,
    check,
)
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import BLOCKED, Delivered, Err, IpcError, Ok, Result, step
from veridian_ipc.spec.names import Config
from veridian_ipc.spec.state import KernelState, initial_state
from veridian_ipc.spec.syscalls import (
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
)

#: Upper bound of any single wait in this module (a hang, not a slow machine).
WAIT_SECONDS = 20.0
WORKERS = 4
OPS_PER_WORKER = 20
ROUNDS = 24
MAX_FEEDS = 2 * WORKERS
CONFIG = Config(max_port_capacity=8, max_channel_capacity=8, max_channel_message=16)

PORT = 1  # every process's handle to the shared port
CHANNEL = 2  # every process's handle to the shared channel


class Hang(AssertionError):
    """A call or a thread did not finish within ``WAIT_SECONDS``."""


class Driver(Protocol):
    """How a test thread reaches the model."""

    name: str

    def call(self, pid: int, op: Operation) -> Result:
        """A call that never waits; the spec's result."""
        ...

    def receive(self, pid: int, handle: int) -> Result:
        """A receive that waits until a message, a close or a revoke ends it."""
        ...


class LockedKernel:
    """``Kernel.apply`` serialised under one lock, with waiting receives.

    A waiting receive is the spec's own protocol: ``Receive(h, None)``; when
    that blocks, the thread sleeps on a condition that every call signals, and
    collects the outcome with ``Resume`` once the kernel has woken it.
    """

    name = "Kernel.apply under a lock"

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.cond = threading.Condition()

    def call(self, pid: int, op: Operation) -> Result:
        with self.cond:
            r = self.kernel.apply(pid, op)
            self.cond.notify_all()
            return r

    def receive(self, pid: int, handle: int) -> Result:
        deadline = time.monotonic() + WAIT_SECONDS
        with self.cond:
            r = self.kernel.apply(pid, Receive(handle, None))
            self.cond.notify_all()
            if r != Ok(BLOCKED):
                return r
            while (r := self.kernel.apply(pid, Resume())) == Err(IpcError.WouldBlock):
                left = deadline - time.monotonic()
                if left <= 0 or not self.cond.wait(left):
                    raise Hang(f"pid {pid}: receive on {handle} never woke")
            return r


DRIVERS: dict[str, Callable[[Kernel], Driver]] = {"locked-kernel": LockedKernel}


# -- set-up ---------------------------------------------------------------------------


def setup_ops(processes: int) -> Iterator[tuple[int, Operation, Result | None]]:
    """Every process gets handle 1 to one port (capacity 2: sends meet
    ``PortFull``) and handle 2 to one channel (4 slots of 16 bytes)."""
    yield 1, CreatePort(2), Ok(PORT)
    yield 1, Bind(PORT, "shared"), Ok(None)
    yield 1, CreateChannel(4, 16), Ok(CHANNEL)
    for pid in range(2, processes + 1):
        yield pid, Lookup("shared"), Ok(PORT)
        yield 1, Derive(CHANNEL, 0x0F), None  # a copy to give away
    for pid in range(2, processes + 1):
        # pid 1's copies are handles 3, 4, ...; each moves to ``pid``'s table.
        copy = pid + 1
        yield 1, Send(PORT, 0, 0, b"", (copy,)), Ok(None)
        yield pid, Receive(PORT, 0), None


def prepared(processes: int) -> tuple[Kernel, KernelState]:
    """The model and the spec after the same set-up, checked step by step."""
    kernel = Kernel(processes, CONFIG)
    s = initial_state(processes, CONFIG)
    for pid, op, expected in setup_ops(processes):
        s, r = step(s, pid, op)
        got = kernel.apply(pid, op)
        assert got == r, f"set-up {op!r}: model {got!r}, spec {r!r}"
        if expected is not None:
            assert r == expected, f"set-up {op!r}: {r!r}"
    for pid in range(2, processes + 1):
        assert kernel.apply(pid, ChannelReceive(CHANNEL)) == Err(IpcError.WouldBlock)
        s, _ = step(s, pid, ChannelReceive(CHANNEL))
    return kernel, s


# -- programs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One call of a worker: an operation, or a waiting receive."""

    op: Operation | None  # None: a waiting receive on the port


def program(rnd: random.Random, pid: int, count: int) -> list[Action]:
    """A random program for worker ``pid``; messages are unique per sender."""
    out: list[Action] = []
    for i in range(count):
        tag = f"{pid}.{i}".encode()
        x = rnd.random()
        if x < 0.30:
            out.append(Action(Send(PORT, pid, 0, tag)))
        elif x < 0.42:
            out.append(Action(Receive(PORT, 0)))
        elif x < 0.58:
            out.append(Action(None))
        elif x < 0.70:
            out.append(Action(ChannelSend(CHANNEL, tag)))
        elif x < 0.76:
            out.append(Action(ChannelSendBatch(CHANNEL, (tag + b"a", tag + b"b"))))
        elif x < 0.88:
            out.append(Action(ChannelReceive(CHANNEL)))
        else:
            out.append(Action(ChannelReceiveBatch(CHANNEL, rnd.randint(1, 3))))
    return out


class Worker:
    """A worker thread's progress, as the controller sees it."""

    def __init__(self, pid: int, actions: list[Action]) -> None:
        self.pid = pid
        self.actions = actions
        self.waiting = False  # inside a waiting receive
        self.finished = threading.Event()

    def quiet(self) -> bool:
        """Finished, or inside a waiting receive (which only a close may end)."""
        return self.finished.is_set() or self.waiting


def perform(drv: Driver, rec: Recorder, w: Worker, action: Action) -> None:
    pid = w.pid
    if action.op is None:
        w.waiting = True
        try:
            rec.call(
                pid,
                lambda r: blocking_receive(PORT, r),
                lambda: drv.receive(pid, PORT),
                thread=f"worker {pid}",
            )
        finally:
            w.waiting = False
    else:
        op = action.op
        rec.call(pid, (op,), lambda: drv.call(pid, op), thread=f"worker {pid}")


@dataclass
class Outcome:
    history: list[Call]
    initial: KernelState
    errors: list[str]
    injected: bool = False
    """A deliberately broken driver injected its fault (negative controls)."""


def run_round(driver: str, seed: int, racing_close: bool) -> Outcome:
    """One round: fresh kernel, workers racing, then the controller's close and
    drain. With ``racing_close`` the controller closes while the workers run;
    otherwise once every worker has finished or waits in a receive (the close
    must wake them). Thread failures and hangs are in ``errors``."""
    rnd = random.Random(seed)
    controller = WORKERS + 1
    kernel, s0 = prepared(controller)
    drv = DRIVERS[driver](kernel)
    rec = Recorder()
    workers = [
        Worker(pid, program(rnd, pid, OPS_PER_WORKER)) for pid in range(1, WORKERS + 1)
    ]
    pauses = {w.pid: [rnd.random() < 0.3 for _ in w.actions] for w in workers}
    errors: list[str] = []
    start = threading.Barrier(WORKERS + 1, timeout=WAIT_SECONDS)

    def work(w: Worker) -> None:
        try:
            start.wait()
            for action, pause in zip(w.actions, pauses[w.pid], strict=True):
                if pause:
                    time.sleep(0)  # let another thread in between two calls
                perform(drv, rec, w, action)
        except BaseException as e:  # reported by the main thread
            errors.append(f"worker {w.pid}: {type(e).__name__}: {e}")
        finally:
            w.finished.set()

    threads = [
        threading.Thread(target=work, args=(w,), name=f"worker-{w.pid}", daemon=True)
        for w in workers
    ]
    for t in threads:
        t.start()
    start.wait()
    deadline = time.monotonic() + WAIT_SECONDS
    if racing_close:
        calls = rnd.randint(1, WORKERS * OPS_PER_WORKER // 2)
        while len(rec.history()) < calls and not all(w.quiet() for w in workers):
            if time.monotonic() > deadline:
                errors.append("the workers made no progress: a hang")
                break
            time.sleep(0)
    else:
        # Whenever every worker left waits in a receive, feed one message
        # (handed off to the first waiter), a bounded number of times.
        feeds = 0
        while not all(w.finished.is_set() for w in workers):
            if time.monotonic() > deadline:
                errors.append("the workers never finished or blocked: a hang")
                break
            if all(w.quiet() for w in workers):
                if feeds == MAX_FEEDS:
                    break
                feeds += 1
                feed = Send(PORT, controller, 0, f"feed.{feeds}".encode())
                rec.call(controller, (feed,), partial(drv.call, controller, feed))
            time.sleep(0.0005)
    closes: list[Operation] = [Close(PORT), Close(CHANNEL)]
    for op in closes:
        rec.call(controller, (op,), partial(drv.call, controller, op), "controller")
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            errors.append(f"{t.name} still running after {WAIT_SECONDS} s: a hang")
    if errors:
        return Outcome(rec.history(), s0, errors, getattr(drv, "injected", False))
    drain: list[Operation] = [Receive(PORT, 0), ChannelReceiveBatch(CHANNEL, 8)]
    for op in drain:
        while isinstance(
            rec.call(controller, (op,), partial(drv.call, controller, op)), Ok
        ):
            pass
    return Outcome(rec.history(), s0, errors, getattr(drv, "injected", False))


def delivered_and_sent(history: list[Call]) -> tuple[Counter[bytes], Counter[bytes]]:
    """Every payload accepted by a send, and every payload received."""
    sent: Counter[bytes] = Counter()
    got: Counter[bytes] = Counter()
    for c in history:
        op, r = c.ops[0], c.result
        if not isinstance(r, Ok):
            continue
        if isinstance(op, Send | ChannelSend):
            sent[op.data] += 1
        elif isinstance(op, ChannelSendBatch):
            sent.update(op.items)
        if isinstance(r.value, Delivered) and r.value.data:
            got[r.value.data] += 1
        elif isinstance(r.value, bytes):
            got[r.value] += 1
        elif isinstance(r.value, tuple):
            got.update(r.value)
    return sent, got


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Make the interpreter switch threads often, so calls interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.mark.usefixtures("fast_switching")
@pytest.mark.parametrize("driver", sorted(DRIVERS))
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_concurrent_history_is_linearizable(driver: str, seed: int) -> None:
    out = run_round(driver, seed, racing_close=seed % 3 == 0)
    assert not out.errors, "\n".join(out.errors)
    sent, got = delivered_and_sent(out.history)
    assert got - sent == Counter(), f"received but never sent: {got - sent}"
    assert sent - got == Counter(), f"sent but never received (lost): {sent - got}"
    assert max(got.values(), default=1) == 1, f"received twice: {got}"
    report = check(out.history, out.initial, max_nodes=200_000, max_seconds=20)
    assert report.verdict is Verdict.LINEARIZABLE, (
        f"seed {seed}, {driver}:\n{report.describe()}"
    )


def test_blocked_receivers_are_all_woken_by_close() -> None:
    """Every worker blocks on the empty port; one close wakes them all with
    ``PortClosed``; the history is linearizable (a close racing receives)."""
    kernel, s0 = prepared(WORKERS + 1)
    drv = LockedKernel(kernel)
    rec = Recorder()
    results: dict[int, Result] = {}

    def worker(pid: int) -> None:
        results[pid] = rec.call(
            pid, lambda r: blocking_receive(PORT, r), lambda: drv.receive(pid, PORT)
        )

    threads = [
        threading.Thread(target=worker, args=(p,)) for p in range(1, WORKERS + 1)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(kernel.state.objects[1].waiters or ()) < WORKERS:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise Hang("the workers never all blocked")
        time.sleep(0.001)
    rec.call(WORKERS + 1, (Close(PORT),), lambda: drv.call(WORKERS + 1, Close(PORT)))
    for t in threads:
        t.join(WAIT_SECONDS)
        assert not t.is_alive(), "a receiver was not woken by the close"
    assert set(results.values()) == {Err(IpcError.PortClosed)}
    report = check(rec.history(), s0)
    assert report.ok, report.describe()
    steps: list[StepOp] = [p.op for p in report.witness]
    assert steps.count(Resume()) == WORKERS


# -- negative controls: broken drivers must be caught --------------------------------


class DroppingKernel(LockedKernel):
    """Broken on purpose: the first send is acknowledged and never performed
    (a lost message, or a success where the spec reports an error)."""

    name = "drops a message"
    injected = False

    def call(self, pid: int, op: Operation) -> Result:
        with self.cond:
            if isinstance(op, Send) and not self.injected:
                self.injected = True
                return Ok(None)
            return super().call(pid, op)


class DuplicatingKernel(LockedKernel):
    """Broken on purpose: the first message taken by a try-receive is put back
    (it will be received twice)."""

    name = "duplicates a message"
    injected = False

    def call(self, pid: int, op: Operation) -> Result:
        with self.cond:
            r = super().call(pid, op)
            if (
                not self.injected
                and isinstance(op, Receive)
                and isinstance(r, Ok)
                and isinstance(r.value, Delivered)
            ):
                d = r.value
                again = self.kernel.apply(
                    WORKERS + 1, Send(PORT, d.msg_type, d.flags, d.data)
                )
                self.injected = again == Ok(None)
            return r


MUTANTS: dict[str, type[LockedKernel]] = {
    "drop": DroppingKernel,
    "duplicate": DuplicatingKernel,
}


@pytest.mark.usefixtures("fast_switching")
@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_broken_models_are_caught(mutant: str) -> None:
    """The same rounds against a deliberately broken driver: once its fault has
    been injected, the checker must reject the history."""
    DRIVERS[mutant] = MUTANTS[mutant]
    try:
        for seed in range(ROUNDS):
            out = run_round(mutant, seed, racing_close=False)
            assert not out.errors, "\n".join(out.errors)
            if out.injected:
                break
        else:
            pytest.fail(f"the {mutant} fault was never injected in {ROUNDS} rounds")
    finally:
        del DRIVERS[mutant]
    report = check(out.history, out.initial, max_nodes=200_000, max_seconds=20)
    assert report.verdict is Verdict.VIOLATION, report.describe()
    assert "then no call could be placed next" in report.describe()
