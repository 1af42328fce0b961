"""The encodings agree with the spec on every explored transition.

``agree_explored`` runs each encoding's faithfulness check over every
transition of a scope's state space, and its invariant over every projected
reachable state. These tests run it on small scopes, and show each half can
fail: an off-by-one planted in an encoding's transition, a conjunct that
drifts from what the spec keeps, and a failed step whose post-state differs
from its pre-state (compared since failed steps are compared too).
"""

from __future__ import annotations

import dataclasses

import pytest

from veridian_ipc.proofs import (
    agreement,
    enc_buffers,
    enc_caps,
    enc_caps_controls,
    enc_channels,
    enc_filters,
    enc_ports,
)
from veridian_ipc.proofs._smt import IntVal, Term
from veridian_ipc.proofs.agree_explored import (
    AGREE_DEPTH,
    AGREE_DEPTHS,
    AGREE_SCOPES,
    FILTERS,
    PARTS,
    UNMODELLED_SCOPES,
    agree_depth,
    agree_scope,
    verdict_line,
)
from veridian_ipc.proofs.explore_scopes import CI_SCOPES, SCOPES
from veridian_ipc.proofs.induction import Conjunct, Params, State, System, Transition
from veridian_ipc.spec import Err, initial_state, step
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config, ObjId, Pid


def _broken(system: System, t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in system.transitions)
    return dataclasses.replace(system, transitions=swapped)


def test_the_agreement_scopes_are_the_ci_scopes_and_filters() -> None:
    """Every CI scope is checked, threads and blocking senders included."""
    assert frozenset() == UNMODELLED_SCOPES
    assert list(AGREE_SCOPES) == [*CI_SCOPES, "filters"]
    assert {"threads", "blocking", "blocking-ring", "threads-blocking"} <= set(
        AGREE_SCOPES
    )
    assert AGREE_DEPTH >= 3


def test_the_deeper_scopes_are_searched_to_depth_4() -> None:
    """Depth 3 misses the cases of these scopes that need four steps (a
    waiter refused for handle room, a hand-off given back, a blocked sender
    served or ended while another waits)."""
    deeper = {"waiters", "quota", "blocking", "blocking-ring"}
    assert set(AGREE_DEPTHS) == deeper
    assert all(agree_depth(AGREE_SCOPES[n]) == 4 for n in deeper)
    assert agree_depth(AGREE_SCOPES["core"]) == AGREE_DEPTH


@pytest.mark.parametrize("name", ["channels", "time", "filters", "names"])
def test_every_encoding_agrees_on_every_explored_transition(name: str) -> None:
    r = agree_scope(AGREE_SCOPES[name])
    assert r.ok, "\n".join(r.search.violation.lines()) if r.search.violation else ""
    assert r.search.transitions > 20
    assert set(r.steps_checked) == {*agreement.CHECKERS, "quota"} == set(PARTS)
    assert all(n == r.search.transitions for n in r.steps_checked.values())
    assert r.states_checked == r.search.states
    assert "agree" in verdict_line([r])


def _write_shifted(s: State, a: Params) -> tuple[Term, State]:
    """Broken: the bytes land one offset later than the guard checked."""
    write = enc_buffers.SYSTEM.transition("write")
    guard, _ = write.apply(s, a)
    _, post = write.apply(s, {**a, "offset": a["offset"] + 1})
    return guard, post


WRITE_SHIFTED = Transition(
    "write", (), enc_buffers.SYSTEM.transition("write").params, _write_shifted
)

#: (encoding, its system, a drifted transition, a scope where it shows).
DRIFTED = [
    ("port", enc_ports.SYSTEM, enc_ports.SEND_OVERFILLS, "core"),
    ("port", enc_ports.SYSTEM, enc_ports.HANDOFF_ALSO_QUEUES, "waiters"),
    ("channel", enc_channels.SYSTEM, enc_channels.SEND_SKIPS_SLOT, "channels"),
    ("channel", enc_channels.SYSTEM, enc_channels.SEND_OVERFILLS, "channels"),
    ("filter", enc_filters.SYSTEM, enc_filters.OFFER_LOOSE_SIZE, "filters"),
    ("caps", enc_caps.SYSTEM, enc_caps_controls.DROP_NO_REPARENT, "core"),
    ("caps", enc_caps.SYSTEM, enc_caps_controls.SEND_WITHOUT_GRANT, "messages"),
    ("caps", enc_caps.SYSTEM, enc_caps_controls.DERIVE_EXTRA_GRANT, "messages"),
    ("buffer", enc_buffers.SYSTEM, WRITE_SHIFTED, "buffers"),
]


@pytest.mark.parametrize(("encoding", "system", "drift", "scope"), DRIFTED)
def test_a_drifted_encoding_disagrees_on_some_explored_transition(
    encoding: str, system: System, drift: Transition, scope: str
) -> None:
    r = agree_scope(AGREE_SCOPES[scope], systems={encoding: _broken(system, drift)})
    assert not r.ok
    assert r.search.violation is not None
    assert r.search.violation.kind == "agreement"
    assert r.search.violation.id == f"AGREE/{encoding}"
    assert r.search.violation.trace  # the shortest trace to the disagreement


def test_a_drifted_invariant_fails_on_a_projected_reachable_state() -> None:
    """A port-queue conjunct off by one (at most capacity - 1 messages) is
    false on the projection of a state the spec reaches (a full port)."""
    drifted = Conjunct("INV-QUEUE-BOUND", lambda s: s["qlen"] <= s["cap"] - IntVal(1))
    conj = tuple(
        drifted if c.name == "INV-QUEUE-BOUND" else c
        for c in enc_ports.SYSTEM.conjuncts
    )
    bad = dataclasses.replace(enc_ports.SYSTEM, conjuncts=conj)
    r = agree_scope(SCOPES["core"], systems={"port": bad})
    assert r.search.violation is not None
    assert "invariant INV-QUEUE-BOUND fails" in r.search.violation.message


def test_a_failed_step_is_compared_too() -> None:
    """A refused send (the port is full) must leave the port as it was: a
    spec whose failed step still changed the queue disagrees (ERR-ATOMIC as
    the port encoding sees it); the real one agrees."""
    s = initial_state(1, Config(max_port_capacity=2))
    for op in (sc.CreatePort(1), sc.Send(1, 0, 0, b"a")):
        s, _ = step(s, Pid(1), op)
    send = sc.Send(1, 0, 0, b"b")
    after, result = step(s, Pid(1), send)
    assert isinstance(result, Err)
    check = agreement.CHECKERS["port"]
    assert check(s, 1, send, after, result) == []
    port = after.objects[ObjId(1)]
    assert isinstance(port, Port)
    changed = dataclasses.replace(port, queue=())
    leaky = dataclasses.replace(after, objects=after.objects.set(ObjId(1), changed))
    assert check(s, 1, send, leaky, result) != []


def test_the_filters_scope_is_the_time_scope_with_a_strict_filter() -> None:
    assert FILTERS.ops == SCOPES["time"].ops
    (f,) = FILTERS.filters
    assert f.max_size == 0
    assert f.rate is not None


def test_a_carried_handle_zero_is_refused_by_the_caps_encoding_too() -> None:
    """Handle 0 is never issued: a send carrying it fails (InvalidCapability),
    and the capability encoding, which reads 0 as an absent slot, must be
    given a handle no table holds instead, so that its guard fails too."""
    s = initial_state(1, Config(max_port_capacity=2))
    s, _ = step(s, Pid(1), sc.CreatePort(1))
    send = sc.Send(1, 0, 0, b"", (0,))
    after, result = step(s, Pid(1), send)
    assert isinstance(result, Err)
    assert agreement.CHECKERS["caps"](s, 1, send, after, result) == []


#: Names the faithfulness checks may import from the spec: its data types and
#: tables, no helper that computes a rule's outcome.
SPEC_DATA = {"KernelState", "Ok", "Port", "Channel", "Buffer", "Cap", "Kind"}
SPEC_DATA |= {"Running", "QueuedMessage", "MapId", "MAY_ORPHAN", "AtHandle", "Woken"}
SPEC_DATA |= {"InFlight", "InSocket", "IpcError", "Waiting", "Sending", "Channel"}
#: What the capability part still computes with the spec's helpers: nothing
#: (pinned, so that it stays so).
CAPS_HELPERS: set[str] = set()


def _spec_imports(module: str) -> set[str]:
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("veridian_ipc.spec")
        for alias in node.names
    }


@pytest.mark.parametrize(
    "module",
    [
        "faithful",
        "agree_ports",
        "agree_channels",
        "agree_filters",
        "agree_buffers",
        "agree_quota",
        "agree_caps",
        "agree_caps_reads",
        "agree_caps_project",
        "agree_caps_compare",
    ],
)
def test_the_checks_compute_nothing_with_the_spec_helpers(module: str) -> None:
    """Guard inputs come from the state and the encodings' own terms (a
    filter's verdict from the filter encoding), not from the spec's code."""
    assert _spec_imports(f"veridian_ipc.proofs.{module}") <= SPEC_DATA


def test_the_caps_part_helper_calls_are_pinned() -> None:
    used = _spec_imports("veridian_ipc.proofs.agree_caps") - SPEC_DATA
    assert used == CAPS_HELPERS
