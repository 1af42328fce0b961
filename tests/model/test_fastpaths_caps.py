"""The facade's capability fast path agrees with the spec, step by step.

``Port.send(..., caps=[...])`` admits a message carrying capabilities itself
when every check of PORT-SEND passes, and ``receive_nowait`` installs and wraps
the carried capabilities; anything else goes through the rule. Driving them and
``spec.step`` with the same random operations (repeated, dropped, revoked,
mapped and GRANT-less capabilities, the port's own handle, too many, closed and
full ports) must give the same outcomes and the same observations.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.model import Handle, IpcException, Port, System
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Delivered, Err, Ok

CFG = Config(max_port_capacity=3, max_channel_capacity=4, max_channel_message=4)


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The facade call's value, or the error it raised."""
    try:
        return ("ok", call(*args, **kwargs))
    except IpcException as e:
        return ("err", e.error)


def spec_outcome(result: Any) -> Any:
    if isinstance(result, Err):
        return ("err", result.error)
    assert isinstance(result, Ok)
    return ("ok", result.value)


@given(st.integers(0, 2**64 - 1))
def test_caps_fast_path_agrees_with_spec(seed: int) -> None:
    rnd = random.Random(seed)
    system = System(CFG, clock="logical")
    proc = system.spawn()
    s = initial_state(1, CFG)
    ports: list[Port] = []
    pool: list[Handle] = []  # every handle object seen, live or not
    for _ in range(2):
        capacity = rnd.randint(1, 3)
        ports.append(proc.create_port(capacity))
        s, _ = step(s, 1, sc.CreatePort(capacity))
    for _ in range(3):
        pool.append(proc.create_channel(2, 4))
        s, _ = step(s, 1, sc.CreateChannel(2, 4))
    pool.append(proc.create_buffer(8))
    s, _ = step(s, 1, sc.CreateBuffer(8))
    assert system.kernel.observe() == observe(s)
    for _ in range(60):
        kind = rnd.randrange(8)
        p = rnd.choice(ports)
        if kind <= 2:
            n = rnd.choice([0, 1, 2, 4, 4, 5])
            carried = [rnd.choice([*pool, *ports]) for _ in range(n)]
            data = rnd.randbytes(rnd.choice([0, 8, 64, 65]))
            mt = rnd.choice([0, 0, 0, -1])
            got = outcome(p.send, data, mt, 0, carried, 0)
            handles = tuple(c.handle for c in carried)
            s, r = step(s, 1, sc.Send(p.handle, mt, 0, data, handles))
        elif kind <= 4:
            got = outcome(p.receive_nowait)
            s, r = step(s, 1, sc.Receive(p.handle, 0))
            if got[0] == "ok":
                m = got[1]
                for c in m.caps:
                    if c is not None:
                        (ports if isinstance(c, Port) else pool).append(c)
                held = tuple(None if c is None else c.handle for c in m.caps)
                got = ("ok", Delivered(m.sender, m.msg_type, m.flags, m.data, held))
        elif kind == 5:
            h = rnd.choice([*pool, *ports])
            rights = rnd.choice([0x01, 0x03, 0x08, 0x09, 0x0F, 0x18, 0x38])
            got = outcome(h.derive, rights)
            s, r = step(s, 1, sc.Derive(h.handle, rights))
            if got[0] == "ok":
                (ports if isinstance(got[1], Port) else pool).append(got[1])
                got = ("ok", got[1].handle)
        elif kind == 6:
            h = rnd.choice([*pool, *ports])
            if rnd.random() < 0.5:
                got = outcome(h.revoke)
                s, r = step(s, 1, sc.Revoke(h.handle))
            else:
                got = outcome(h.drop)
                s, r = step(s, 1, sc.Drop(h.handle))
        else:
            bufs = [b for b in pool if type(b).__name__ == "SharedBuffer"]
            if bufs and rnd.random() < 0.7:
                b = rnd.choice(bufs)
                got = outcome(b.map, False)  # type: ignore[attr-defined]
                if got[0] == "ok":
                    got = ("ok", got[1].mapping)
                s, r = step(s, 1, sc.MapBuffer(b.handle, False))
            else:
                got = outcome(p.close)
                s, r = step(s, 1, sc.Close(p.handle))
        assert got == spec_outcome(r), (kind, got, r)
        assert system.kernel.observe() == observe(s)


def test_moving_a_capability_ends_only_the_receives_waiting_through_it() -> None:
    """A receive waiting through a capability that the fast path sends away
    ends with ``InvalidCapability``; one waiting on the same port through
    another handle keeps waiting and gets the next message."""
    system = System()
    proc = system.spawn()
    target = proc.create_port()
    sibling = target.derive(0x0F)
    moved = target.derive(0x0F)
    carrier = proc.create_port()
    outs: dict[str, list[Any]] = {"sibling": [], "moved": []}

    def wait(name: str, port: Port) -> threading.Thread:
        def run() -> None:
            try:
                outs[name].append(port.receive(timeout=10.0))
            except IpcException as e:
                outs[name].append(e.error)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    t1 = wait("sibling", sibling)
    _wait_for_waiters(target, 1)
    t2 = wait("moved", moved)
    _wait_for_waiters(target, 2)
    carrier.send(b"m", caps=[moved])
    t2.join(10.0)
    assert outs["moved"] == [IpcError.InvalidCapability]
    assert t1.is_alive()
    target.send_nowait(b"x")
    t1.join(10.0)
    assert [m.data for m in outs["sibling"]] == [b"x"]
    (got,) = carrier.receive_nowait().caps
    assert isinstance(got, Port)
    assert got.handle not in (moved.handle, sibling.handle)
    got.send_nowait(b"y")
    assert target.receive_nowait().data == b"y"


def _wait_for_waiters(port: Port, n: int) -> None:
    for _ in range(10_000):
        with port._lock:
            obj = port._kp.handles[port.handle].obj
            if len(obj.waiters or ()) >= n:  # type: ignore[attr-defined]
                return
        time.sleep(0.001)
    raise AssertionError("receiver never blocked")
