"""The exhaustive small-scope check of the spec (``proofs.explore``).

The CI scopes are clean on the spec (no false alarm); a seeded bug is found
with the shortest trace, and replaying that trace on the spec reproduces it;
each step property fails on a transition that breaks it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from veridian_ipc.proofs.explore import explore, verdict_line
from veridian_ipc.proofs.explore_scopes import CI_SCOPES, SCOPES, candidates
from veridian_ipc.proofs.spec_mutants import applied
from veridian_ipc.proofs.step_properties import PROPERTIES, Transition, failures
from veridian_ipc.spec import Err, IpcError, KernelState, Ok, initial_state, step
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

P1 = Pid(1)


@pytest.mark.parametrize("name", CI_SCOPES)
def test_ci_scope_is_clean_on_the_spec(name: str) -> None:
    r = explore(SCOPES[name])
    assert r.violation is None, "\n".join(r.violation.lines())
    assert r.states > 1
    assert r.transitions >= r.states - 1
    assert r.complete_depth == len(r.per_depth)


def test_scopes_reach_their_interesting_cases() -> None:
    """Each scope offers the operations it is named for."""
    s = initial_state(SCOPES["messages"].processes, SCOPES["messages"].config)
    s, _ = step(s, P1, sc.CreatePort(2))
    s, _ = step(s, P1, sc.Derive(1, 0b1001))
    s, _ = step(s, P1, sc.Derive(1, 0b1001))
    ops = [op for _, op in candidates(SCOPES["messages"], s)]
    assert any(isinstance(op, sc.Send) and len(op.caps) == 2 for op in ops)
    time_ops = [op for _, op in candidates(SCOPES["time"], s)]
    timeouts = {op.timeout for op in time_ops if isinstance(op, sc.Receive)}
    assert {-1, 0}.issubset(timeouts)
    assert SCOPES["waiters"].processes == 3


def test_a_bug_is_found_with_the_shortest_trace() -> None:
    with applied("send-without-grant"):
        r = explore(SCOPES["core"])
        shallower = explore(SCOPES["core"], depth=2)
    assert r.violation is not None
    assert shallower.violation is None
    v = r.violation
    assert v.id == "STEP-RIGHTS-NEEDED"
    assert len(v.trace) == 3
    assert "violated after 3 steps" in v.lines()[0]
    # the trace replays on the mutant: the same results, step by step
    with applied("send-without-grant"):
        s = initial_state(SCOPES["core"].processes, SCOPES["core"].config)
        for t in v.trace:
            s, result = step(s, t.pid, t.op)
            assert result == t.result
    # and on the real spec the last step is refused
    s = initial_state(SCOPES["core"].processes, SCOPES["core"].config)
    for t in v.trace[:-1]:
        s, _ = step(s, t.pid, t.op)
    assert step(s, v.trace[-1].pid, v.trace[-1].op)[1] == Err(
        IpcError.InsufficientRights
    )


def test_an_invariant_violation_is_reported() -> None:
    with applied("drop-no-reparent"):
        r = explore(SCOPES["core"])
    assert r.violation is not None
    assert r.violation.kind == "invariant"
    assert "INV-DERIVATION-TREE" in r.violation.id


def test_verdict_line_leads_with_the_verdict() -> None:
    r = explore(SCOPES["channels"], depth=2)
    assert verdict_line([r]).startswith("exhaustive check: clean: 1 scopes")
    with applied("channel-lifo"):
        bad = explore(SCOPES["channels"])
    assert "VIOLATION in channels" in verdict_line([r, bad])


# -- each property fails on a transition that breaks it -----------------------------


def _with_port(queue: int = 0) -> tuple[KernelState, int]:
    s = initial_state(2)
    s, _ = step(s, P1, sc.CreatePort(2))
    for i in range(queue):
        s, _ = step(s, P1, sc.Send(1, i, 0, b"", ()))
    return s, 1


def _failing(t: Transition) -> set[str]:
    return {p.id for p, _ in failures(t)}


def test_every_property_passes_a_real_transition() -> None:
    s, h = _with_port(1)
    op = sc.Receive(h, 0)
    post, result = step(s, P1, op)
    assert _failing(Transition(s, P1, op, result, post)) == set()


def test_lost_message_breaks_conservation() -> None:
    s, h = _with_port(0)
    op = sc.Send(h, 1, 0, b"", ())
    t = Transition(s, P1, op, Ok(None), s)
    assert "STEP-MESSAGES-CONSERVED" in _failing(t)
    assert "STEP-DETERMINISTIC" in _failing(t)


def test_state_change_on_error_breaks_atomicity() -> None:
    s, h = _with_port(0)
    post, _ = step(s, P1, sc.CreatePort(1))
    t = Transition(s, P1, sc.Receive(h, 0), Err(IpcError.WouldBlock), post)
    assert "STEP-ATOMIC" in _failing(t)


def test_reordered_delivery_breaks_fifo() -> None:
    s, h = _with_port(2)
    op = sc.Receive(h, 0)
    post, result = step(s, P1, op)
    assert isinstance(result, Ok)
    assert isinstance(result.value, Delivered)
    wrong = Ok(replace(result.value, msg_type=1))
    assert "STEP-FIFO" in _failing(Transition(s, P1, op, wrong, post))


def test_empty_bucket_breaks_the_rate_property() -> None:
    s, h = _with_port(0)
    s, _ = step(s, P1, sc.SetFilter(h, None, None, sc.RateLimit(1, 1, 2)))
    s, _ = step(s, P1, sc.Send(h, 0, 0, b"", ()))
    op = sc.Send(h, 0, 0, b"", ())
    post, result = step(s, P1, op)
    assert result == Err(IpcError.RateLimited)
    pt = post.objects[next(iter(post.objects))]
    assert isinstance(pt, Port)
    forged = replace(
        post, objects=post.objects.set(ObjId(1), replace(pt, queue=pt.queue * 2))
    )
    assert "STEP-RATE" in _failing(Transition(s, P1, op, Ok(None), forged))


def test_properties_are_documented() -> None:
    ids = [p.id for p in PROPERTIES]
    assert len(set(ids)) == len(ids) >= 13
    for p in PROPERTIES:
        assert p.prose
        assert p.rules
