"""Lock-step: the facade's blocked sends, thread by thread, against ``spec.step``.

A script of steps for several threads (PROC-THREAD) is run twice: on the spec
(a blocking send is ``Send`` or ``ChannelSend`` with a timeout, giving
``Ok(BLOCKED)``, and ``Resume`` later collects its outcome) and on the
threaded facade on the logical clock (each blocking send is a real OS thread
in ``Port.send`` or ``Channel.send_wait``, and its outcome is what the call
returned or raised). Every result must be the spec's, and after every step so
must the observation, except the status of threads whose send is still out
(the facade's blocked threads stay running: model/parking.py); at the end,
every send collected, the whole observation. A deliberately wrong kernel
(blocked senders served last-in first-out) must be caught.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from veridian_ipc.model import Channel, IpcException, Message, Port, Process, System
from veridian_ipc.model import blocking as mblocking
from veridian_ipc.model.state import State
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import SEND

WAIT = 30.0  # seconds: an upper bound for any wait, never reached when correct


@dataclass(frozen=True)
class Do:
    """A call that never waits, by thread ``pid``."""

    pid: int
    op: sc.Operation


@dataclass(frozen=True)
class Block:
    """A send by thread ``pid`` to a full port or ring: it blocks."""

    pid: int
    op: sc.Send | sc.ChannelSend


@dataclass(frozen=True)
class Collect:
    """The outcome of thread ``pid``'s blocked send (the spec's ``Resume``)."""

    pid: int


@dataclass(frozen=True)
class Advance:
    """Time passes (TIME-ADVANCE)."""

    ticks: int


Script = list[Do | Block | Collect | Advance]

SPAWN = sc.Spawn(True, True)

#: Four threads of one task block on a full port; one times out, the owner
#: drains two slots, then closes the port.
PORT_SCRIPT: Script = [
    Do(0, SPAWN),
    Do(0, SPAWN),
    *(Do(0, sc.SpawnThread(2)) for _ in range(3)),
    Do(1, sc.CreatePort(1)),
    Do(1, sc.Bind(1, "svc", 0, SEND)),
    Do(2, sc.Lookup("svc")),
    Do(2, sc.Send(1, 0, 0, b"fill")),
    Block(2, sc.Send(1, 0, 0, b"a", (), None)),
    Block(3, sc.Send(1, 0, 0, b"b", (), 5)),
    Block(4, sc.Send(1, 0, 0, b"c", (), None)),
    Block(5, sc.Send(1, 0, 0, b"d", (), 1)),
    Advance(1),
    Collect(5),
    Do(1, sc.Receive(1, 0)),
    Collect(2),
    Do(1, sc.Receive(1, 0)),
    Collect(3),
    Do(1, sc.Close(1)),
    Collect(4),
    Do(1, sc.Receive(1, 0)),
    Do(1, sc.Receive(1, 0)),
]

#: Three threads block on a full ring, one through a derived capability that
#: is then revoked; one slot frees; a deadline passes.
CHANNEL_SCRIPT: Script = [
    Do(0, SPAWN),
    *(Do(0, sc.SpawnThread(1)) for _ in range(3)),
    Do(1, sc.CreateChannel(1, 8)),
    Do(1, sc.Derive(1, SEND)),
    Do(1, sc.ChannelSend(1, b"fill")),
    Block(2, sc.ChannelSend(2, b"x", None)),
    Block(3, sc.ChannelSend(1, b"y", None)),
    Block(4, sc.ChannelSend(1, b"z", 3)),
    Do(1, sc.Revoke(1)),
    Collect(2),
    Do(1, sc.ChannelReceive(1)),
    Collect(3),
    Advance(3),
    Collect(4),
    Do(1, sc.ChannelReceive(1)),
    Do(1, sc.ChannelReceive(1)),
]


def run_spec(script: Script) -> tuple[list[Result], list[dict[str, Any]]]:
    """Each step's result and the observation after it, on the spec."""
    s = initial_state(0)
    results: list[Result] = []
    seen: list[dict[str, Any]] = []
    for item in script:
        if isinstance(item, Do):
            s, r = step(s, item.pid, item.op)
        elif isinstance(item, Block):
            s, r = step(s, item.pid, item.op)
            assert r == Ok(BLOCKED), f"{item}: the spec does not block ({r})"
        elif isinstance(item, Collect):
            s, r = step(s, item.pid, sc.Resume())
        else:
            s, r = step(s, 0, sc.AdvanceClock(item.ticks))
        results.append(r)
        seen.append(observe(s))
    return results, seen


class Threads:
    """The facade side: a logical-clock system, a ``Process`` per thread, an
    OS thread per blocked send."""

    def __init__(self) -> None:
        self.system = System(clock="logical")
        self.procs: dict[int, Process] = {}
        self.out: dict[int, threading.Thread] = {}
        self.outcome: dict[int, Result] = {}

    def do(self, pid: int, op: sc.Operation) -> Result:
        """``op`` by thread ``pid``, through the facade's own call for it."""
        if isinstance(op, sc.Spawn):
            p = self.system.spawn(op.may_bind, op.may_lookup)
            self.procs[p.pid] = p
            return Ok(p.pid)
        if isinstance(op, sc.SpawnThread):
            t = self.procs[op.process].spawn_thread()
            self.procs[t.pid] = t
            return Ok(t.pid)
        call: Callable[[], object] | None = None
        proc = self.procs[pid]
        if isinstance(op, sc.Receive | sc.ChannelReceive):
            call = proc.handle_object(op.handle).receive_nowait  # type: ignore[attr-defined]
        elif isinstance(op, sc.Close):
            call = proc.handle_object(op.handle).close  # type: ignore[attr-defined]
        elif isinstance(op, sc.Revoke):
            call = proc.handle_object(op.handle).revoke
        elif isinstance(op, sc.Send) and not op.caps and op.timeout == 0:
            port = proc.handle_object(op.handle)
            assert isinstance(port, Port)
            data = op.data
            call = lambda: port.send_nowait(data, op.msg_type, op.flags)  # noqa: E731
        elif isinstance(op, sc.ChannelSend) and op.timeout == 0:
            ch = proc.handle_object(op.handle)
            assert isinstance(ch, Channel)
            call = lambda: ch.send_nowait(op.data)  # noqa: E731
        if call is None:
            return self.system.apply(pid, op)
        return as_result(call)

    def block(self, pid: int, op: sc.Send | sc.ChannelSend) -> None:
        """Start ``op`` in a thread; return once the kernel holds it blocked."""
        h = self.procs[pid].handle_object(op.handle)
        timeout = None if op.timeout is None else float(op.timeout)
        if isinstance(op, sc.Send):
            assert isinstance(h, Port)
            port = h

            def call() -> object:
                port.send(op.data, op.msg_type, op.flags, timeout=timeout)
                return None
        else:
            assert isinstance(h, Channel)
            ch = h

            def call() -> object:
                ch.send_wait(op.data, timeout)
                return None

        def run() -> None:
            self.outcome[pid] = as_result(call)

        st = self.system.kernel.state
        obj = st.processes[pid].handles[op.handle].obj
        before = senders(self.system, st, obj)
        t = threading.Thread(target=run, name=f"thread {pid}", daemon=True)
        self.out[pid] = t
        t.start()
        ev = threading.Event()
        for _ in range(int(WAIT / 0.002)):
            if senders(self.system, st, obj) > before or not t.is_alive():
                return
            ev.wait(0.002)
        raise AssertionError(f"thread {pid}: the kernel never held its send")

    def collect(self, pid: int) -> Result:
        t = self.out.pop(pid)
        t.join(WAIT)
        assert not t.is_alive(), f"thread {pid}: its send never ended"
        return self.outcome.pop(pid)

    def close(self) -> None:
        """End every thread still out (a kill ends its send) and join it."""
        for p in list(self.procs.values()):
            if p._kp.alive:
                p.kill()
        for t in self.out.values():
            t.join(WAIT)


def senders(system: System, st: State, obj: object) -> int:
    with system.lock:
        return len(getattr(obj, "senders", None) or ())


def as_result(call: Callable[[], object]) -> Result:
    """What a facade call returned, or the error it raised, as a ``Result``."""
    try:
        value = call()
    except IpcException as e:
        return Err(e.error)
    if isinstance(value, Message):
        caps = tuple(None if c is None else c.handle for c in value.caps)
        value = Delivered(value.sender, value.msg_type, value.flags, value.data, caps)
    return Ok(value)  # type: ignore[arg-type]  # a facade call's value


def without_status(obs: dict[str, Any], pids: set[int]) -> dict[str, Any]:
    """``obs`` with the status of threads ``pids`` left out."""
    procs = {
        pid: {k: v for k, v in p.items() if k != "status" or pid not in pids}
        for pid, p in obs["processes"].items()
    }
    return {**obs, "processes": procs}


def run_lockstep(script: Script) -> list[Result]:
    """Run ``script`` on the spec and on the facade; every result and
    observation must agree (see the module). Returns the results."""
    want, seen = run_spec(script)
    facade = Threads()
    out: set[int] = set()
    try:
        for i, (item, expected, obs) in enumerate(zip(script, want, seen, strict=True)):
            if isinstance(item, Do):
                got = facade.do(item.pid, item.op)
            elif isinstance(item, Block):
                facade.block(item.pid, item.op)
                out.add(item.pid)
                got = expected  # the facade's thread answers at ``Collect``
            elif isinstance(item, Collect):
                got = facade.collect(item.pid)
                out.discard(item.pid)
            else:
                got = Ok(facade.system.advance_clock(item.ticks))
            assert got == expected, f"step {i} {item}: facade {got}, spec {expected}"
            mine = facade.system.kernel.observe()
            assert without_status(mine, out) == without_status(obs, out), (
                f"step {i} {item}: observations differ"
            )
        assert not out
        assert facade.system.kernel.observe() == seen[-1]
    finally:
        facade.close()
    return want


@pytest.mark.parametrize(
    ("script", "outcomes"),
    [
        (PORT_SCRIPT, ["Timeout", Ok(None), Ok(None), "PortClosed"]),
        (CHANNEL_SCRIPT, ["InvalidCapability", Ok(None), "Timeout"]),
    ],
    ids=["port", "channel"],
)
def test_the_script_agrees_with_the_spec(
    script: Script, outcomes: list[object]
) -> None:
    """Every step agrees; the blocked sends end as the script means them to
    (the error's name, or ``Ok(None)`` once served)."""
    results = run_lockstep(script)
    collected = [
        r if isinstance(r, Ok) else r.error.name
        for item, r in zip(script, results, strict=True)
        if isinstance(item, Collect)
    ]
    assert collected == outcomes


def test_a_kernel_serving_blocked_senders_last_first_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A seeded bug: blocked senders served last-in first-out."""

    def lifo(st: State, attempt: Any) -> None:
        for obj in sorted(st.sending, key=lambda o: o.id):
            while obj.senders and mblocking.has_room(obj):
                w = obj.senders[-1]
                assert isinstance(w, mblocking.Sender)
                again = replace(w.op, timeout=0)
                mblocking.wake_sender(st, w, attempt(st, w.proc, again))

    monkeypatch.setattr(mblocking, "serve", lifo)
    with pytest.raises(AssertionError, match=r"observations differ|facade"):
        run_lockstep(PORT_SCRIPT)
