"""One iterator per layer over the hand-offs not yet collected (PORT-HANDOFF).

The spec's ``store.handoffs`` serves the port's capacity (``store.handed``,
which spec/ports.py and spec/blocking.py both use) and the sender's queued
bytes (``quotas.kept``); the
model's ``ports.handoffs`` serves its queued bytes (``quotas.queued_bytes``)
and ``ports.handoff_of`` its ``give_back``. A hand-off is listed from the
send that makes it until the ``Resume`` that collects it.
"""

from __future__ import annotations

from veridian_ipc.model import ports as mports
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.model.quotas import queued_bytes
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec import store as sports
from veridian_ipc.spec.quotas import kept
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.names import ObjId
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
)

#: Process 1 waits on its port; process 2 sends: the message is handed to 1.
SCRIPT: list[tuple[int, Operation, Result]] = [
    (1, CreatePort(4), Ok(1)),
    (1, Bind(1, "p", 0, 15), Ok(None)),
    (2, Lookup("p"), Ok(1)),
    (1, Receive(1, None), Ok(BLOCKED)),
    (2, Send(1, 0, 0, b"hello"), Ok(None)),
]


def spec_after_script() -> KernelState:
    s = initial_state(2)
    for pid, op, expected in SCRIPT:
        s, r = step(s, pid, op)
        assert r == expected, (op, r)
    return s


def test_the_spec_lists_an_uncollected_hand_off_until_resume() -> None:
    s = spec_after_script()
    listed = list(sports.handoffs(s))
    assert [w.handed for w in listed] == [ObjId(1)]
    assert sports.handed(s, ObjId(1)) == 1
    assert kept(s) == [Delivered(2, 0, 0, b"hello", ())]
    s, r = step(s, 1, Resume())
    assert r == Ok(Delivered(2, 0, 0, b"hello", ()))
    assert list(sports.handoffs(s)) == []
    assert sports.handed(s, ObjId(1)) == 0
    assert kept(s) == []


def test_the_model_lists_an_uncollected_hand_off_until_resume() -> None:
    k = Kernel(2)
    for pid, op, expected in SCRIPT:
        assert k.apply(pid, op) == expected, op
    st = k.state
    listed = list(mports.handoffs(st))
    assert len(listed) == 1
    assert listed[0] is mports.handoff_of(st.processes[1])
    assert listed[0].handed is st.objects[1]
    assert mports.handoff_of(st.processes[2]) is None
    assert queued_bytes(st, 2) == len(b"hello")  # kept, so still counted
    assert k.apply(1, Resume()) == Ok(Delivered(2, 0, 0, b"hello", ()))
    assert list(mports.handoffs(st)) == []
    assert queued_bytes(st, 2) == 0
