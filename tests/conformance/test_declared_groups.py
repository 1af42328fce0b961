"""Never an undeclared group: a target declaring groups G is sent only
operations whose registry group is in G (PROTOCOL.md), set-ups, scenarios and
ill-typed operations included; the machine refuses, as a harness bug, to send
anything else."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from veridian_ipc.conformance import generate_scenarios
from veridian_ipc.conformance.checker import Checker
from veridian_ipc.conformance.constants import pinned_constants
from veridian_ipc.conformance.generate import SCENARIOS
from veridian_ipc.conformance.generate_context import Gen, Steps
from veridian_ipc.conformance.machine import RunStats, check_declared, lockstep
from veridian_ipc.conformance.runner import settings_for
from veridian_ipc.conformance.surface import ALL_GROUPS, CORE_GROUPS, OP_GROUP
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import CreateBuffer, Operation, Spawn

#: full conformance runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

_SINGLES = [frozenset(CORE_GROUPS | {g}) for g in ALL_GROUPS]
_SUBSETS = [
    frozenset(CORE_GROUPS),
    frozenset(CORE_GROUPS | {"rights", "messages"}),
    frozenset(CORE_GROUPS | {"rights", "filters", "timeouts"}),
    frozenset(CORE_GROUPS | {"namespace", "channels"}),
    frozenset(CORE_GROUPS | {"buffers", "posix"}),
    frozenset(ALL_GROUPS) - {"buffers"},
    frozenset(ALL_GROUPS) - {"rights", "namespace"},
]


class _Recording(InProcessDriver):
    """The spec target, noting the name of every operation it is sent."""

    def __init__(self, groups: frozenset[str]) -> None:
        super().__init__(SpecTarget, groups)
        self.sent: set[str] = set()

    def apply(self, pid: int, op: Operation) -> Data:
        self.sent.add(type(op).__name__)
        return super().apply(pid, op)


def _run(groups: frozenset[str], examples: int = 12) -> set[str]:
    driver = _Recording(groups)
    checker = Checker(driver)
    with pinned_constants():
        run_state_machine_as_test(
            lockstep(checker, RunStats()),
            settings=settings_for("ci", max_examples=examples, shrink=False),
        )
    return driver.sent


@pytest.mark.parametrize(
    "groups", _SINGLES + _SUBSETS, ids=lambda g: "+".join(sorted(g - CORE_GROUPS))
)
def test_only_declared_groups_are_sent(groups: frozenset[str]) -> None:
    sent = _run(groups)
    assert sent, "nothing was sent"
    outside = {name for name in sent if OP_GROUP[name] not in groups}
    assert not outside, f"sent {sorted(outside)} to a target declaring {groups}"


def test_a_generator_bug_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario that emits CreateBuffer to a target without buffers is a
    harness bug the run surfaces (RuntimeError naming it), never sent."""

    def buggy(g: Gen) -> Steps:
        return [(1, CreateBuffer(4))]

    monkeypatch.setitem(SCENARIOS, "rendezvous", buggy)
    monkeypatch.setattr(generate_scenarios, "rendezvous", buggy)
    groups = frozenset(CORE_GROUPS)
    driver = _Recording(groups)
    with pytest.raises(RuntimeError, match="CreateBuffer"), pinned_constants():
        run_state_machine_as_test(
            lockstep(Checker(driver), RunStats()),
            settings=settings_for("ci", max_examples=30, shrink=False),
        )
    assert "CreateBuffer" not in driver.sent


def test_check_declared() -> None:
    check_declared(Spawn(), frozenset(CORE_GROUPS))
    with pytest.raises(RuntimeError, match="CreateBuffer"):
        check_declared(CreateBuffer(4), frozenset(CORE_GROUPS))
