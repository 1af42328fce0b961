"""The quota encoding decides OutOfMemory, and the ``quota`` scope is checked.

``enc_quota`` models the three quotas of spec/quotas.py (handles and queued
bytes per process, objects per system); ``agree_quota`` ties it to the spec:
when every other check passed (the spec's result is ``Ok`` or
``OutOfMemory``), its guard must hold exactly when the spec succeeded. A step
it refuses is a failed step to every other encoding. These tests run the
``quota`` scope, which reaches ``OutOfMemory``, and show that each quota off
by one is caught, and that without the quota encoding the scope disagrees.
"""

from __future__ import annotations

import dataclasses

import pytest

from veridian_ipc.proofs import agreement
from veridian_ipc.proofs._smt import BoolVal, value
from veridian_ipc.proofs.agree_explored import AGREE_SCOPES, PARTS, agree_scope
from veridian_ipc.proofs.agree_quota import out_of_memory, quota_state
from veridian_ipc.proofs.enc_quota import (
    CREATE_OVER,
    ENQUEUE_OVER,
    INSTALL_OVER,
    SYSTEM,
)
from veridian_ipc.proofs.explore import explore
from veridian_ipc.proofs.faithful import apply
from veridian_ipc.proofs.induction import System, Transition
from veridian_ipc.proofs.step_properties_base import Transition as Move
from veridian_ipc.spec import Err, KernelState, Ok, RuleId, initial_state, step
from veridian_ipc.spec.state import Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config, Pid


def _broken(t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in SYSTEM.transitions)
    return dataclasses.replace(SYSTEM, transitions=swapped)


def test_the_quota_scope_agrees_and_reaches_out_of_memory() -> None:
    refused: dict[str, int] = {}

    def visit(t: Move) -> None:
        if out_of_memory(t.result):
            name = type(t.op).__name__
            refused[name] = refused.get(name, 0) + 1

    scope = AGREE_SCOPES["quota"]
    explore(scope, depth=3, properties=False, visit=visit)
    assert {"CreatePort", "Derive"} <= set(refused)
    r = agree_scope(scope)
    assert r.ok, "\n".join(r.search.violation.lines()) if r.search.violation else ""
    assert set(r.steps_checked) == set(PARTS)


def test_without_the_quota_encoding_the_quota_scope_disagrees() -> None:
    """The other encodings do not model OutOfMemory: alone they disagree."""
    r = agree_scope(AGREE_SCOPES["quota"], parts=agreement.CHECKERS)
    assert r.search.violation is not None
    assert "OutOfMemory" in r.search.violation.message


@pytest.mark.parametrize("drift", [INSTALL_OVER, CREATE_OVER])
def test_a_quota_off_by_one_disagrees_in_the_quota_scope(drift: Transition) -> None:
    r = agree_scope(AGREE_SCOPES["quota"], systems={"quota": _broken(drift)})
    assert r.search.violation is not None
    assert r.search.violation.id == "AGREE/quota"


def test_the_queued_bytes_quota_off_by_one_disagrees() -> None:
    """A second byte queued by a sender whose quota is one byte is refused;
    the drifted encoding lets it through."""
    s = initial_state(1, Config(max_port_capacity=4, max_queued_bytes=1))
    for op in (sc.CreatePort(4), sc.Send(1, 0, 0, b"a")):
        s, result = step(s, Pid(1), op)
        assert isinstance(result, Ok)
    send = sc.Send(1, 0, 0, b"b")
    after, result = step(s, Pid(1), send)
    assert isinstance(result, Err)
    assert out_of_memory(result)
    part = PARTS["quota"]
    assert part(s, 1, send, after, result) == []
    found = part(s, 1, send, after, result, _broken(ENQUEUE_OVER))
    assert found
    assert "guard True" in found[0]
    # a send of nothing is not charged
    empty = sc.Send(1, 0, 0, b"")
    after, result = step(s, Pid(1), empty)
    assert isinstance(result, Ok)
    assert part(s, 1, empty, after, result) == []


@pytest.mark.parametrize("control", [INSTALL_OVER, ENQUEUE_OVER, CREATE_OVER])
def test_each_quota_control_stands_in_for_its_transition(control: Transition) -> None:
    real = SYSTEM.transition(control.name)
    assert [p.name for p in real.params] == [p.name for p in control.params]


def test_every_part_alone_sees_a_quota_refusal_as_a_failed_step() -> None:
    """Called on its own (random runs do), each part asks the quota encoding:
    a send refused for its queued bytes changes no port, filter or table."""
    s = initial_state(1, Config(max_port_capacity=4, max_queued_bytes=1))
    for op in (sc.CreatePort(4), sc.Send(1, 0, 0, b"a")):
        s, _ = step(s, Pid(1), op)
    send = sc.Send(1, 0, 0, b"b")
    after, result = step(s, Pid(1), send)
    assert out_of_memory(result)
    for name, part in agreement.CHECKERS.items():
        assert part(s, 1, send, after, result) == [], name
    # told the step was not refused, the port encoding disagrees
    assert agreement.CHECKERS["port"](s, 1, send, after, result, refused=False)


def test_a_waiter_without_handle_room_is_woken_and_the_message_queued() -> None:
    """spec/quotas.py: a send wakes, with OutOfMemory, each waiter whose table
    has no room for the message's capabilities; the port encoding sees a
    ``wake_one`` for each, then the offer (queued: nobody else waits)."""
    s = initial_state(2, Config(max_port_capacity=4, max_handles=2))
    ops: list[tuple[int, sc.Operation]] = [
        (1, sc.CreatePort(4)),
        (1, sc.Bind(1, "n", 0, 15)),
        (2, sc.Lookup("n")),
        (2, sc.CreatePort(1)),
        (2, sc.Receive(1, None)),
        (1, sc.Derive(1, 8)),
    ]
    for pid, op in ops:
        s, result = step(s, Pid(pid), op)
        assert isinstance(result, Ok), (op, result)
    send = sc.Send(1, 0, 0, b"", (2,))
    after, result = step(s, Pid(1), send)
    assert isinstance(result, Ok)
    p2 = after.processes[Pid(2)]
    assert isinstance(p2.status, Woken)
    assert isinstance(p2.status.result, Err)
    for name in ("quota", "port", "filter"):
        assert PARTS[name](s, 1, send, after, result) == [], name
    ports = PARTS["port"]
    (inst,) = [i for i in ports.instances(s, 1, send, after, result) if i.steps]
    assert [n for n, _ in inst.steps] == ["wake_one", "send"]
    # without the refused waiter's wake the encoding hands the message off
    ok, post = apply(ports.system, inst.pre, inst.steps[1:])
    assert ok
    assert inst.compare(post) != []


def _handed_off() -> tuple[KernelState, sc.Send, KernelState, object]:
    """Process 2 waits on its port; process 1 sends it one byte (handed off,
    not yet collected). Returns the send's pre-state, send, post and result."""
    s = initial_state(2, Config(max_queued_bytes=1))
    for pid, op in (
        (2, sc.CreatePort(2)),
        (2, sc.Bind(1, "n", 0, 15)),
        (1, sc.Lookup("n")),
        (2, sc.Receive(1, None)),
    ):
        s, result = step(s, Pid(pid), op)
        assert isinstance(result, Ok), (op, result)
    send = sc.Send(1, 0, 0, b"a")
    after, result = step(s, Pid(1), send)
    assert result == Ok(None)
    return s, send, after, result


def test_the_projection_counts_a_kept_handoff_slot() -> None:
    """PORT-HANDOFF: a hand-off's bytes count against its sender until
    collected, in the projection as in the spec; a second send is refused
    and the encoding refuses it too."""
    s, send, after, result = _handed_off()
    assert value(quota_state(after)["b"][1]) == 1
    part = PARTS["quota"]
    assert part(s, 1, send, after, result) == []
    again = sc.Send(1, 0, 0, b"b")
    post, refused = step(after, Pid(1), again)
    assert out_of_memory(refused)
    assert part(after, 1, again, post, refused) == []
    collected, got = step(after, Pid(2), sc.Resume())
    assert isinstance(got, Ok)
    assert value(quota_state(collected)["b"][1]) == 0


def test_a_free_handoff_encoding_disagrees() -> None:
    """The old rule as a drift (a send's bytes never charged): the hand-off's
    charge differs from the spec's."""
    s, send, after, result = _handed_off()
    found = PARTS["quota"](s, 1, send, after, result, _broken(ENQUEUE_FREE))
    assert found
    assert "b[1]" in found[0]


#: Broken: a send's bytes are never charged (a hand-off "queues nothing").
ENQUEUE_FREE = Transition(
    "enqueue",
    (RuleId.PORT_SEND,),
    SYSTEM.transition("enqueue").params,
    lambda st, a: (BoolVal(True), st),
)
