"""The facade's fast paths agree with the spec, step by step.

``Port.send_nowait``/``receive_nowait`` and the channel fast paths skip the
operation records; driving them and ``spec.step`` with the same random
operations must give the same outcomes and the same observations.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.model import Channel, IpcException, Port, System
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Delivered, Err, Ok

CFG = Config(max_port_capacity=3, max_channel_capacity=4, max_channel_message=4)


def outcome(call: Callable[..., Any], *args: Any) -> Any:
    """The facade call's value, or the error it raised."""
    try:
        return ("ok", call(*args))
    except IpcException as e:
        return ("err", e.error)


def spec_outcome(result: Any) -> Any:
    if isinstance(result, Err):
        return ("err", result.error)
    assert isinstance(result, Ok)
    return ("ok", result.value)


@given(st.integers(0, 2**64 - 1))
def test_fast_paths_agree_with_spec(seed: int) -> None:
    rnd = random.Random(seed)
    system = System(CFG, clock="logical")
    proc = system.spawn()
    s = initial_state(1, CFG)
    ports: list[Port] = []
    chans: list[Channel] = []
    for _ in range(2):
        ports.append(proc.create_port(rnd.randint(1, 3)))
        s, _ = step(s, 1, sc.CreatePort(_capacity(system, ports[-1])))
        chans.append(proc.create_channel(rnd.randint(1, 4), 4))
        s, _ = step(s, 1, sc.CreateChannel(_ring(system, chans[-1])[0], 4))
    assert system.kernel.observe() == observe(s)
    for _ in range(60):
        kind = rnd.randrange(9)
        p, c = rnd.choice(ports), rnd.choice(chans)
        data = rnd.randbytes(rnd.choice([0, 1, 3, 5, 64, 65]))
        mt = rnd.choice([0, 1, -1, 2**32])
        if kind == 0:
            got = outcome(p.send_nowait, data, mt)
            s, r = step(s, 1, sc.Send(p.handle, mt, 0, data))
        elif kind == 1:
            got = outcome(p.receive_nowait)
            s, r = step(s, 1, sc.Receive(p.handle, 0))
            if got[0] == "ok":
                m = got[1]
                held = tuple(None if c is None else c.handle for c in m.caps)
                for c in m.caps:
                    if c is not None:
                        (ports if isinstance(c, Port) else chans).append(c)
                got = ("ok", Delivered(m.sender, m.msg_type, m.flags, m.data, held))
        elif kind == 8 and rnd.random() < 0.5:
            carried = rnd.sample([*ports, *chans], rnd.randint(1, 2))
            got = outcome(p.send, data[:8], 0, 0, carried, 0)
            handles = tuple(c.handle for c in carried)
            s, r = step(s, 1, sc.Send(p.handle, 0, 0, data[:8], handles))
        elif kind == 2:
            got = outcome(c.send_nowait, data)
            s, r = step(s, 1, sc.ChannelSend(c.handle, data))
        elif kind == 3:
            got = outcome(c.receive_nowait)
            s, r = step(s, 1, sc.ChannelReceive(c.handle))
        elif kind == 4:
            items = [rnd.randbytes(rnd.randint(0, 5)) for _ in range(rnd.randint(0, 4))]
            got = outcome(c.send_batch, items)
            s, r = step(s, 1, sc.ChannelSendBatch(c.handle, tuple(items)))
        elif kind == 5:
            n = rnd.randint(0, 5)
            got = outcome(c.receive_batch, n)
            if got[0] == "ok":
                got = ("ok", tuple(got[1]))
            s, r = step(s, 1, sc.ChannelReceiveBatch(c.handle, n))
        elif kind == 6:
            either: list[Port | Channel] = [p, c]
            closing = rnd.choice(either)
            got = outcome(closing.close)
            s, r = step(s, 1, sc.Close(closing.handle))
        elif kind == 7:
            h = rnd.choice([p, c])
            rights = rnd.choice([1, 2, 3])
            got = outcome(h.derive, rights)
            s, r = step(s, 1, sc.Derive(h.handle, rights))
            if got[0] == "ok":
                (ports if isinstance(h, Port) else chans).append(got[1])
                got = ("ok", got[1].handle)
        else:
            h = rnd.choice([*ports, *chans])
            got = outcome(h.drop)
            s, r = step(s, 1, sc.Drop(h.handle))
        assert got == spec_outcome(r), (kind, got, r)
        assert system.kernel.observe() == observe(s)


def _capacity(system: System, port: Port) -> int:
    obj = system.kernel.state.processes[port.process.pid].handles[port.handle].obj
    return obj.capacity  # type: ignore[attr-defined,no-any-return]


def _ring(system: System, ch: Channel) -> tuple[int, int]:
    obj = system.kernel.state.processes[ch.process.pid].handles[ch.handle].obj
    return obj.capacity, obj.max_message  # type: ignore[attr-defined]
