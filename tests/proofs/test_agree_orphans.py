"""The port and capability encodings agree with the spec on peer death:
bindings removed by a close (NS-BIND), and ports abandoned when nobody can
receive from them (PORT-CLOSE, spec/orphans.py), by a drop, a kill, and a send
that puts the last RECEIVE into its own port's queue."""

from __future__ import annotations

import dataclasses

from veridian_ipc.generation import SMALL, Step
from veridian_ipc.proofs import agreement, enc_ports
from veridian_ipc.proofs._smt import Term
from veridian_ipc.proofs.induction import Params, State, Transition, updated
from veridian_ipc.spec import initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.rights import GRANT, RECEIVE, SEND

#: P1 serves port 1 (bound as "a", SEND|GRANT); P2 sends a message carrying
#: its own port's only capability; P1 is killed. Then P2 makes port 3, binds
#: it as "b", and puts its only RECEIVE into its own queue; port 4 is closed
#: while bound, then a closed port is bound.
OPS: list[tuple[int, sc.Operation]] = [
    (1, sc.CreatePort(2)),
    (1, sc.Derive(1, SEND | GRANT)),
    (1, sc.Bind(2, "a", 0)),
    (2, sc.Lookup("a")),
    (2, sc.CreatePort(1)),
    (2, sc.Send(1, 0, 0, b"x", (2,))),
    (0, sc.Kill(1)),
    (2, sc.CreatePort(2)),
    (2, sc.Bind(3, "b", 0)),
    (2, sc.Derive(3, SEND)),
    (2, sc.Derive(3, RECEIVE | GRANT)),
    (2, sc.Send(4, 0, 0, b"y", ())),
    (2, sc.Drop(3)),
    (2, sc.Send(4, 0, 0, b"loop", (5,))),
    (2, sc.CreatePort(1)),
    (2, sc.Bind(6, "c", 0)),
    (2, sc.Close(6)),
    (2, sc.Bind(6, "d", 0)),
]


def _recorded() -> list[Step]:
    s = initial_state(2, SMALL)
    out: list[Step] = []
    for pid, op in OPS:
        after, result = step(s, pid, op)
        out.append(Step(s, pid, op, after, result))
        s = after
    return out


def test_the_run_abandons_ports() -> None:
    """The run does what it is for: three ports closed without ``Close``
    (and a fourth, P2's port 2 sent away to port 1 and destroyed with port
    1's queue, reclaimed: CAP-RECLAIM)."""
    last = _recorded()[-1].after
    assert len(last.namespace) == 0
    closed = [o for o in last.objects.values() if getattr(o, "closed", False)]
    assert len(closed) == 3
    assert sorted(last.objects) == [1, 3, 4]


def test_port_and_caps_encodings_agree_on_peer_death() -> None:
    for encoding in ("port", "caps"):
        check = agreement.CHECKERS[encoding]
        for i, rec in enumerate(_recorded()):
            out = check(rec.before, rec.pid, rec.op, rec.after, rec.result)
            assert out == [], f"{encoding} step {i}: {rec.op}: {out}"


def _abandon_keeps_queue(s: State, a: Params) -> tuple[Term, State]:
    """Broken: the port closes but its unreadable queue stays."""
    return s["nw"] >= 0, updated(s, closed=True, nw=0)


def test_a_broken_abandon_disagrees() -> None:
    """The check can fail: an encoding whose abandon keeps the queue."""
    broken = Transition(
        "abandon",
        enc_ports.SYSTEM.transition("abandon").rules,
        (),
        _abandon_keeps_queue,
    )
    swapped = tuple(
        broken if t.name == "abandon" else t for t in enc_ports.SYSTEM.transitions
    )
    bad = dataclasses.replace(enc_ports.SYSTEM, transitions=swapped)
    check = agreement.CHECKERS["port"]
    kill = _recorded()[6]
    assert isinstance(kill.op, sc.Kill)
    assert check(kill.before, kill.pid, kill.op, kill.after, kill.result, system=bad)
