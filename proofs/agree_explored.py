"""The encodings agree with the spec on every explored transition.

A proof is about an encoding (``enc_*``); the faithfulness check
(``faithful``, one ``Part`` per encoding in ``PARTS``: the quota encoding's
and ``agreement.CHECKERS``) ties it to the spec step by step. Here that check
runs over the *whole* explored state space of a scope, not over a few random
runs: one breadth-first pass of ``explore`` carries two visitors, so the
search is shared by every encoding:

- on every transition, each encoding maps the spec step into its own
  transitions, evaluated on the projected pre-state: the guard must hold
  exactly when the spec succeeded, and the abstract post-state (the
  unchanged pre-state when the step failed: ERR-ATOMIC) must equal the
  projection of the spec's post-state; a step the quota encoding refuses
  (``OutOfMemory``, which every rule checks after every other check) is a
  failed step to the others: their guards are not judged, nothing may change;
- on every state reached, each encoding's inductive invariant, evaluated on
  the projection, must hold (the invariant the proofs assume really holds on
  the spec's reachable states).

An encoding that drifts from the spec (an off-by-one planted in a transition,
``systems=``) then disagrees on some transition of the scope, reported with
the shortest trace to it. ``AGREE_DEPTH`` bounds the search (the Z3
evaluation per transition costs milliseconds, against microseconds for the
spec alone); ``agree_scopes`` runs every CI scope to it, and ``FILTERS``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from veridian_ipc.spec import KernelState
from veridian_ipc.vocabulary import syscalls as sc

from . import agree_quota
from .agreement import CHECKERS
from .explore import ExploreResult, explore
from .explore_scopes import CI_SCOPES, SCOPES, Scope
from .faithful import Part
from .induction import System
from .step_properties_base import Transition

#: How deep the agreement pass searches a scope by default: every transition
#: of every state reachable in this many steps (or the scope's own depth, if
#: smaller) is checked against every encoding.
AGREE_DEPTH = 3

#: The scopes searched deeper than ``AGREE_DEPTH``, each for the cases that
#: depth 3 misses (the Z3 evaluation per transition makes every step of depth
#: cost): ``waiters`` (a send that wakes a waiter with ``OutOfMemory`` or
#: hands off while another waits, a close, revoke, deadline or kill of a
#: waiter next to a woken one, the resume of each), ``quota`` (a send to a
#: waiter without handle room, a receive refused with ``OutOfMemory``, a kill
#: of a receiver that has not collected its hand-off: PORT-HANDOFF's give
#: back), ``blocking`` and ``blocking-ring`` (a blocked sender served, timed
#: out, or ended by close, revoke or kill while another waits). ``threads``
#: and ``threads-blocking`` stay at 3 (their sibling's receive, drop, close
#: or kill is reached by then; depth 4 adds mostly a later ``Resume``, and
#: costs about 20 s more): the whole ``veridian-ipc prove`` stays within its
#: five minutes under load.
AGREE_DEPTHS: dict[str, int] = {
    "waiters": 4,
    "quota": 4,
    "blocking": 4,
    "blocking-ring": 4,
}


def agree_depth(scope: Scope) -> int:
    """The depth the agreement pass searches ``scope`` to (``AGREE_DEPTHS``,
    else ``AGREE_DEPTH``), never beyond the scope's own depth."""
    return min(scope.depth, AGREE_DEPTHS.get(scope.name, AGREE_DEPTH))


#: A scope of the agreement pass alone: the ``time`` scope with a filter that
#: is both size- and rate-limited (zero bytes, two tokens, one per two
#: ticks), so an offer is refused for its size, admitted, and refused for want
#: of a token or of room within a few steps (FILTER-CHECK, FILTER-RATE).
FILTERS = replace(
    SCOPES["time"],
    name="filters",
    description="a port with a size- and rate-limited filter",
    filters=(sc.SetFilter(0, None, 0, sc.RateLimit(2, 1, 2)),),
)

#: CI scopes the agreement pass leaves out: none. ``quota``, where
#: ``OutOfMemory`` is reached, is decided by the quota encoding
#: (``enc_quota``); ``threads``, where a second thread of a task acts
#: (PROC-THREAD), is projected with every thread's step as its task's (the
#: encodings keep one table per task, ``faithful.task_pid``; a kill of any
#: thread is its task's kill, each thread's uncollected hand-off given back);
#: ``blocking`` and ``blocking-ring`` (PORT-SEND-BLOCK, CHAN-SEND-BLOCK) map a
#: blocked send to a pending admission (the port and channel encodings'
#: ``block``: every check of the send but room passes, nothing changes yet)
#: and each send served when room freed to an ordinary send
#: (``faithful.served``). What is not judged: a served attempt that failed
#: (the world changed while it waited) changes nothing in any encoding, so it
#: is compared as a failed step, its error not decided by an encoding.
UNMODELLED_SCOPES: frozenset[str] = frozenset()


#: Every encoding's part: the quota encoding's, which decides
#: ``OutOfMemory`` (spec/quotas.py: every rule checks its quotas last, so a
#: step it refuses is, to every other encoding, a failed step), then those of
#: ``agreement.CHECKERS``.
def all_parts() -> dict[str, Part]:
    """Every encoding's part, read from ``agreement.CHECKERS`` now (a variant
    swapped in there is the one checked)."""
    return {agree_quota.PART.name: agree_quota.PART, **CHECKERS}


PARTS = all_parts()

#: The scopes the agreement pass searches: the CI scopes, then its own.
AGREE_SCOPES: dict[str, Scope] = {
    **{n: SCOPES[n] for n in CI_SCOPES if n not in UNMODELLED_SCOPES},
    FILTERS.name: FILTERS,
}


@dataclass
class AgreeResult:
    """One scope's agreement pass: the search, and what was checked."""

    search: ExploreResult
    steps_checked: dict[str, int] = field(default_factory=dict)
    states_checked: int = 0

    @property
    def ok(self) -> bool:
        """Every encoding agreed on every transition and state."""
        return self.search.ok

    def line(self) -> str:
        """The one-line summary."""
        r = self.search
        verdict = "agree" if self.ok else "DISAGREE"
        return (
            f"{verdict:<9} {r.scope:<9} depth {r.depth}: {r.states} states "
            f"(invariants), {r.transitions} transitions x "
            f"{len(self.steps_checked)} encodings, {r.seconds:.1f}s"
        )

    def json(self) -> dict[str, Any]:
        """As plain data."""
        return {**self.search.json(), "encodings": sorted(self.steps_checked)}


def agree_scope(
    scope: Scope,
    *,
    depth: int | None = None,
    parts: Mapping[str, Part] | None = None,
    systems: Mapping[str, System] | None = None,
    invariants: bool = True,
) -> AgreeResult:
    """Search ``scope`` (to ``agree_depth(scope)`` by default) and check every
    encoding in ``parts`` on every transition and reachable state; stop at the
    first disagreement. ``systems`` swaps in a variant of an encoding (by
    name), to show the check can fail."""
    depth = agree_depth(scope) if depth is None else depth
    parts = all_parts() if parts is None else parts
    variant = dict(systems or {})
    out = AgreeResult(ExploreResult(scope.name, depth))

    def visit(t: Transition) -> tuple[str, str] | None:
        refused = _refused_by_quota(t, parts.get("quota"), variant.get("quota"))
        for name, part in parts.items():
            found = part(
                t.pre,
                t.pid,
                t.op,
                t.post,
                t.result,
                variant.get(name),
                refused=refused and name != "quota",
            )
            out.steps_checked[name] = out.steps_checked.get(name, 0) + 1
            if found:
                return f"AGREE/{name}", found[0]
        return None

    def visit_state(s: KernelState) -> tuple[str, str] | None:
        out.states_checked += 1
        if not invariants:
            return None
        for name, part in parts.items():
            found = part.invariant_failures(s, variant.get(name))
            if found:
                return f"AGREE/{name}", found[0]
        return None

    out.search = explore(
        scope, depth=depth, properties=False, visit=visit, visit_state=visit_state
    )
    return out


def _refused_by_quota(t: Transition, part: Part | None, system: System | None) -> bool:
    """The quota encoding refuses the step and the spec says ``OutOfMemory``
    (whether they agree is the quota part's own check)."""
    if part is None:
        return False
    return agree_quota.refuses(t.pre, t.pid, t.op, t.post, t.result, system)


def agree_scopes(
    names: Sequence[str] = tuple(AGREE_SCOPES),
    *,
    depth: int | None = None,
    systems: Mapping[str, System] | None = None,
) -> list[AgreeResult]:
    """Every named scope's agreement pass, in order (``KeyError`` for an
    unknown name); stops at the first scope that disagrees."""
    out: list[AgreeResult] = []
    for n in names:
        r = agree_scope(AGREE_SCOPES[n], depth=depth, systems=systems)
        out.append(r)
        if not r.ok:
            break
    return out


def verdict_line(results: Sequence[AgreeResult]) -> str:
    """One line for every scope's agreement pass: the verdict first."""
    bad = [r.search.scope for r in results if not r.ok]
    head = "agree" if not bad else f"DISAGREE in {', '.join(bad)}"
    states = sum(r.search.states for r in results)
    moves = sum(r.search.transitions for r in results)
    secs = sum(r.search.seconds for r in results)
    depths = sorted({r.search.depth for r in results})
    shown = "-".join(str(d) for d in (depths[0], depths[-1])) if depths else "0"
    if len(depths) == 1:
        shown = str(depths[0])
    return (
        f"encodings vs spec: {head}: {len(results)} scopes to depth "
        f"{shown}, {states} states, {moves} transitions, {secs:.1f}s"
    )


def timed(
    names: Sequence[str] = tuple(AGREE_SCOPES),
) -> tuple[list[AgreeResult], float]:
    """``agree_scopes`` and the wall time it took."""
    start = time.perf_counter()
    res = agree_scopes(names)
    return res, time.perf_counter() - start


__all__ = [
    "AGREE_DEPTH",
    "AGREE_DEPTHS",
    "AGREE_SCOPES",
    "FILTERS",
    "PARTS",
    "UNMODELLED_SCOPES",
    "AgreeResult",
    "agree_depth",
    "agree_scope",
    "agree_scopes",
    "all_parts",
    "timed",
    "verdict_line",
]
