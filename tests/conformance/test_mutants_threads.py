"""The thread mutants (``mutants_threads``), one direct scenario each, and
the thread behaviours (``behaviours_threads``) and flow (``flows_threads``).

As in ``test_mutants_resources``: the same operations run on the spec and on
the mutant, the spec's answer at the last step is asserted, and the mutant
answers otherwise there (or, for a mutant that bends the state, observes
otherwise), from the same state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from veridian_ipc.conformance import mutants
from veridian_ipc.conformance.behaviours_base import CATALOGUE, History
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.mutants import Mutant
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.generation import ALL_GROUPS, SMALL, Gen
from veridian_ipc.generation.flows_threads import threads
from veridian_ipc.spec import BLOCKED, Err, IpcError, Ok, Result, step
from veridian_ipc.spec.state import initial_state
from veridian_ipc.vocabulary.rights import SEND
from veridian_ipc.vocabulary.syscalls import (
    CreatePort,
    Derive,
    Inspect,
    Kill,
    Operation,
    Receive,
    SpawnThread,
)

Scenario = Sequence[tuple[int, Operation]]

_WAITING = [
    (0, SpawnThread(1)),  # pid 4 (3 processes)
    (1, CreatePort(2)),
    (4, Receive(1, None)),
]


def _both(mutant: type[Mutant], scenario: Scenario) -> tuple[SpecTarget, Mutant]:
    spec, bent = SpecTarget(3, SMALL_CONFIG), mutant(3, SMALL_CONFIG)
    for pid, op in scenario:
        assert bent.apply(pid, op) == spec.apply(pid, op), op
    return spec, bent


def diverges(mutant: type[Mutant], scenario: Scenario, spec_says: Result) -> Result:
    """Spec and mutant agree up to the last step, where the spec gives
    ``spec_says`` and the mutant answers or observes otherwise."""
    spec, bent = _both(mutant, scenario[:-1])
    pid, op = scenario[-1]
    want, got = spec.apply(pid, op), bent.apply(pid, op)
    assert want == spec_says
    assert got != want or bent.observe() != spec.observe()
    return got


def test_the_thread_mutants_are_registered() -> None:
    names = [m.__name__ for m in mutants.MUTANTS]
    for name in ("KillLeavesSiblings", "PerThreadTables", "SiblingBlocks"):
        assert name in names
        assert name in mutants.__all__


def test_kill_leaves_siblings() -> None:
    diverges(mutants.KillLeavesSiblings, [*_WAITING, (0, Kill(1))], Ok(None))
    spec, bent = _both(mutants.KillLeavesSiblings, [*_WAITING, (0, Kill(1))])
    assert 4 not in spec.observe()["processes"]
    assert 4 in bent.observe()["processes"]


def test_per_thread_tables() -> None:
    ops = [(1, CreatePort(2)), (0, SpawnThread(1)), (4, Inspect(1))]
    s = initial_state(3, SMALL_CONFIG)
    for pid, op in ops:
        s, said = step(s, pid, op)
    assert isinstance(said, Ok)
    got = diverges(mutants.PerThreadTables, ops, said)
    assert got == Err(IpcError.InvalidCapability)


def test_sibling_blocks() -> None:
    diverges(mutants.SiblingBlocks, [*_WAITING, (1, Derive(1, SEND))], Ok(2))


def test_a_waiting_sibling_is_seen_by_the_spec() -> None:
    spec, _ = _both(mutants.SiblingBlocks, _WAITING[:2])
    assert spec.apply(4, Receive(1, None)) == Ok(BLOCKED)
    assert spec.apply(4, Derive(1, SEND)) == Err(IpcError.ProcessBlocked)
    assert spec.apply(1, Derive(1, SEND)) == Ok(2)


def test_the_flow_reaches_every_thread_behaviour() -> None:
    """Run the flow on a few seeds through the spec; every thread behaviour
    is reached."""
    ids = {b.id for b in CATALOGUE if b.id.startswith("B-PROC-THREAD")}
    ids |= {"B-PROC-KILL-ALL-THREADS"}
    reached: set[str] = set()
    for seed in range(60):
        s = initial_state(2, SMALL)
        g = Gen.seeded(random.Random(seed), s, ALL_GROUPS)
        h = History()
        for pid, op in threads(g):
            post, r = step(s, pid, op)
            for b in CATALOGUE:
                if b.id not in ids or not isinstance(op, b.ops):
                    continue
                if b.predicate(s, pid, op, r, post, h):
                    reached.add(b.id)
            s = post
    assert ids - {"B-PROC-THREAD-NO-PROCESS"} <= reached


def test_two_processes_waiting_are_not_two_threads_waiting() -> None:
    """B-PROC-THREADS-BOTH-WAIT needs siblings: two single-thread processes
    waiting on one port do not reach it; a thread of the first does."""
    both = next(b for b in CATALOGUE if b.id == "B-PROC-THREADS-BOTH-WAIT")
    s = initial_state(2, SMALL)
    for pid, op in [(1, CreatePort(2)), (1, Receive(1, None))]:
        s, _ = step(s, pid, op)
    pre, op2 = s, Receive(1, None)
    post, r = step(pre, 2, op2)
    assert not both.predicate(pre, 2, op2, r, post, History())  # no handle
    pre, _ = step(s, 0, SpawnThread(1))
    post, r = step(pre, 3, op2)
    assert r == Ok(BLOCKED)
    assert both.predicate(pre, 3, op2, r, post, History())


#: Each thread mutant and its scenario (``test_mutants_travel`` checks that
#: every mutant after the first 49 has one).
SCENARIOS = {
    "KillLeavesSiblings": test_kill_leaves_siblings,
    "PerThreadTables": test_per_thread_tables,
    "SiblingBlocks": test_sibling_blocks,
}
