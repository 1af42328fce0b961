"""The port and filter encodings model the slot a hand-off keeps (PORT-HANDOFF).

A message handed to a woken receiver counts against its port's capacity until
``Resume`` collects it; a kill of the receiver gives it back. The port
encoding counts these kept slots (``kept``), so the agreement no longer leaves
out a port with an uncollected hand-off. These tests drive the spec through
each case and show the check agrees with the real encoding and catches the
planted drifts (a ``Resume`` that keeps the slot, a ``PortFull`` that ignores
it), on a concrete trace and in the explored ``waiters`` scope.
"""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from veridian_ipc.proofs import agreement, enc_ports
from veridian_ipc.proofs.agree_explored import AGREE_SCOPES, agree_scope
from veridian_ipc.proofs.explore import explore
from veridian_ipc.proofs.faithful import apply, kept_slots
from veridian_ipc.proofs.induction import System, Transition
from veridian_ipc.proofs.step_properties_base import Transition as Move
from veridian_ipc.spec import Err, KernelState, Ok, initial_state, step
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config, ObjId, Pid
from veridian_ipc.vocabulary.rights import PORT_RIGHTS


def _broken(t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in enc_ports.SYSTEM.transitions)
    return dataclasses.replace(enc_ports.SYSTEM, transitions=swapped)


COLLECT_KEEPS = _broken(enc_ports.COLLECT_KEEPS_SLOT)
SEND_IGNORES = _broken(enc_ports.SEND_IGNORES_KEPT)


def _handed_off(processes: int = 2) -> KernelState:
    """A port of capacity 1 whose one message was handed to process 2, which
    has not collected it (process 3, if any, holds a handle too)."""
    s = initial_state(processes, Config(max_port_capacity=2))
    ops: list[tuple[int, sc.Operation]] = [
        (1, sc.CreatePort(1)),
        (1, sc.Bind(1, "n", 0, PORT_RIGHTS)),
        *[(p, sc.Lookup("n")) for p in range(2, processes + 1)],
        (2, sc.Receive(1, None)),
        (1, sc.Send(1, 0, 0, b"m")),
    ]
    for pid, op in ops:
        s, result = step(s, Pid(pid), op)
        assert isinstance(result, Ok), (op, result)
    assert kept_slots(s, ObjId(1)) == 1
    return s


def _check(
    s: KernelState, pid: int, op: sc.Operation, system: System | None = None
) -> tuple[list[str], KernelState, object]:
    after, result = step(s, Pid(pid), op)
    found = agreement.CHECKERS["port"](s, pid, op, after, result, system)
    return found, after, result


def test_a_send_while_the_hand_off_is_uncollected_is_port_full() -> None:
    s = _handed_off()
    found, _, result = _check(s, 1, sc.Send(1, 0, 0, b"x"))
    assert isinstance(result, Err)
    assert found == []
    assert agreement.CHECKERS["filter"](s, 1, sc.Send(1, 0, 0, b"x"), s, result) == []
    found, _, _ = _check(s, 1, sc.Send(1, 0, 0, b"x"), SEND_IGNORES)
    assert found
    assert "guard True" in found[0]


def test_resume_releases_the_kept_slot() -> None:
    s = _handed_off()
    found, after, _ = _check(s, 2, sc.Resume())
    assert found == []
    assert kept_slots(after, ObjId(1)) == 0
    found, _, _ = _check(s, 2, sc.Resume(), COLLECT_KEEPS)
    assert any(d.startswith("port 1: kept") for d in found)


def test_a_killed_receiver_gives_the_message_back_to_the_queue_head() -> None:
    s = _handed_off()
    found, after, _ = _check(s, 1, sc.Kill(2))
    assert found == []
    pt = after.objects[ObjId(1)]
    assert isinstance(pt, Port)
    assert [m.data for m in pt.queue] == [b"m"]


def test_a_killed_receiver_gives_the_message_to_the_next_waiter() -> None:
    s = _handed_off(3)
    s, result = step(s, Pid(3), sc.Receive(1, None))
    assert isinstance(result, Ok)
    found, after, _ = _check(s, 1, sc.Kill(2))
    assert found == []
    assert kept_slots(after, ObjId(1)) == 1  # now process 3's


def test_the_skip_of_ports_with_a_kept_slot_is_gone() -> None:
    faithful = importlib.import_module("veridian_ipc.proofs.faithful")
    assert not hasattr(faithful, "keeps_a_slot")


def test_the_waiters_scope_checks_ports_with_an_uncollected_hand_off() -> None:
    """The transitions the agreement used to leave out are reached and
    judged: kills (give back) and resumes (collect) among them."""
    ops: dict[str, int] = {}

    def visit(t: Move) -> None:
        for obj, o in t.pre.objects.items():
            if isinstance(o, Port) and kept_slots(t.pre, obj):
                name = type(t.op).__name__
                ops[name] = ops.get(name, 0) + 1
                labels = [
                    i.label
                    for i in agreement.CHECKERS["port"].instances(
                        t.pre, t.pid, t.op, t.post, t.result
                    )
                ]
                assert f"port {obj}" in labels

    scope = AGREE_SCOPES["waiters"]
    explore(scope, depth=3, properties=False, visit=visit)
    assert sum(ops.values()) >= 50
    assert {"Kill", "Resume", "Send"} <= set(ops)


@pytest.mark.parametrize("system", [COLLECT_KEEPS, SEND_IGNORES])
def test_a_kept_slot_drift_disagrees_in_the_waiters_scope(system: System) -> None:
    r = agree_scope(AGREE_SCOPES["waiters"], systems={"port": system})
    assert r.search.violation is not None
    assert r.search.violation.id == "AGREE/port"


def test_a_reclaimed_port_takes_its_kept_slot_with_it() -> None:
    """CAP-RECLAIM: the port's last capability goes while its hand-off is
    uncollected; the encoding's ``reclaim`` releases the slot (an
    ``abandon`` would keep it counted, and disagree)."""
    s = _handed_off()
    s, result = step(s, Pid(1), sc.Revoke(1))
    assert isinstance(result, Ok)
    drop = sc.Drop(1)
    found, after, _ = _check(s, 1, drop)
    assert ObjId(1) not in after.objects
    assert found == []
    part = agreement.CHECKERS["port"]
    (inst,) = [i for i in part.instances(s, 1, drop, after, Ok(None)) if i.steps]
    assert inst.steps[-1][0] == "reclaim"
    _, post = apply(part.system, inst.pre, [("abandon", {})])
    assert any(d.startswith("kept") for d in inst.compare(post))
