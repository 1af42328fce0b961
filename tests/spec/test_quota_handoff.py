"""The queued-bytes quota and PORT-HANDOFF (spec/quotas.py): a message counts
against its sender from the send until a receiver collects it, whether it
waits in the queue or in a woken receiver's kept slot.

Two ways past ``max_queued_bytes`` that a free hand-off allowed: a send whose
every waiter is woken with ``OutOfMemory`` queued its message unchecked, and
a hand-off given back to the queue by the receiver's death counted again.
Each test below runs on the spec (``World`` checks every step) and on the
model, which must give the same results."""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Config, Err, IpcError, Ok, Result, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.quotas import kept, queued_bytes
from veridian_ipc.spec.state import KernelState, Port, Waiting, Woken
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
)

from .conftest import World

OOM = Err(IpcError.OutOfMemory)

#: Process 2 owns port handle 1 (capacity 2) bound as "in"; process 1 holds
#: handle 1 (SEND, through Lookup) and handle 2, a port of its own.
SETUP: list[tuple[int, Operation]] = [
    (2, CreatePort(2)),
    (2, Bind(1, "in", 0, PORT_RIGHTS)),
    (1, Lookup("in")),
    (1, CreatePort(1)),
]

#: Bug 1: the only waiter has no room for the carried capability.
UNFIT_WAITER: list[tuple[int, Operation]] = [
    *SETUP,
    (2, Derive(1, SEND)),  # process 2's table is full (max_handles=2)
    (2, Receive(1, None)),
    (1, Send(1, 0, 0, b"ab", (2,))),  # 6: over the quota, waiter or not
    (1, Send(1, 0, 0, b"a", (2,))),  # 7: within it: the waiter is refused
    (2, Resume()),
]

#: Bug 2: a hand-off given back to the head of the queue by a kill.
KILLED_RECEIVER: list[tuple[int, Operation]] = [
    *SETUP,
    (2, Receive(1, None)),
    (1, Send(1, 0, 0, b"a", ())),  # 5: handed off, counted in the kept slot
    (1, Send(1, 0, 0, b"b", ())),  # 6: would take process 1 to 2 bytes
    (1, Kill(2)),  # the hand-off goes back to the queue
]


def _run(config: Config, steps: list[tuple[int, Operation]]) -> tuple[World, Kernel]:
    """``steps`` on the spec (every step checked) and the model, in lock-step."""
    w = World(2, config)
    k = Kernel(2, config)
    for pid, op in steps:
        want = w.do(pid, op)
        got = k.apply(pid, op)
        assert got == want, (op, got, want)
    return w, k


def _results(config: Config, steps: list[tuple[int, Operation]]) -> list[Result]:
    s: KernelState = initial_state(2, config)
    out: list[Result] = []
    for pid, op in steps:
        s, r = step(s, pid, op)
        out.append(r)
    return out


def _port(s: KernelState, obj: int) -> Port:
    o = s.objects[ObjId(obj)]
    assert isinstance(o, Port)
    return o


def test_send_to_unfit_waiters_is_checked_like_any_send() -> None:
    """PORT-SEND checks the quota before waiters are refused: a send over it
    fails and the waiter keeps waiting; one within it wakes the unfit waiter
    with OutOfMemory and is queued (nothing lost)."""
    config = Config(max_handles=2, max_queued_bytes=1)
    rs = _results(config, UNFIT_WAITER)
    assert rs[6] == OOM
    assert rs[7] == Ok(None)
    assert rs[8] == OOM  # the waiter's receive: no room for the capability
    w, _ = _run(config, UNFIT_WAITER[:7])
    assert isinstance(w.s.processes[Pid(2)].status, Waiting)
    assert queued_bytes(w.s, Pid(1)) == 0
    w, _ = _run(config, UNFIT_WAITER)
    assert queued_bytes(w.s, Pid(1)) == 1
    assert [m.data for m in _port(w.s, 1).queue] == [b"a"]


def test_a_handed_off_message_counts_until_collected() -> None:
    """The kept slot counts: a second send is refused while the first is
    uncollected, and the kill that gives it back keeps the sender within its
    quota; collecting it gives the bytes back."""
    config = Config(max_queued_bytes=1)
    rs = _results(config, KILLED_RECEIVER)
    assert rs[5] == Ok(None)
    assert rs[6] == OOM
    w, _ = _run(config, KILLED_RECEIVER[:6])
    assert [d.data for d in kept(w.s)] == [b"a"]
    assert queued_bytes(w.s, Pid(1)) == 1
    w, _ = _run(config, KILLED_RECEIVER)
    assert kept(w.s) == []
    assert [m.data for m in _port(w.s, 1).queue] == [b"a"]
    assert queued_bytes(w.s, Pid(1)) == 1
    collected = [*KILLED_RECEIVER[:6], (2, Resume()), (1, Send(1, 0, 0, b"b", ()))]
    rs = _results(config, collected)
    assert rs[-1] == Ok(None)
    w, _ = _run(config, collected)
    assert queued_bytes(w.s, Pid(1)) == 1


#: Three processes: 1 and 2 wait on process 3's port "n", 2's table full
#: (max_handles=2); 3's send carrying a capability is handed to 1, then 1 is
#: killed before collecting it.
GIVEN_BACK_NO_ROOM: list[tuple[int, Operation]] = [
    (3, CreatePort(1)),
    (3, Bind(1, "n", 0, SEND | RECEIVE)),
    (1, Lookup("n")),
    (2, Lookup("n")),
    (2, CreatePort(1)),  # process 2's table is full
    (1, Receive(1, None)),
    (2, Receive(1, None)),
    (3, Derive(1, SEND | GRANT)),
    (3, Send(1, 1, 0, b"", (2,))),  # handed to process 1
    (3, Kill(1)),  # given back: process 2 has no room for the capability
]


def test_a_message_given_back_skips_a_waiter_without_room() -> None:
    """PORT-HANDOFF, as at the send: a hand-off given back by its receiver's
    death goes to the next waiter only if that waiter's table has room for
    its capabilities; a waiter without room is woken with OutOfMemory and the
    message goes to the head of the queue (no table over ``max_handles``)."""
    config = Config(max_handles=2, max_objects=4, max_queued_bytes=1)
    w = World(3, config)
    k = Kernel(3, config)
    for pid, op in GIVEN_BACK_NO_ROOM:
        want = w.do(pid, op)
        got = k.apply(pid, op)
        assert got == want, (op, got, want)
    status = w.s.processes[Pid(2)].status
    assert status == Woken(OOM)
    assert len(table_of(w.s, Pid(2)).handles) == 2
    queue = _port(w.s, 1).queue
    assert len(queue) == 1
    assert len(queue[0].caps) == 1
    assert w.do(2, Resume()) == OOM
    assert k.apply(2, Resume()) == OOM
    assert k.observe() == observe(w.s)
