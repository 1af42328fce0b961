"""The Hypothesis state machine that drives the spec and a target in lock-step.

``lockstep(checker)`` returns a ``RuleBasedStateMachine`` class with one rule
per operation of the groups the target claims (plus ill-typed operations,
ERR-TOTAL). Each rule draws its operation from the current spec state
(``generate``) and hands it to the ``Checker``, which compares results and
observations after every step and raises ``Divergence`` on the first
difference.

A run either **stops at the first** divergence (``RunStats(explore=False)``:
the mutant campaign; Hypothesis then shrinks the sequence of steps) or
**explores** (``explore=True``, what ``conform`` does): a divergence, a crash
or a hang of the target on a step is recorded under its signature
(``signatures``) with the steps so far, and the example ends there *without
failing*: its remaining steps do nothing, so Hypothesis goes on generating
examples until the profile's budget is spent, and a derandomized run stays
the same run. An example reaching an already recorded signature ends too and
adds to its count; it is then *rejected* (``hypothesis.reject``, once it has
drawn all it would), so it does not count among the profile's examples and
exploration goes on (a crash or a hang, which costs a restart, still counts).
A run with no divergence is therefore exactly the run it always was. The run
ends early once ``MAX_DISTINCT`` signatures are recorded, or after
``REHITS_PER_EXAMPLE`` rejected examples per example of the profile
(``ExplorationDone``). An operation outside the restrictions the target
declared (``restrictions``) is skipped on both sides and counted; an operation
the target lacks altogether gets no rule. Operations the target hung on
``HANG_REPEATS`` times are not sent again (each hang costs a whole step
timeout): an example reaching one ends there.

Hypothesis's swarm testing enables a different subset of rules per example, so
runs also explore long sequences of a few operations.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from veridian_ipc.generation.choices import NEEDS as NEEDS
from veridian_ipc.generation.choices import SCENARIO_GROUPS as SCENARIO_GROUPS
from veridian_ipc.generation.choices import WEIGHTS as WEIGHTS
from veridian_ipc.generation.ops import IllTypedRotation
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.syscalls import Operation

from .checker import Checker, Divergence, StepRecord
from .crashes import failure_divergence
from .generate import GENERATORS, SCENARIOS, SETUPS, Gen, GenFn, Steps
from .restrictions import restrictions_of
from .signatures import Signature, signature_of
from .surface import OP_GROUP, op_names_for
from .targets import TargetFailure

#: Distinct signatures after which an exploring run ends.
MAX_DISTINCT = 50
#: Examples ending at a known signature an exploring run may reject, per
#: example of its profile.
REHITS_PER_EXAMPLE = 5
#: Hangs on one operation after which it is no longer sent.
HANG_REPEATS = 2


class ShrinkBudgetSpent(BaseException):
    """Shrinking has used its time budget: stop, keep the shortest divergence.

    A ``BaseException`` so that Hypothesis stops at once instead of treating
    it as a failure of its own."""


class ExplorationDone(BaseException):
    """An exploring run has rejected enough examples or recorded
    ``MAX_DISTINCT`` signatures: stop (a ``BaseException``, so Hypothesis
    stops at once)."""


@dataclass
class Found:
    """One distinct divergence an exploring run recorded: the first example
    that reached its signature (its steps and the divergence), how many
    examples reached it, and when it was first seen."""

    signature: Signature
    divergence: Divergence
    ops: list[tuple[int, Operation]]
    count: int = 1
    steps: int = 0
    seconds: float = 0.0


class RunStats:
    """What a run did: examples, steps, when the first divergence came, the
    first divergence seen and the shortest (what shrinking has reached so far;
    a divergence at reset has no steps at all); when exploring, every distinct
    divergence (``found``)."""

    def __init__(
        self,
        keep_history: bool = False,
        progress: Callable[[RunStats], None] | None = None,
        shrink_seconds: float | None = None,
        explore: bool = False,
        max_distinct: int = MAX_DISTINCT,
        max_rehits: int | None = None,
    ) -> None:
        self.explore = explore
        #: Exploring: examples that ended at a known signature (rejected), the
        #: most the run takes, and whether the current example is one.
        self.rehits = 0
        self.max_rehits = max_rehits
        self.rehit = False
        self.max_distinct = max_distinct
        self.found: dict[Signature, Found] = {}
        #: The current example has diverged: its remaining steps do nothing.
        self.stopped = False
        self.hangs: Counter[str] = Counter()
        #: Steps not sent because a declared restriction excludes them, by
        #: the restriction's label (``restrictions``).
        self.skipped: Counter[str] = Counter()
        self.examples = 0
        self.steps = 0
        self.started = time.perf_counter()
        self.first_divergence_steps: int | None = None
        self.first_divergence_seconds: float | None = None
        self.keep_history = keep_history
        self.history: list[list[StepRecord]] = []
        self.progress = progress
        self.shrink_seconds = shrink_seconds
        self.best: Divergence | None = None
        self.first: Divergence | None = None

    def reset(self, checker: Checker) -> None:
        """Start an example: reset both sides and compare the initial states
        (a difference there is a divergence at step 0, noted like any other)."""
        self.stopped = False
        self.rehit = False
        try:
            checker.reset()
        except Divergence as div:
            self._note(div)
            if not self.explore:
                raise
            self._record(div, [])

    def ended(self) -> bool:
        """The current example has diverged (exploring): nothing more to do."""
        return self.stopped

    @property
    def distinct(self) -> int:
        """Distinct divergences recorded so far."""
        return len(self.found)

    def step(self, checker: Checker, pid: int, op: Operation) -> None:
        """Apply one step, noting the first divergence (when exploring,
        recording it and ending the example: the class docstring).

        Every generated operation goes through here, so this is where the
        harness refuses to send an operation of a group the target did not
        declare (``check_declared``), and where an operation outside the
        target's declared restrictions is skipped: neither sent nor applied
        to the spec, counted under the restriction (``restrictions``)."""
        check_declared(op, checker.driver.groups)
        if self.stopped:
            return
        outside = restrictions_of(checker.driver).excluding(op)
        if outside is not None:
            self.skipped[outside.label] += 1
            return
        if self.explore and self.hangs[type(op).__name__] >= HANG_REPEATS:
            self.stopped = True
            return
        self.steps += 1
        try:
            checker.apply(pid, op)
        except Divergence as div:
            self._note(div)
            if not self.explore:
                raise
            self._record(div, [(r.pid, r.op) for r in div.steps])
        except TargetFailure as fail:
            if not self.explore:
                self._note_failure()
                raise
            broke = failure_divergence(checker, pid, op, fail)
            self._note(broke)
            if broke.kind == "hang":
                self.hangs[type(op).__name__] += 1
            self._record(broke, [(r.pid, r.op) for r in broke.steps])

    def _record(self, div: Divergence, ops: list[tuple[int, Operation]]) -> None:
        """Record ``div`` under its signature (or count it), end the example."""
        self.stopped = True
        sig = signature_of(div)
        seen = self.found.get(sig)
        if seen is not None:
            seen.count += 1
            if div.kind not in ("crash", "hang"):
                self.rehit = True
                self.rehits += 1
            return
        now = time.perf_counter() - self.started
        self.found[sig] = Found(sig, div, ops, steps=self.steps, seconds=now)

    def spent(self) -> bool:
        """Exploring, and a cap (signatures, rejected examples) is reached."""
        full = len(self.found) >= self.max_distinct
        over = self.max_rehits is not None and self.rehits >= self.max_rehits
        return self.explore and (full or over)

    def _note_failure(self) -> None:
        """Stopping at the first: a target that broke on a step is stopped
        there, which counts like a first divergence (when and after how many
        steps), though there is no divergence to keep."""
        if self.first_divergence_seconds is None:
            self.first_divergence_steps = self.steps
            self.first_divergence_seconds = time.perf_counter() - self.started

    def _note(self, div: Divergence) -> None:
        """Keep the first and the shortest divergence; stop shrinking once its
        time budget is spent."""
        now = time.perf_counter() - self.started
        if self.first_divergence_seconds is None:
            self.first_divergence_steps = self.steps
            self.first_divergence_seconds = now
            self.first = div
        if self.best is None or len(div.steps) < len(self.best.steps):
            self.best = div
        if self.explore:
            return
        budget = self.shrink_seconds
        if budget is not None and now - self.first_divergence_seconds > budget:
            raise ShrinkBudgetSpent() from div


def check_declared(op: Operation, groups: frozenset[str]) -> None:
    """Refuse to send ``op`` if its registry group is not among ``groups``.

    PROTOCOL.md promises a target is only sent operations of the groups it
    declared (an ill-typed record of an undeclared operation counts as that
    operation). A generator that breaks the promise is a harness bug: a
    ``RuntimeError`` naming the operation, never a divergence of the target."""
    name = type(op).__name__
    group = OP_GROUP.get(name)
    if group not in groups:
        raise RuntimeError(
            f"harness bug: generated {name} (group {group}) for a target "
            f"that declares only {sorted(groups)}"
        )


def _make_rule(gen: GenFn, op_name: str) -> Callable[..., None]:
    def do(self: LockstepMachine, data: st.DataObject) -> None:
        if self.stats.stopped:
            return
        g = Gen(data.draw, self.checker.spec_state, self.checker.driver.groups)
        pid, op = gen(g)
        self.stats.step(self.checker, pid, op)

    do.__name__ = op_name
    return do


def _ill_typed(self: LockstepMachine, data: st.DataObject) -> None:
    """An ill-typed step (ERR-TOTAL): the example's next wrong-type form
    (``IllTypedRotation``), so every form is sent within a few firings of
    any example, whatever the seed."""
    _make_rule(self.ill_typed, "ill_typed")(self, data)


_ill_typed.__name__ = "ill_typed"


def _make_scenario(gen: Callable[[Gen], Steps], name: str) -> Callable[..., None]:
    def do(self: LockstepMachine, data: st.DataObject) -> None:
        if self.stats.stopped:
            return
        g = Gen(data.draw, self.checker.spec_state, self.checker.driver.groups)
        for pid, op in gen(g):
            if self.stats.ended():
                return
            self.stats.step(self.checker, pid, op)

    do.__name__ = name
    return do


class LockstepMachine(RuleBasedStateMachine):
    """Base class; ``lockstep`` makes a subclass bound to one checker."""

    checker: Checker
    stats: RunStats

    def __init__(self) -> None:
        super().__init__()
        self.ill_typed = IllTypedRotation()
        self.stats.examples += 1
        if self.stats.progress is not None:
            self.stats.progress(self.stats)
        self.stats.reset(self.checker)

    def teardown(self) -> None:
        """Keep the example's steps when asked to (static vectors); end an
        exploring run that reached a cap, or reject an example that ended at a
        known signature. (Only here, once the example has drawn all it would:
        Hypothesis takes an example cut short for one that draws differently
        from an earlier one with the same start.)"""
        if self.stats.keep_history:
            self.stats.history.append(list(self.checker.steps))
        if _ended_by_hypothesis():
            return  # an example Hypothesis cut short (too much data): its own
        if self.stats.spent():
            raise ExplorationDone()
        if self.stats.rehit:
            reject()


def _ended_by_hypothesis() -> bool:
    """The current example's data is already closed (an overrun)."""
    try:
        data = current_build_context().data
    except Exception:  # outside a Hypothesis run
        return False
    return bool(getattr(data, "frozen", False))


def _guard(need: Callable[[KernelState], bool]) -> Callable[[Any], bool]:
    def guard(self: LockstepMachine) -> bool:
        return need(self.checker.spec_state)

    return guard


def lockstep(checker: Checker, stats: RunStats | None = None) -> type[LockstepMachine]:
    """A state machine class comparing ``checker``'s target with the spec."""
    restricted = restrictions_of(checker.driver).whole_ops
    enabled = op_names_for(checker.driver.groups) - restricted
    ns: dict[str, Any] = {"checker": checker, "stats": stats or RunStats()}
    for name, gen in GENERATORS.items():
        if name not in enabled:
            continue
        for copy in range(WEIGHTS.get(name, 1)):
            fn = rule(data=st.data())(_make_rule(gen, name))
            need = NEEDS.get(name)
            if need is not None:
                fn = precondition(_guard(need))(fn)
            ns[f"op_{name}" + (f"_{copy}" if copy else "")] = fn
    for group, setup in SETUPS.items():
        if group in checker.driver.groups:
            fn = _make_scenario(setup, f"setup_{group}")
            ns[f"setup_{group}"] = initialize(data=st.data())(fn)
    for name, scen in SCENARIOS.items():
        if SCENARIO_GROUPS[name] <= checker.driver.groups:
            fn = rule(data=st.data())(_make_scenario(scen, name))
            ns[f"scenario_{name}"] = fn
    if "errors" in checker.driver.groups:
        ns["op_ill_typed"] = rule(data=st.data())(_ill_typed)
    return type("Lockstep", (LockstepMachine,), ns)
