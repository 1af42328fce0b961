"""CAP-RECLAIM in the model (model/reclaim.py): what the spec destroys the
model destroys, by reference sets and a walk back from the objects that lost
a capability; memory goes with the object."""

from __future__ import annotations

import pytest

from veridian_ipc.model import Kernel
from veridian_ipc.model import orphans as model_orphans
from veridian_ipc.model.reclaim import unreachable_from
from veridian_ipc.model.state import Buffer, Port
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import GRANT, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelSend,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Kill,
    Lookup,
    MapBuffer,
    Operation,
    Send,
    Unbind,
    WriteBuffer,
)

Steps = list[tuple[int, Operation]]


def _lockstep(steps: Steps, processes: int = 2) -> Kernel:
    """Run ``steps`` on the model and the spec; results and observations
    agree after every step."""
    k = Kernel(processes=processes)
    s = initial_state(processes)
    for pid, op in steps:
        s, want = step(s, pid, op)
        assert k.apply(pid, op) == want, op
        assert k.observe() == observe(s), op
    return k


def test_the_last_capability_of_each_kind_dropped() -> None:
    k = _lockstep(
        [
            (1, CreatePort(2)),
            (1, CreateChannel(2, 4)),
            (1, ChannelSend(2, b"x")),
            (1, CreateBuffer(8)),
            (1, MapBuffer(3, True)),
            (1, WriteBuffer(1, 0, b"abc")),
            (1, Drop(1)),
            (1, Drop(2)),
            (1, Drop(3)),
        ]
    )
    assert k.state.objects == {}


def test_a_buffer_s_memory_goes_with_it() -> None:
    k = Kernel(processes=1)
    h = k.apply(1, CreateBuffer(16))
    assert isinstance(h, Ok)
    assert isinstance(h.value, int)
    buf = k.state.objects[1]
    assert isinstance(buf, Buffer)
    k.apply(1, Drop(h.value))
    assert buf.mem is None
    assert k.state.objects == {}


def test_cycles_kill_unbind_and_queued_cargo() -> None:
    _lockstep(
        [
            (1, CreatePort(2)),
            (1, CreateChannel(1, 1)),
            (1, Derive(1, SEND | GRANT)),
            (1, Send(3, 0, 0, b"", (1, 2))),  # a self-cycle with cargo
            (1, Send(3, 0, 0, b"")),
            (1, Drop(3)),
            (2, CreatePort(1)),
            (1, CreatePort(1)),
            (1, Bind(4, "n", 0)),
            (2, Lookup("n")),
            (0, Kill(2)),
            (1, Drop(4)),
            (1, Lookup("n")),
            (1, Unbind(5, "n")),
            (1, Drop(5)),
        ]
    )


def test_the_walk_alone_reclaims_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """With PORT-CLOSE's abandoning switched off (every port counted
    receivable), the walk back from the suspects still finds the self-cycle
    and destroys it with what it carries."""
    monkeypatch.setattr(
        model_orphans,
        "receivable",
        lambda st: {o for o in st.objects.values() if type(o) is Port},
    )
    k = Kernel(processes=1)
    for op in (
        CreatePort(2),
        CreateChannel(1, 1),
        Derive(1, SEND | GRANT),
        Send(3, 0, 0, b"", (1, 2)),
    ):
        assert isinstance(k.apply(1, op), Ok), op
    port = k.state.objects[1]
    assert isinstance(port, Port)
    assert not port.closed  # not abandoned: the walk must do the work
    assert unreachable_from(port) == set()  # the SEND copy is still held
    assert isinstance(k.apply(1, Drop(3)), Ok)
    assert k.state.objects == {}
    assert port.queue is None
