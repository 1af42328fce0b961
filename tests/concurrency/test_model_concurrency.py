"""The model under real threads: every concurrent history is linearizable.

Several threads, each its own process, run random programs against one model
system: sends (fast path and waiting on a full port), try- and waiting receives
(with and without real-time timeouts), channel sends and receives (single,
batched, waiting), capabilities moved between processes in messages; and the
controller closes, kills a process or revokes the port's capabilities while
they run. Every call is recorded
with its interval (``conformance.linearizability.Recorder``) and the history is
checked against the spec. A controller closes everything at the end, which must
wake every waiting thread, then drains what is left, so the check also sees
that no message was lost or delivered twice. Every wait is bounded: a thread
that does not finish is reported as a hang, with the history so far.

Two drivers: the model's thread-safe facade (``veridian_ipc.model.api``), and
``Kernel.apply`` serialised under one lock with the spec's own blocking
protocol (``Receive`` then ``Resume``). Deliberately broken drivers must be
caught (negative controls).

The rounds use fixed seeds (the thread schedule still varies from run to run)
and a short switch interval, so threads interleave inside the model's calls.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, cast

import pytest

from veridian_ipc.conformance.linearizability import (
    Call,
    Recorder,
    StepOp,
    Verdict,
    blocking_receive,
    check,
    encode_history,
)
from veridian_ipc.model import Channel, IpcException, Message, Port, Process, System
from veridian_ipc.model.api_handles import TOKEN
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import BLOCKED, Delivered, Err, IpcError, Ok, Result, step
from veridian_ipc.spec.state import KernelState, initial_state
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Kill,
    Lookup,
    Operation,
    Receive,
    Resume,
    Revoke,
    Send,
)

#: Upper bound of any single wait in this module (a hang, not a slow machine).
WAIT_SECONDS = 20.0
WORKERS = 4
OPS_PER_WORKER = 30
ROUNDS = 30
CONFIG = Config(max_port_capacity=8, max_channel_capacity=8, max_channel_message=16)

PORT = 1  # every process's handle to the shared port (capacity 2)
CHANNEL = 2  # every process's handle to the shared channel (4 slots)

E_WOULD_BLOCK: Result = Err(IpcError.WouldBlock)
E_PORT_FULL: Result = Err(IpcError.PortFull)
E_TIMEOUT: Result = Err(IpcError.Timeout)


class Hang(AssertionError):
    """A call or a thread did not finish within ``WAIT_SECONDS``."""


# -- drivers ----------------------------------------------------------------------


class Driver(Protocol):
    """How a test thread reaches the model; every result in the spec's terms."""

    timeouts: bool
    """Whether waiting calls may have a real-time timeout."""

    def call(self, pid: int, op: Operation) -> Result:
        """A call that never waits."""
        ...

    def receive(self, pid: int, timeout: float | None) -> Result:
        """Receive on the port, waiting for a message, a close or the timeout."""
        ...

    def send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        """Send on the port, waiting for room (``PortFull`` once timed out: a
        send whose deadline passed had no effect, and the port was full)."""
        ...

    def channel_send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        """Send on the channel, waiting for a slot (``WouldBlock`` once timed out)."""
        ...

    def channel_receive(self, pid: int, timeout: float | None) -> Result:
        """Receive from the channel, waiting (``WouldBlock`` once timed out)."""
        ...


def setup_ops(processes: int) -> Iterator[tuple[int, Operation, Result | None]]:
    """The last process (the controller) creates one port (capacity 2: sends
    meet ``PortFull``) and one channel (4 slots of 16 bytes) and holds their
    root capabilities; every process gets handle 1 to the port (a lookup, so
    derived from the controller's) and handle 2 to the channel (a derived copy,
    moved in a message)."""
    ctl = processes
    yield ctl, CreatePort(2), Ok(PORT)
    yield ctl, Bind(PORT, "shared", 0, 15), Ok(None)
    yield ctl, CreateChannel(4, 16), Ok(CHANNEL)
    for pid in range(1, ctl):
        yield pid, Lookup("shared"), Ok(PORT)
        yield ctl, Derive(CHANNEL, 0x0F), None  # a copy to give away
    for pid in range(1, ctl):
        # The controller's copies are handles 3, 4, ...; each moves to ``pid``.
        yield ctl, Send(PORT, 0, 0, b"", (pid + 2,)), Ok(None)
        yield pid, Receive(PORT, 0), None
    for pid in range(1, processes + 1):
        yield pid, ChannelReceive(CHANNEL), E_WOULD_BLOCK  # handle 2 is the channel


def prepare(apply: Callable[[int, Operation], Result], processes: int) -> KernelState:
    """Run the set-up on the model (``apply``) and on the spec, checking that
    they agree step by step; returns the spec state the history starts from."""
    s = initial_state(processes, CONFIG)
    for pid, op, expected in setup_ops(processes):
        s, r = step(s, pid, op)
        got = apply(pid, op)
        assert got == r, f"set-up {op!r}: model {got!r}, spec {r!r}"
        if expected is not None:
            assert r == expected, f"set-up {op!r}: {r!r}"
    return s


def _delivered(m: Message) -> Delivered:
    caps = tuple(None if c is None else c.handle for c in m.caps)
    return Delivered(m.sender, m.msg_type, m.flags, m.data, caps)


def _channel(proc: Process, handle: int) -> Channel:
    """A channel object for any handle number, stale ones included: a white-box
    use of the facade's private construction token, to drive the rule's errors."""
    return Channel(proc, handle, TOKEN)


class Facade:
    """The model's thread-safe facade, one ``Process`` per thread, fast paths
    (``*_nowait``) for the calls that never wait."""

    timeouts = True

    def __init__(self, processes: int) -> None:
        self.system = System(CONFIG)
        procs = {}
        for _ in range(processes):
            p = self.system.spawn()
            procs[p.pid] = p
        self.initial = prepare(self.system.apply, processes)
        self.procs = procs
        self.ports = {
            pid: cast(Port, p.handle_object(PORT)) for pid, p in procs.items()
        }
        self.chans = {
            pid: cast(Channel, p.handle_object(CHANNEL)) for pid, p in procs.items()
        }

    def waiters(self) -> int:
        with self.system.lock:
            return len(self.ports[1]._kp.handles[PORT].obj.waiters or ())  # type: ignore[attr-defined]

    def _run(self, fn: Callable[[], object], timed_out: Result | None = None) -> Result:
        try:
            value = fn()
        except IpcException as e:
            if e.error is IpcError.Timeout and timed_out is not None:
                return timed_out
            return Err(e.error)
        if isinstance(value, Message):
            return Ok(_delivered(value))
        if isinstance(value, list):
            return Ok(tuple(value))
        return Ok(value)  # type: ignore[arg-type]

    def call(self, pid: int, op: Operation) -> Result:
        port, chan, proc = self.ports[pid], self.chans[pid], self.procs[pid]
        if isinstance(op, Send) and op.handle == PORT and not op.caps:
            return self._run(lambda: port.send_nowait(op.data, op.msg_type, op.flags))
        if isinstance(op, Send) and op.handle == PORT:
            caps = [_channel(proc, h) for h in op.caps]
            return self._run(
                lambda: port.send(op.data, op.msg_type, op.flags, caps, timeout=0)
            )
        if isinstance(op, CreateChannel):
            return self._run(
                lambda: proc.create_channel(op.capacity, op.max_message).handle
            )
        if isinstance(op, ChannelSend) and op.handle != CHANNEL:
            return self._run(lambda: _channel(proc, op.handle).send_nowait(op.data))
        if isinstance(op, Drop):
            return self._run(lambda: _channel(proc, op.handle).drop())
        if isinstance(op, Receive) and op.handle == PORT and op.timeout == 0:
            return self._run(port.receive_nowait)
        if isinstance(op, ChannelSend) and op.handle == CHANNEL:
            return self._run(lambda: chan.send_nowait(op.data))
        if isinstance(op, ChannelSendBatch) and op.handle == CHANNEL:
            return self._run(lambda: chan.send_batch(op.items))
        if isinstance(op, ChannelReceive) and op.handle == CHANNEL:
            return self._run(chan.receive_nowait)
        if isinstance(op, ChannelReceiveBatch) and op.handle == CHANNEL:
            return self._run(lambda: chan.receive_batch(op.max_count))
        if isinstance(op, Close) and op.handle in (PORT, CHANNEL):
            return self._run(port.close if op.handle == PORT else chan.close)
        return self.system.apply(pid, op)

    def receive(self, pid: int, timeout: float | None) -> Result:
        return self._run(lambda: self.ports[pid].receive(timeout))

    def send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        send = self.ports[pid].send
        return self._run(lambda: send(data, pid, timeout=timeout), E_PORT_FULL)

    def channel_send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        chan = self.chans[pid]
        return self._run(lambda: chan.send_wait(data, timeout), E_WOULD_BLOCK)

    def channel_receive(self, pid: int, timeout: float | None) -> Result:
        chan = self.chans[pid]
        return self._run(lambda: chan.receive_wait(timeout), E_WOULD_BLOCK)


class LockedKernel:
    """``Kernel.apply`` serialised under one lock, with waiting calls.

    A waiting receive is the spec's own protocol: ``Receive(h, None)``; when
    that blocks, the thread sleeps on a condition that every call signals, and
    collects the outcome with ``Resume`` once the kernel has woken it. A
    waiting send retries on every signal. No real-time timeouts (the kernel's
    clock is logical here), so ``timeouts`` is False.
    """

    timeouts = False

    def __init__(self, processes: int) -> None:
        self.kernel = Kernel(processes, CONFIG)
        self.cond = threading.Condition()
        self.initial = prepare(self.kernel.apply, processes)

    def waiters(self) -> int:
        with self.cond:
            return len(self.kernel.state.objects[1].waiters or ())  # type: ignore[attr-defined]

    def call(self, pid: int, op: Operation) -> Result:
        with self.cond:
            r = self.kernel.apply(pid, op)
            self.cond.notify_all()
            return r

    def _wait(self, pid: int, what: str, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0 or not self.cond.wait(left):
            raise Hang(f"pid {pid}: {what} never woke")

    def receive(self, pid: int, timeout: float | None) -> Result:
        assert timeout is None, "no real-time timeouts on the locked kernel"
        deadline = time.monotonic() + WAIT_SECONDS
        with self.cond:
            r = self.kernel.apply(pid, Receive(PORT, None))
            self.cond.notify_all()
            if r != Ok(BLOCKED):
                return r
            while (r := self.kernel.apply(pid, Resume())) == E_WOULD_BLOCK:
                self._wait(pid, "receive", deadline)
            return r

    def _retry(self, pid: int, op: Operation, again: Result) -> Result:
        deadline = time.monotonic() + WAIT_SECONDS
        with self.cond:
            while (r := self.kernel.apply(pid, op)) == again:
                self._wait(pid, type(op).__name__, deadline)
            self.cond.notify_all()
            return r

    def send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        assert timeout is None, "no real-time timeouts on the locked kernel"
        return self._retry(pid, Send(PORT, pid, 0, data), Err(IpcError.PortFull))

    def channel_send(self, pid: int, data: bytes, timeout: float | None) -> Result:
        assert timeout is None, "no real-time timeouts on the locked kernel"
        return self._retry(pid, ChannelSend(CHANNEL, data), E_WOULD_BLOCK)

    def channel_receive(self, pid: int, timeout: float | None) -> Result:
        assert timeout is None, "no real-time timeouts on the locked kernel"
        return self._retry(pid, ChannelReceive(CHANNEL), E_WOULD_BLOCK)


class Target(Driver, Protocol):
    """A driver with its set-up done."""

    initial: KernelState

    def waiters(self) -> int:
        """Receivers waiting on the port now."""
        ...


DRIVERS: dict[str, Callable[[int], Target]] = {
    "facade": Facade,
    "locked-kernel": LockedKernel,
}


# -- programs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One call of a worker. ``kind`` is ``call`` (``op``, never waits), one
    of the waiting calls: ``receive``, ``send``, ``channel_send``,
    ``channel_receive`` (with ``data`` and ``timeout``), or one of the
    capability-moving sequences (``perform``): ``send_cap`` (create a channel
    and send its capability on the port) and ``use_cap`` (send on a channel
    received that way, then drop it)."""

    kind: str
    op: Operation | None = None
    data: bytes = b""
    timeout: float | None = None

    @property
    def waits(self) -> bool:
        return self.kind not in ("call", "send_cap", "use_cap")

    def run(self, drv: Driver, pid: int) -> Result:
        if self.kind == "call":
            assert self.op is not None
            return drv.call(pid, self.op)
        if self.kind == "receive":
            return drv.receive(pid, self.timeout)
        if self.kind == "send":
            return drv.send(pid, self.data, self.timeout)
        if self.kind == "channel_send":
            return drv.channel_send(pid, self.data, self.timeout)
        assert self.kind == "channel_receive"
        return drv.channel_receive(pid, self.timeout)

    def steps(self, pid: int, result: Result) -> tuple[StepOp, ...]:
        """The spec steps this call stands for, given how it ended. A waiting
        send or channel call linearizes at its last attempt: the one that
        succeeded, or the one that found no room when it gave up."""
        if self.kind == "call":
            assert self.op is not None
            return (self.op,)
        if self.kind == "receive":
            return blocking_receive(PORT, result)
        if self.kind == "send":
            return (Send(PORT, pid, 0, self.data),)
        if self.kind == "channel_send":
            return (ChannelSend(CHANNEL, self.data),)
        return (ChannelReceive(CHANNEL),)


def program(rnd: random.Random, pid: int, count: int, timeouts: bool) -> list[Action]:
    """A random program for worker ``pid``; payloads are unique per sender."""

    def timeout() -> float | None:
        if not timeouts or rnd.random() < 0.5:
            return None
        return rnd.uniform(0.0002, 0.003)

    out: list[Action] = []
    for i in range(count):
        tag = f"{pid}.{i}".encode()
        x = rnd.random()
        if x < 0.16:
            out.append(Action("call", Send(PORT, pid, 0, tag)))
        elif x < 0.20:
            out.append(Action("send_cap", data=tag))
        elif x < 0.28:
            out.append(Action("send", data=tag, timeout=timeout()))
        elif x < 0.38:
            out.append(Action("call", Receive(PORT, 0)))
        elif x < 0.54:
            out.append(Action("receive", timeout=timeout()))
        elif x < 0.64:
            out.append(Action("call", ChannelSend(CHANNEL, tag)))
        elif x < 0.69:
            out.append(
                Action("call", ChannelSendBatch(CHANNEL, (tag + b"a", tag + b"b")))
            )
        elif x < 0.74:
            out.append(Action("channel_send", data=tag + b"w", timeout=timeout()))
        elif x < 0.82:
            out.append(Action("call", ChannelReceive(CHANNEL)))
        elif x < 0.89:
            out.append(Action("channel_receive", timeout=timeout()))
        elif x < 0.95:
            out.append(Action("call", ChannelReceiveBatch(CHANNEL, rnd.randint(1, 3))))
        else:
            out.append(Action("use_cap", data=tag))
    return out


# -- one round ----------------------------------------------------------------------


class Worker:
    """A worker thread's progress, as the controller sees it."""

    def __init__(self, pid: int, actions: list[Action]) -> None:
        self.pid = pid
        self.actions = actions
        self.waiting = False  # inside a call that may wait
        self.finished = threading.Event()
        self.held: list[int] = []  # channel handles received in messages

    def quiet(self) -> bool:
        """Finished, or inside a waiting call."""
        return self.finished.is_set() or self.waiting


def perform(drv: Driver, rec: Recorder, w: Worker, action: Action) -> None:
    pid, thread = w.pid, f"worker {w.pid}"

    def plain(op: Operation) -> Result:
        return rec.call(pid, (op,), partial(drv.call, pid, op), thread)

    if action.kind == "send_cap":
        made = plain(CreateChannel(2, 8))
        if isinstance(made, Ok) and isinstance(made.value, int):
            sent = plain(Send(PORT, pid, 0, action.data, (made.value,)))
            if not isinstance(sent, Ok):
                plain(Drop(made.value))
        return
    if action.kind == "use_cap":
        if not w.held:
            result = plain(Receive(PORT, 0))
        else:
            handle = w.held.pop()
            plain(ChannelSend(handle, action.data))
            result = plain(Drop(handle))
    else:
        w.waiting = action.waits
        try:
            result = rec.call(
                pid, partial(action.steps, pid), partial(action.run, drv, pid), thread
            )
        finally:
            w.waiting = False
    if isinstance(result, Ok) and isinstance(result.value, Delivered):
        w.held.extend(h for h in result.value.caps if h is not None)


@dataclass
class Outcome:
    history: list[Call]
    initial: KernelState
    errors: list[str]
    injected: bool = False
    """A deliberately broken driver injected its fault (negative controls)."""


#: What the controller does while the workers run (``run_round``).
EVENTS = ("close", "kill", "revoke", "none")


def event_for(seed: int) -> str:
    return EVENTS[seed % len(EVENTS)]


def run_round(
    driver: str, seed: int, event: str = "none", workers: int = WORKERS
) -> Outcome:
    """One round: fresh system, workers racing, then the controller's close and
    drain. The controller, while the workers run:

    - ``close``: closes the port and the channel (the rest of the round races
      with the close);
    - ``kill``: kills one worker's process (PROC-KILL: its waiting calls end
      with ``NoSuchProcess``, the rest of its program fails the same way, what
      it sent stays queued);
    - ``revoke``: revokes every capability derived from its port capability
      (RIGHTS-REVOKE: every worker's port handle dies, waiting receives end
      with ``InvalidCapability``);
    - ``none``: nothing.

    Unless it closed early, once every worker has finished or waits it nudges
    waiting workers (a send for receivers, a receive for senders) a bounded
    number of times, then closes. Thread failures and hangs are in
    ``errors``."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    rnd = random.Random(seed)
    controller = workers + 1
    drv = DRIVERS[driver](controller)
    rec = Recorder()
    crew = [
        Worker(pid, program(rnd, pid, OPS_PER_WORKER, drv.timeouts))
        for pid in range(1, controller)
    ]
    pauses = {w.pid: [rnd.random() < 0.3 for _ in w.actions] for w in crew}
    errors: list[str] = []
    start = threading.Barrier(controller, timeout=WAIT_SECONDS)

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

    def control(op: Operation) -> Result:
        return rec.call(controller, (op,), partial(drv.call, controller, op), "control")

    threads = [
        threading.Thread(target=work, args=(w,), name=f"worker-{w.pid}", daemon=True)
        for w in crew
    ]
    for t in threads:
        t.start()
    start.wait()
    deadline = time.monotonic() + WAIT_SECONDS
    if event != "none":
        calls = rnd.randint(1, workers * OPS_PER_WORKER // 2)
        while len(rec.history()) < calls and not all(w.quiet() for w in crew):
            if time.monotonic() > deadline:
                errors.append("the workers made no progress: a hang")
                break
            time.sleep(0)
    if event == "kill":
        control(Kill(rnd.randint(1, workers)))
    elif event == "revoke":
        control(Revoke(PORT))
    if event != "close":
        nudges = 0
        while not all(w.finished.is_set() for w in crew):
            if time.monotonic() > deadline:
                errors.append("the workers never finished or waited: a hang")
                break
            if all(w.quiet() for w in crew):
                if nudges == 2 * workers:
                    break
                nudges += 1
                tag = f"nudge.{nudges}".encode()
                control(Receive(PORT, 0))
                control(Send(PORT, controller, 0, tag))
                control(ChannelReceive(CHANNEL))
                control(ChannelSend(CHANNEL, tag + b"c"))
            time.sleep(0.0005)
    control(Close(PORT))
    control(Close(CHANNEL))
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            errors.append(f"{t.name} still running after {WAIT_SECONDS} s: a hang")
    injected = bool(getattr(drv, "injected", False))
    if not errors:
        while isinstance(control(Receive(PORT, 0)), Ok):
            pass
        while isinstance(control(ChannelReceiveBatch(CHANNEL, 8)), Ok):
            pass
    return Outcome(rec.history(), drv.initial, errors, injected)


def delivered_and_sent(history: list[Call]) -> tuple[Counter[bytes], Counter[bytes]]:
    """Every payload accepted by a send on the shared port and channel, and
    every payload received from them (channels created and moved by the
    workers are private: what is sent on them is not counted)."""
    sent: Counter[bytes] = Counter()
    got: Counter[bytes] = Counter()
    for c in history:
        op, r = c.ops[0], c.result
        if not isinstance(r, Ok):
            continue
        shared = PORT if isinstance(op, Send) else CHANNEL
        if isinstance(op, Send | ChannelSend) and op.handle == shared:
            sent[op.data] += 1
        elif isinstance(op, ChannelSendBatch) and op.handle == CHANNEL:
            sent.update(op.items)
        if isinstance(r.value, Delivered):
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
def test_concurrent_history_is_linearizable(
    driver: str, seed: int, tmp_path: Path
) -> None:
    event = event_for(seed)
    out = run_round(driver, seed, event)
    saved = save(out, tmp_path / f"history-{driver}-{seed}.json")
    assert not out.errors, "\n".join(out.errors) + saved
    sent, got = delivered_and_sent(out.history)
    assert got - sent == Counter(), f"received but never sent: {got - sent}{saved}"
    assert max(got.values(), default=1) == 1, f"received twice: {got}{saved}"
    if event != "kill":
        # (A message handed to a waiting receiver whose process is then killed
        # dies with it, PROC-KILL: only the linearizability check judges that.)
        assert sent - got == Counter(), f"sent, never received: {sent - got}{saved}"
    report = check(out.history, out.initial, max_nodes=300_000, max_seconds=30)
    assert report.verdict is Verdict.LINEARIZABLE, (
        f"seed {seed}, {driver}:\n{report.describe()}{saved}"
    )


def save(out: Outcome, path: Path, processes: int = WORKERS + 1) -> str:
    """Write the round's history as a history file; the text to point at it
    (``python -m veridian_ipc.conformance.linearizability FILE`` re-checks it)."""
    setup = [(pid, op) for pid, op, _ in setup_ops(processes)]
    data = encode_history(out.history, processes, CONFIG, setup)
    path.write_text(json.dumps(data), encoding="utf-8")
    return f"\n(history saved to {path})"


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_waiting_receivers_are_all_woken_by_close(driver: str) -> None:
    """Every worker waits on the empty port; one close wakes them all with
    ``PortClosed``; the history is linearizable."""
    drv = DRIVERS[driver](WORKERS + 1)
    rec = Recorder()
    results: dict[int, Result] = {}

    def worker(pid: int) -> None:
        results[pid] = rec.call(
            pid, partial(blocking_receive, PORT), partial(drv.receive, pid, None)
        )

    threads = [
        # Daemon threads: one left waiting after a failure cannot hold up exit.
        threading.Thread(target=worker, args=(p,), daemon=True)
        for p in range(1, WORKERS + 1)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while drv.waiters() < WORKERS:
        if time.monotonic() > deadline:
            raise Hang("the workers never all waited")
        time.sleep(0.001)
    rec.call(WORKERS + 1, (Close(PORT),), partial(drv.call, WORKERS + 1, Close(PORT)))
    for t in threads:
        t.join(WAIT_SECONDS)
        assert not t.is_alive(), "a receiver was not woken by the close"
    assert set(results.values()) == {Err(IpcError.PortClosed)}
    report = check(rec.history(), drv.initial)
    assert report.ok, report.describe()
    assert [p.op for p in report.witness].count(Resume()) == WORKERS


@pytest.mark.usefixtures("fast_switching")
@pytest.mark.parametrize("seed", range(5))
def test_sends_racing_timeouts_lose_nothing(seed: int) -> None:
    """Receivers with short timeouts race senders: a message is either handed
    to a receiver or stays queued, never lost to a receive that timed out."""
    drv = Facade(WORKERS + 1)
    rec = Recorder()
    rnd = random.Random(seed)
    delays = [rnd.uniform(0.0, 0.002) for _ in range(3 * WORKERS)]

    def receiver(pid: int) -> None:
        for _ in range(3):
            rec.call(
                pid,
                partial(blocking_receive, PORT),
                partial(drv.receive, pid, rnd.uniform(0.0002, 0.001)),
            )

    def sender(pid: int) -> None:
        for i, d in enumerate(delays[pid::WORKERS][:3]):
            time.sleep(d)
            op = Send(PORT, pid, 0, f"{pid}.{i}".encode())
            rec.call(pid, (op,), partial(drv.call, pid, op))

    threads = [
        threading.Thread(target=receiver if p % 2 else sender, args=(p,), daemon=True)
        for p in range(1, WORKERS + 1)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_SECONDS)
        assert not t.is_alive(), f"{t.name} hung"
    close = Close(PORT)
    rec.call(WORKERS + 1, (close,), partial(drv.call, WORKERS + 1, close))
    drain = Receive(PORT, 0)
    while isinstance(
        rec.call(WORKERS + 1, (drain,), partial(drv.call, WORKERS + 1, drain)), Ok
    ):
        pass
    history = rec.history()
    sent, got = delivered_and_sent(history)
    assert sent == got
    report = check(history, drv.initial, max_nodes=300_000, max_seconds=30)
    assert report.ok, report.describe()


# -- negative controls: broken drivers must be caught --------------------------------


class DroppingKernel(LockedKernel):
    """Broken on purpose: the first send is acknowledged and never performed
    (a lost message, or a success where the spec reports an error)."""

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


MUTANTS: dict[str, Callable[[int], Target]] = {
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
            out = run_round(mutant, seed)
            assert not out.errors, "\n".join(out.errors)
            if out.injected:
                break
        else:
            pytest.fail(f"the {mutant} fault was never injected in {ROUNDS} rounds")
    finally:
        del DRIVERS[mutant]
    report = check(out.history, out.initial, max_nodes=300_000, max_seconds=30)
    assert report.verdict is Verdict.VIOLATION, report.describe()
    assert "then no call could be placed next" in report.describe()


# -- asyncio tasks and threads on one channel -----------------------------------------


async def _timed(
    rec: Recorder, pid: int, op: Operation, coro: Awaitable[object]
) -> Result:
    """Await one facade coroutine and record it as the call ``op``."""
    invoked = time.perf_counter_ns()
    try:
        value = await asyncio.wait_for(coro, WAIT_SECONDS)
        result: Result = Ok(tuple(value) if isinstance(value, list) else value)  # type: ignore[arg-type]
    except IpcException as e:
        result = Err(e.error)
    except TimeoutError as e:
        raise Hang(f"pid {pid}: {op!r} never finished") from e
    rec.add(Call(pid, (op,), result, invoked, time.perf_counter_ns(), f"task {pid}"))
    return result


@pytest.mark.usefixtures("fast_switching")
@pytest.mark.parametrize("seed", range(6))
def test_asyncio_tasks_and_threads_share_a_channel(seed: int) -> None:
    """Two threads (waiting ``send_wait``/``receive_wait``) and two asyncio
    tasks (``send``/``send_many``/``receive``/``receive_many``) of four
    processes use one 4-slot channel; a close ends the receivers. Every
    message is received once and the history is linearizable."""
    rnd = random.Random(seed)
    drv = Facade(WORKERS + 1)
    rec = Recorder()
    count = 12

    def thread_sender(pid: int) -> None:
        for i in range(count):
            data = f"t{pid}.{i}".encode()
            rec.call(
                pid,
                (ChannelSend(CHANNEL, data),),
                partial(drv.channel_send, pid, data, None),
            )

    def thread_receiver(pid: int) -> None:
        for _ in range(count):
            rec.call(
                pid,
                (ChannelReceive(CHANNEL),),
                partial(drv.channel_receive, pid, None),
            )

    async def task_sender(pid: int) -> None:
        chan = drv.chans[pid]
        for i in range(count // 2):
            data = f"a{pid}.{i}".encode()
            if rnd.random() < 0.5:
                await _timed(rec, pid, ChannelSend(CHANNEL, data), chan.send(data))
            else:
                items = (data + b"x", data + b"y")
                op = ChannelSendBatch(CHANNEL, items)
                await _timed(rec, pid, op, chan.send_many(items))

    async def task_receiver(pid: int) -> None:
        chan = drv.chans[pid]
        while True:
            if rnd.random() < 0.5:
                r = await _timed(rec, pid, ChannelReceive(CHANNEL), chan.receive())
            else:
                n = rnd.randint(1, 3)
                op = ChannelReceiveBatch(CHANNEL, n)
                r = await _timed(rec, pid, op, chan.receive_many(n))
            if not isinstance(r, Ok):
                return

    async def main() -> None:
        threads = [
            threading.Thread(target=thread_sender, args=(1,), daemon=True),
            threading.Thread(target=thread_receiver, args=(2,), daemon=True),
        ]
        for t in threads:
            t.start()
        receiving = asyncio.create_task(task_receiver(4))
        await task_sender(3)
        await asyncio.to_thread(threads[0].join, WAIT_SECONDS)
        assert not threads[0].is_alive(), "the sending thread hung"
        close = Close(CHANNEL)
        rec.call(WORKERS + 1, (close,), partial(drv.call, WORKERS + 1, close))
        await asyncio.wait_for(receiving, WAIT_SECONDS)
        await asyncio.to_thread(threads[1].join, WAIT_SECONDS)
        assert not threads[1].is_alive(), "the receiving thread hung"

    asyncio.run(main())
    history = rec.history()
    sent, got = delivered_and_sent(history)
    assert got == sent, (sent - got, got - sent)
    report = check(history, drv.initial, max_nodes=300_000, max_seconds=30)
    assert report.ok, report.describe()


@pytest.mark.slow
@pytest.mark.usefixtures("fast_switching")
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_many_rounds_are_linearizable(driver: str, tmp_path: Path) -> None:
    """The rounds above, many more of them, with 4 and 8 workers (run on
    demand: ``-m slow``)."""
    for seed in range(ROUNDS, ROUNDS + 300):
        workers = 8 if seed % 2 else WORKERS
        out = run_round(driver, seed, event_for(seed), workers=workers)
        saved = save(out, tmp_path / f"history-{seed}.json", workers + 1)
        assert not out.errors, "\n".join(out.errors) + saved
        report = check(out.history, out.initial, max_nodes=2_000_000, max_seconds=60)
        assert report.verdict is Verdict.LINEARIZABLE, (
            f"seed {seed}, {driver}, {workers} workers:\n{report.describe()}{saved}"
        )
