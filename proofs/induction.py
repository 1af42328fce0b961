"""Transition systems, inductive checks and obligations (the proof engine).

An encoding of part of the spec is a ``System``: typed state fields, an initial
condition, named invariant conjuncts and transitions, each transition a function
from a pre-state (and parameters) to a guard (the rule's checks all pass) and a
post-state (the rule's effects). A failed rule leaves the state unchanged
(ERR-ATOMIC), so only the guarded effect needs encoding.

``inductive_checks`` produces mypyvy's two checks per (transition, invariant)
pair: ``Init => I`` and ``I_all and T => I'``, where ``I_all`` is the conjunction
of every conjunct of the system (the strengthening that makes it inductive).
Step properties are two-state claims ``I_all and T => P(pre, post)``.

An ``Obligation`` is a named theorem: the checks that prove it and the checks of
its negative control (the same claim over a deliberately broken rule), which the
solver must refute; a proof that also "proves" its broken variant is vacuous.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from veridian_ipc.spec import InvId, RuleId
from veridian_ipc.vocabulary.rights import rights_names

from ._smt import (
    And,
    BoolSort,
    Counterexample,
    Implies,
    IntSort,
    Model,
    Proved,
    Sort,
    Term,
    const,
    expanded_quantifiers,
    finite_const,
    model_value,
    prove,
    rights_sort,
)

State = dict[str, Term]
Params = dict[str, Term]
Verdict = Literal["proved", "refuted", "unknown"]


@dataclass(frozen=True, slots=True)
class Field:
    """One state variable of an encoding."""

    name: str
    sort: Callable[[], Sort]
    empty: int = 0
    """The value an array field holds where nothing is stored (for states of
    finite support: 0 / False, or 1 for next-id counters)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a transition; ``kind`` drives counterexample decoding:
    ``pid``, ``handle``, ``cap``, ``rights``, ``name``, ``int`` or ``bool``."""

    name: str
    kind: str
    sort: Callable[[], Sort]


@dataclass(frozen=True, slots=True)
class Transition:
    """One rule, as guard and effect over the encoded state."""

    name: str
    rules: tuple[RuleId, ...]
    params: tuple[Param, ...]
    apply: Callable[[State, Params], tuple[Term, State]]


@dataclass(frozen=True, slots=True)
class Conjunct:
    """One invariant conjunct: a predicate over a state."""

    name: str
    holds: Callable[[State], Term]


@dataclass(frozen=True, slots=True)
class StepProperty:
    """A two-state claim every step of the system satisfies."""

    name: str
    holds: Callable[[State, State, Params, str], Term]


Describe = Callable[[Model, State, State, Params], list[str]]


@dataclass(frozen=True, slots=True)
class System:
    """An encoding: fields, initial condition, invariant conjuncts, transitions."""

    name: str
    fields: tuple[Field, ...]
    init: Callable[[State], Term]
    conjuncts: tuple[Conjunct, ...]
    transitions: tuple[Transition, ...]
    describe: Describe
    small: Callable[[State, int], Term] | None = None
    """For counterexample search on states of finite support ``0..n``: the
    constraint that keeps every quantified range inside ``0..n`` (so expanding
    the invariant's quantifiers over ``0..n`` is exact). None: no such search."""

    def transition(self, name: str) -> Transition:
        """The transition called ``name``."""
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(name)

    def conjunct(self, name: str) -> Conjunct:
        """The conjunct called ``name``."""
        for c in self.conjuncts:
            if c.name == name:
                return c
        raise KeyError(name)

    def invariant(self, s: State) -> Term:
        """The conjunction of every conjunct."""
        return And(*[c.holds(s) for c in self.conjuncts])


def symbolic_state(system: System, tag: str, finite: int | None = None) -> State:
    """Fresh constants for every field of ``system``; with ``finite``, arrays
    of finite support (indices ``0..finite``), to search for counterexamples."""
    if finite is None:
        return {f.name: const(f"{f.name}{tag}", f.sort()) for f in system.fields}
    return {
        f.name: finite_const(f"{f.name}{tag}", f.sort(), finite, f.empty)
        for f in system.fields
    }


def symbolic_params(t: Transition) -> Params:
    """Fresh constants for every parameter of ``t``."""
    return {p.name: const(f"{t.name}.{p.name}", p.sort()) for p in t.params}


def updated(s: State, **changes: Term) -> State:
    """``s`` with some fields replaced (the frame: everything else unchanged)."""
    out = dict(s)
    for k, v in changes.items():
        if k not in out:
            raise KeyError(k)
        out[k] = v
    return out


@dataclass(frozen=True, slots=True)
class Check:
    """One solver query: ``claim`` must be valid; ``decode`` explains a model."""

    name: str
    claim: Term
    decode: Callable[[Model], str]
    key: str | None = None
    """Identifies the same query in several obligations (results are shared);
    None for queries over broken variants, which are never shared."""


def decode_params(model: Model, t: Transition, params: Params) -> str:
    """``name(p=1, rights=SEND|GRANT, ...)`` in spec terms."""
    parts: list[str] = []
    for p in t.params:
        if p.kind == "array":
            arr = params[p.name]
            head = [model_value(model, arr[i]) for i in range(4)]
            parts.append(f"{p.name}=[{', '.join(map(str, head))}, ...]")
            continue
        v = model_value(model, params[p.name])
        if p.kind == "rights":
            names = rights_names(int(v))
            parts.append(f"{p.name}={'|'.join(names) or '0'}")
        else:
            parts.append(f"{p.name}={v}")
    return f"{t.name}({', '.join(parts)})"


def inductive_checks(
    system: System,
    targets: Sequence[str],
    replace: dict[str, Transition] | None = None,
    step_properties: Sequence[StepProperty] = (),
    transitions: Sequence[str] | None = None,
    finite: int | None = None,
) -> list[Check]:
    """``Init => C`` and ``I_all and T => C'`` for each target conjunct ``C`` and
    each transition ``T`` (``replace`` swaps in broken variants), then the step
    properties for each transition.

    ``finite`` restricts the pre-state to arrays of finite support: a search
    for counterexamples (negative controls), never a proof."""
    shared = not replace and finite is None
    replace = replace or {}
    pre = symbolic_state(system, "", finite)
    checks: list[Check] = []
    for name in targets:
        c = system.conjunct(name)

        def decode_init(model: Model, c: Conjunct = c) -> str:
            return f"{c.name} fails in the initial state"

        claim = Implies(system.init(pre), c.holds(pre))
        key = f"{system.name}: {name} / init" if shared else None
        checks.append(Check(f"{name} / init", claim, decode_init, key))
    chosen = [
        replace.get(t.name, t)
        for t in system.transitions
        if transitions is None or t.name in transitions
    ]
    for t in chosen:
        params = symbolic_params(t)
        guard, post = t.apply(pre, params)
        if finite is None:
            hyp = And(system.invariant(pre), guard)
        else:
            assert system.small is not None, f"{system.name}: no finite search"
            with expanded_quantifiers(range(finite + 1)):
                hyp = And(system.small(pre, finite), system.invariant(pre), guard)
        for name in targets:
            c = system.conjunct(name)
            checks.append(
                Check(
                    f"{name} / {t.name}",
                    Implies(hyp, c.holds(post)),
                    _decoder(system, t, params, pre, post, f"breaks {name}"),
                    f"{system.name}: {name} / {t.name}" if shared else None,
                )
            )
        checks.extend(
            Check(
                f"{prop.name} / {t.name}",
                Implies(hyp, prop.holds(pre, post, params, t.name)),
                _decoder(system, t, params, pre, post, f"violates {prop.name}"),
                f"{system.name}: {prop.name} / {t.name}" if shared else None,
            )
            for prop in step_properties
        )
    return checks


def _decoder(
    system: System, t: Transition, params: Params, pre: State, post: State, what: str
) -> Callable[[Model], str]:
    def decode(model: Model) -> str:
        lines = [f"{decode_params(model, t, params)} {what}"]
        lines += ["  " + line for line in system.describe(model, pre, post, params)]
        return "\n".join(lines)

    return decode


def rights_param(name: str) -> Param:
    """A rights-mask parameter."""
    return Param(name, "rights", rights_sort)


def int_param(name: str, kind: str = "int") -> Param:
    """An integer parameter; ``kind`` (``pid``, ``handle``, ``cap``, ``name``)
    says what it names, for counterexample decoding."""
    return Param(name, kind, IntSort)


def array_param(name: str, sort: Callable[[], Sort]) -> Param:
    """An array parameter (message items, bytes written, allowed types)."""
    return Param(name, "array", sort)


def bool_param(name: str) -> Param:
    """A boolean parameter (a condition another encoding decides)."""
    return Param(name, "bool", BoolSort)


# -- obligations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Obligation:
    """A named theorem about the spec's rules, with its negative control."""

    id: str
    covers: tuple[RuleId | InvId, ...]
    summary: str
    checks: Callable[[], list[Check]]
    control: str
    control_checks: Callable[[], list[Check]]
    slow: bool = False
    theorem: str = ""
    """The theorem this obligation is a named part of (``THEOREMS``), or ``""``
    when it stands alone. The parts of one theorem share one inductive
    strengthening: each part is its own conjuncts or step properties of it,
    reported on its own, with its own negative control."""
    by_construction: str = ""
    """Why the property holds by construction (how the spec is written makes
    it true; the checks confirm a definition, not an argument), or ``""``."""
    exercises: tuple[RuleId | InvId, ...] = ()
    """Rules whose transitions the proof includes (their effects preserve the
    invariant) but whose own effect the statement does not mention: listed,
    not counted as covered."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one solver query."""

    name: str
    verdict: Verdict
    seconds: float
    counterexample: str | None = None


@dataclass(frozen=True, slots=True)
class ObligationResult:
    """The outcome of an obligation and of its negative control."""

    obligation: Obligation
    verdict: Verdict
    control_verdict: Verdict
    seconds: float
    checks: list[CheckResult] = field(default_factory=list)
    control_checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Proved, and the broken variant refuted."""
        return self.verdict == "proved" and self.control_verdict == "refuted"

    def counterexample(self) -> str | None:
        """The first counterexample of the obligation itself, decoded."""
        for c in self.checks:
            if c.counterexample is not None:
                return f"[{c.name}] {c.counterexample}"
        return None

    def control_counterexample(self) -> str | None:
        """The counterexample that refutes the negative control, decoded."""
        for c in self.control_checks:
            if c.counterexample is not None:
                return f"[{c.name}] {c.counterexample}"
        return None


def run_check(check: Check, timeout_ms: int) -> CheckResult:
    """Run one query; an ``Unknown`` is retried once with other solver
    heuristics (solver time varies with load and luck, verdicts do not)."""
    start = time.perf_counter()
    outcome = prove(check.claim, timeout_ms)
    if not isinstance(outcome, Proved | Counterexample):
        outcome = prove(check.claim, timeout_ms, seed=7)
    seconds = time.perf_counter() - start
    if isinstance(outcome, Proved):
        return CheckResult(check.name, "proved", seconds)
    if isinstance(outcome, Counterexample):
        return CheckResult(check.name, "refuted", seconds, check.decode(outcome.model))
    return CheckResult(check.name, "unknown", seconds, None)


def _combine(results: list[CheckResult]) -> Verdict:
    if any(r.verdict == "refuted" for r in results):
        return "refuted"
    if any(r.verdict == "unknown" for r in results):
        return "unknown"
    return "proved"


def run_obligation(
    ob: Obligation,
    timeout_ms: int = 20_000,
    cache: dict[str, CheckResult] | None = None,
) -> ObligationResult:
    """Prove every check of ``ob``; then run its negative control until one of
    its checks is refuted (the control needs one counterexample, not all).

    Queries already answered for another obligation (same ``key``) are taken
    from ``cache``: several theorems rest on one inductive strengthening."""
    start = time.perf_counter()
    results: list[CheckResult] = []
    for c in ob.checks():
        if cache is not None and c.key is not None and c.key in cache:
            results.append(cache[c.key])
            continue
        r = run_check(c, timeout_ms)
        if cache is not None and c.key is not None:
            cache[c.key] = r
        results.append(r)
    control: list[CheckResult] = []
    for c in ob.control_checks():
        r = run_check(c, timeout_ms)
        control.append(r)
        if r.verdict == "refuted":
            break
    return ObligationResult(
        obligation=ob,
        verdict=_combine(results),
        control_verdict=_combine(control) if control else "unknown",
        seconds=time.perf_counter() - start,
        checks=results,
        control_checks=control,
    )
