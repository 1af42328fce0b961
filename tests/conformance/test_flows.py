"""The flows (``generate_flows_*``, run by the scenarios) reach the behaviours
they are written for, and never send an operation of an unclaimed group."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veridian_ipc.conformance.behaviours import BehaviourTracker
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.generate import SCENARIOS, Gen, Steps
from veridian_ipc.conformance.generate_flows_caps import (
    attenuate,
    chain,
    socket_caps,
    travel,
)
from veridian_ipc.conformance.generate_flows_repeat import (
    deadlines,
    names,
    rate_filter,
    ring,
)
from veridian_ipc.conformance.generate_plan import MASKS, Plan
from veridian_ipc.conformance.machine import SCENARIO_GROUPS
from veridian_ipc.conformance.surface import ALL_GROUPS, OP_GROUP
from veridian_ipc.spec import step
from veridian_ipc.spec.state import KernelState, Kind, initial_state
from veridian_ipc.vocabulary.results import Err, Ok
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, PORT_RIGHTS
from veridian_ipc.vocabulary.syscalls import CreatePort, Send, Socket

EVERY_GROUP = frozenset(ALL_GROUPS)
Flow = Callable[[Gen], Steps]

#: Each flow and behaviours it must reach within a few dozen calls.
EXPECTED: list[tuple[Flow, set[str]]] = [
    (
        travel,
        {
            "B-CAP-INSPECT-TRAVELLED",
            "B-CAP-TRAVELLED-DERIVE",
            "B-CAP-TRAVELLED-REVOKE",
            "B-CAP-TRAVELLED-SEND",
            "B-CAP-TRAVELLED-FORWARD",
            "B-MSG-FOUR-CAPS",
            "B-BUF-MAP-TRAVELLED",
            "B-BUF-TRANSFER-MAPPED-ELSEWHERE",
            "B-BUF-READ-SHARED",
            "B-BUF-TRANSFER-HANDOFF",
            "B-PORT-RESUME-DELIVERED-CAPS",
            "B-MSG-INFLIGHT-REVOKED",
        },
    ),
    (
        chain,
        {
            "B-RIGHTS-REVOKE-THROUGH-DROPPED",
            "B-CAP-DROP-MIDDLE",
            "B-RIGHTS-DERIVE-DEEP",
            "B-CAP-DROP-MAPPED",
        },
    ),
    (
        attenuate,
        {
            "B-BUF-TRANSFER-ATTENUATED",
            "B-ERR-RIGHTS-BEFORE-ARGS",
            "B-MSG-CAP-WITHOUT-GRANT",
            "B-RIGHTS-ATTENUATED-REFUSED",
        },
    ),
    (
        rate_filter,
        {
            "B-FILTER-RATE-REFILL",
            "B-FILTER-CLEAR",
            "B-FILTER-RATE-LIMITED",
            "B-FILTER-SET-QUEUED",
            "B-FILTER-SOCKET",
            "B-PORT-FULL-WITH-CAPS",
            "B-ERR-ATOMIC-SEND-CAPS",
            "B-ERR-ATOMIC-TRANSFER",
            "B-PORT-DRAIN-CLOSED",
        },
    ),
    (
        names,
        {
            "B-NS-REBIND",
            "B-NS-UNBIND-THEN-LOOKUP",
            "B-NS-UNBIND-LOOKED-UP-STAYS",
            "B-NS-LOOKUP-CLOSED-PORT",
            "B-NS-UNBIND-WRONG-PORT",
        },
    ),
    (
        deadlines,
        {
            "B-TIME-DEADLINE-SEVERAL",
            "B-TIME-ADVANCE-SHORT",
            "B-ERR-BLOCKED-BEFORE-HANDLE",
            "B-PORT-TWO-WAITERS-SEND",
            "B-RIGHTS-REVOKE-WAKES-RECEIVER",
            "B-PORT-CLOSE-WAITERS",
            "B-PROC-KILL-BLOCKED-RECEIVER",
        },
    ),
    (
        ring,
        {
            "B-CHAN-BATCH-FILLS",
            "B-CHAN-RING-FULL",
            "B-CHAN-WRAP",
            "B-CHAN-BATCH-NO-ROOM",
            "B-CHAN-BATCH-PARTIAL-RECEIVE",
            "B-CHAN-DRAIN-CLOSED",
        },
    ),
    (
        socket_caps,
        {"B-POSIX-RECV-CAPS", "B-POSIX-CLOSE-QUEUED", "B-POSIX-SEND-FULL"},
    ),
]


def reached_by(flow: Flow, examples: int = 30) -> set[str]:
    """Behaviours ``flow`` reaches, run twice from the initial state in each
    of ``examples`` derandomized Hypothesis examples."""
    reached: set[str] = set()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        s = initial_state(processes=3, config=SMALL_CONFIG)
        tracker = BehaviourTracker()
        for _ in range(2):
            for pid, op in flow(Gen(data.draw, s, EVERY_GROUP)):
                pre = s
                s, r = step(s, pid, op)
                reached.update(tracker.step(pre, pid, op, r, s))

    run()
    return reached


@pytest.mark.parametrize(
    ("flow", "want"), EXPECTED, ids=[f.__name__ for f, _ in EXPECTED]
)
def test_each_flow_reaches_its_behaviours(flow: Flow, want: set[str]) -> None:
    missed = sorted(want - reached_by(flow))
    assert not missed, f"{flow.__name__} missed {missed}"


def test_a_flow_that_reaches_nothing_is_caught() -> None:
    def idle(g: Gen) -> Steps:
        return [(1, CreatePort(1))]

    assert not {"B-NS-REBIND"} <= reached_by(idle, examples=5)


GROUP_SETS = [
    frozenset({"ports"}),
    frozenset({"ports", "rights"}),
    frozenset({"ports", "namespace", "timeouts"}),
    frozenset({"posix"}),
    frozenset({"caps", "rights", "buffers"}),
    frozenset({"ports", "filters", "messages", "namespace"}),
]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.sampled_from(GROUP_SETS))
def test_scenarios_send_only_claimed_groups(
    data: st.DataObject, groups: frozenset[str]
) -> None:
    """Every scenario, flows included, sends only operations of the claimed
    groups, and capabilities in a message only when ``messages`` is claimed."""
    s = initial_state(processes=3, config=SMALL_CONFIG)
    for name, scen in SCENARIOS.items():
        if not SCENARIO_GROUPS[name] <= groups:
            continue  # the machine does not make a rule of it
        for pid, op in scen(Gen(data.draw, s, groups)):
            assert OP_GROUP[type(op).__name__] in groups, (scen.__name__, op)
            if isinstance(op, Send) and op.caps:
                assert "messages" in groups, (scen.__name__, op)
            s, _ = step(s, pid, op)


def test_a_plan_follows_the_spec_and_skips_unclaimed_groups() -> None:
    s: KernelState = initial_state(processes=2, config=SMALL_CONFIG)
    p = Plan(Gen(lambda strat: 0, s, frozenset({"ports"})))
    assert p.do(1, CreatePort(2)) == Ok(1)
    assert p.create(1, Kind.PORT) == 2
    assert isinstance(p.do(1, Send(9, 0, 0, b"")), Err)
    assert p.do(1, Socket(None)) is None  # posix not claimed: not added
    assert [op for _, op in p.steps] == [
        CreatePort(2),
        CreatePort(3),
        Send(9, 0, 0, b""),
    ]
    assert p.s.processes[1].next_handle == 3  # type: ignore[index]


def test_masks_are_attenuated_rights_of_their_kind() -> None:
    for kind, full in ((Kind.PORT, PORT_RIGHTS), (Kind.BUFFER, BUFFER_RIGHTS)):
        for m in MASKS[kind]:
            assert m & ~full == 0, (kind, m)
            assert m != full, (kind, m)
