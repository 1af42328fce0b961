"""Exhaustive small-scope checking of the real ``spec.step`` (breadth first).

From the scope's initial state, every operation the scope lists is applied to
every state reached, breadth first, to the scope's depth. States are immutable
and hashable, so each is kept once in a visited map that also records how it
was first reached (parent, issuer, operation, result): breadth first, that
record gives the *shortest* trace to any state. On every new state every
invariant of ``spec.invariants`` is checked; on every transition every step
property of ``step_properties``. The first violation stops the search and is
reported with its shortest trace, printed step by step with results.

This is the small-scope hypothesis (Alloy, TLC) applied to the spec itself:
most bugs show up in a small system, and a small system can be searched
completely. Scopes are in ``explore_scopes``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from veridian_ipc.spec import KernelState, initial_state, step, violations
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Result

from .explore_scopes import SCOPES, Scope, candidates
from .step_properties import Transition, failures


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a trace: who issued what, and what it returned."""

    pid: Pid
    op: sc.Operation
    result: Result

    def __str__(self) -> str:
        who = "env" if self.op.environment else f"p{self.pid}"
        return f"{who}: {self.op!r} -> {self.result!r}"


@dataclass
class Violation:
    """What failed (an invariant or a step property), and the shortest trace."""

    kind: str  # "invariant", "property" or "agreement"
    id: str
    message: str
    trace: list[TraceStep]

    def lines(self) -> list[str]:
        """The violation and its trace, as printed."""
        steps = len(self.trace)
        out = [f"{self.kind} {self.id} violated after {steps} steps: {self.message}"]
        out += [f"  {i}. {s}" for i, s in enumerate(self.trace, 1)]
        return out

    def json(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "kind": self.kind,
            "id": self.id,
            "message": self.message,
            "trace": [str(s) for s in self.trace],
        }


@dataclass
class ExploreResult:
    """The outcome of searching one scope."""

    scope: str
    depth: int
    states: int = 0
    transitions: int = 0
    seconds: float = 0.0
    complete_depth: int = 0
    violation: Violation | None = None
    per_depth: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No violation found."""
        return self.violation is None

    @property
    def rate(self) -> float:
        """Transitions per second."""
        return self.transitions / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line summary."""
        verdict = "clean" if self.ok else "VIOLATION"
        return (
            f"{verdict:<9} {self.scope:<9} depth {self.depth}: {self.states} states, "
            f"{self.transitions} transitions, {self.seconds:.1f}s "
            f"({self.rate:,.0f}/s)"
        )

    def json(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "scope": self.scope,
            "depth": self.depth,
            "states": self.states,
            "transitions": self.transitions,
            "seconds": round(self.seconds, 3),
            "states_per_depth": self.per_depth,
            "ok": self.ok,
            "violation": None if self.violation is None else self.violation.json(),
        }


Parent = tuple[KernelState, Pid, sc.Operation, Result] | None
Progress = Callable[[ExploreResult], None]
#: A check hooked into the search: called on every transition (or on every
#: new state), it returns what is wrong (``(id, message)``) or None.
Visitor = Callable[[Transition], tuple[str, str] | None]
StateVisitor = Callable[[KernelState], tuple[str, str] | None]


def _trace(visited: dict[KernelState, Parent], s: KernelState) -> list[TraceStep]:
    out: list[TraceStep] = []
    link = visited[s]
    while link is not None:
        pre, pid, op, result = link
        out.append(TraceStep(pid, op, result))
        link = visited[pre]
    out.reverse()
    return out


def _broken_invariant(s: KernelState) -> str | None:
    try:
        bad = violations(s)
    except Exception as e:  # a malformed state can make a predicate raise
        return f"an invariant raised {type(e).__name__}: {e}"
    return None if not bad else ", ".join(str(b.value) for b in bad)


def explore(
    scope: Scope,
    *,
    depth: int | None = None,
    progress: Progress | None = None,
    properties: bool = True,
    visit: Visitor | None = None,
    visit_state: StateVisitor | None = None,
) -> ExploreResult:
    """Search ``scope`` breadth first; stop at the first violation.

    ``visit`` and ``visit_state`` hook further checks into the same pass (the
    encodings' agreement, ``agree_explored``): ``visit`` sees every
    transition, ``visit_state`` every state reached, the initial one
    included; what they report is a violation of kind ``"agreement"``."""
    depth = scope.depth if depth is None else depth
    res = ExploreResult(scope.name, depth)
    start = time.perf_counter()
    init = initial_state(scope.processes, scope.config)
    visited: dict[KernelState, Parent] = {init: None}
    for pid, op in scope.setup:  # the scope's fixed prefix, part of every trace
        post, result = step(init, pid, op)
        visited.setdefault(post, (init, pid, op, result))
        init = post
    frontier = [init]
    res.states = 1
    bad = _broken_invariant(init)
    if bad is not None:
        res.violation = Violation("invariant", bad, "in the initial state", [])
    elif visit_state is not None and (found := visit_state(init)) is not None:
        res.violation = Violation("agreement", *found, _trace(visited, init))
    last = start
    for level in range(depth):
        if res.violation is not None or not frontier:
            break
        nxt: list[KernelState] = []
        for pre in frontier:
            for pid, op in candidates(scope, pre):
                res.transitions += 1
                try:
                    post, result = step(pre, pid, op)
                except Exception as e:  # ERR-TOTAL: step never raises
                    trace = _trace(visited, pre)
                    msg = f"step raised {type(e).__name__}: {e}"
                    res.violation = Violation(
                        "property",
                        "ERR-TOTAL",
                        msg,
                        [*trace, TraceStep(pid, op, None)],  # type: ignore[arg-type]
                    )
                    break
                if properties:
                    t = Transition(pre, pid, op, result, post)
                    try:
                        failed = next(failures(t), None)
                    except Exception as e:
                        failed = None
                        err = f"a property raised {type(e).__name__}: {e}"
                        trace = [*_trace(visited, pre), TraceStep(pid, op, result)]
                        res.violation = Violation(
                            "property", "PROPERTY-ERROR", err, trace
                        )
                        break
                    if failed is not None:
                        trace = [*_trace(visited, pre), TraceStep(pid, op, result)]
                        res.violation = Violation(
                            "property", failed[0].id, failed[1], trace
                        )
                        break
                if visit is not None:
                    found = visit(Transition(pre, pid, op, result, post))
                    if found is not None:
                        trace = [*_trace(visited, pre), TraceStep(pid, op, result)]
                        res.violation = Violation("agreement", *found, trace)
                        break
                if post in visited:
                    continue
                visited[post] = (pre, pid, op, result)
                res.states += 1
                bad = _broken_invariant(post)
                if bad is not None:
                    res.violation = Violation(
                        "invariant",
                        bad,
                        "the new state breaks it",
                        _trace(visited, post),
                    )
                    break
                if visit_state is not None and (found := visit_state(post)):
                    res.violation = Violation(
                        "agreement", *found, _trace(visited, post)
                    )
                    break
                nxt.append(post)
            if res.violation is not None:
                break
            if progress is not None and time.perf_counter() - last > 1.0:
                last = time.perf_counter()
                res.seconds = last - start
                progress(res)
        res.per_depth.append(len(nxt))
        if res.violation is None:
            res.complete_depth = level + 1
        frontier = nxt
    res.seconds = time.perf_counter() - start
    return res


def terminal_progress(stream: TextIO = sys.stderr) -> Progress | None:
    """A progress printer (states, transitions/s) when ``stream`` is a terminal."""
    if not stream.isatty():
        return None

    def show(r: ExploreResult) -> None:
        stream.write(
            f"\r  {r.scope}: {r.states} states, {r.transitions} transitions, "
            f"{r.rate:,.0f}/s   "
        )
        stream.flush()

    return show


__all__ = [
    "ExploreResult",
    "StateVisitor",
    "TraceStep",
    "Violation",
    "Visitor",
    "explore",
    "run_scopes",
    "terminal_progress",
    "verdict_line",
]


def run_scopes(
    names: list[str] | tuple[str, ...],
    *,
    depth: int | None = None,
    progress: Progress | None = None,
    stop_at_first: bool = False,
) -> list[ExploreResult]:
    """Search each named scope in turn (``KeyError`` for an unknown name)."""
    scopes = [SCOPES[n] for n in names]
    out: list[ExploreResult] = []
    for scope in scopes:
        r = explore(scope, depth=depth, progress=progress)
        out.append(r)
        if progress is not None:
            sys.stderr.write("\r" + " " * 72 + "\r")
        if stop_at_first and not r.ok:
            break
    return out


def verdict_line(results: list[ExploreResult]) -> str:
    """One line for all the scopes searched: the verdict first."""
    bad = [r for r in results if not r.ok]
    states = sum(r.states for r in results)
    moves = sum(r.transitions for r in results)
    secs = sum(r.seconds for r in results)
    head = "clean" if not bad else f"VIOLATION in {', '.join(r.scope for r in bad)}"
    return (
        f"exhaustive check: {head}: {len(results)} scopes, {states} states, "
        f"{moves} transitions, {secs:.1f}s"
    )
