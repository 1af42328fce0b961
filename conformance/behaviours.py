"""Behaviour coverage: which named behaviours a run reached, and how often.

Rule coverage says a rule was *called*; it is printed as complete even when no
example reached what makes the rule hard (a capability that travelled and is
then used, a revoke through a dropped intermediate, a rate limit refilling
after a long period). A behaviour names such a situation, per rule, with a
predicate over one step of the spec (``behaviours_base``); the catalogue
(``behaviours_catalogue.CATALOGUE``) lists at least three per group.

``BehaviourTracker`` is fed every step the checker accepts (the spec's states
around it, its result). It keeps the per-example ``History`` the predicates
need, resets it when a new example starts, counts each behaviour reached and
records it as a Hypothesis ``event`` (once per example) when a test is running.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import event
from hypothesis.control import currently_in_test_context

from veridian_ipc.spec.state import KernelState
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary.ids import GROUPS, RuleId
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import OPERATIONS, Operation

from .behaviours_base import Behaviour, History
from .behaviours_catalogue import CATALOGUE

#: Every behaviour, by ID, in catalogue order.
BEHAVIOURS: dict[str, Behaviour] = {b.id: b for b in CATALOGUE}


def _by_operation() -> dict[type[Operation], tuple[Behaviour, ...]]:
    """For each operation type, the behaviours its steps can reach."""
    table: dict[type[Operation], tuple[Behaviour, ...]] = {}
    for cls in OPERATIONS:
        table[cls] = tuple(b for b in CATALOGUE if not b.ops or cls in b.ops)
    return table


_FOR_OP = _by_operation()
#: Behaviours any step can reach (no operation type given).
_ANY = tuple(b for b in CATALOGUE if not b.ops)


def behaviours_of(rule: RuleId) -> list[Behaviour]:
    """The behaviours that belong to ``rule``."""
    return [b for b in CATALOGUE if rule in b.rules]


def by_group() -> dict[str, list[Behaviour]]:
    """The catalogue grouped by group, in reading order (``GROUPS``)."""
    out: dict[str, list[Behaviour]] = {g: [] for g, _ in GROUPS}
    for b in CATALOGUE:
        out[b.group].append(b)
    return out


class BehaviourTracker:
    """Counts the behaviours reached over a run; one ``History`` per example."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.history = History()
        self._seen: set[str] = set()

    def reset(self) -> None:
        """A new example starts: forget the previous one's history."""
        self.history = History()
        self._seen = set()

    def step(
        self,
        pre: KernelState,
        pid: int,
        op: Operation,
        result: Result,
        post: KernelState,
    ) -> list[str]:
        """Record one step; returns the IDs of the behaviours it reached."""
        if not well_typed(op):
            return []  # refused before any rule looked at it (ERR-TOTAL)
        h = self.history
        reached = [
            b.id
            for b in _FOR_OP.get(type(op), _ANY)
            if b.predicate(pre, pid, op, result, post, h)
        ]
        h.update(pre, pid, op, result, post)
        if reached:
            self.counts.update(reached)
            fresh = [i for i in reached if i not in self._seen]
            if fresh:
                self._seen.update(fresh)
                if currently_in_test_context():
                    for i in fresh:
                        event(f"behaviour {i}")
        return reached

    def missed(self) -> list[str]:
        """Behaviours no step reached, in catalogue order."""
        return [b.id for b in CATALOGUE if self.counts[b.id] == 0]

    def to_json(self) -> dict[str, int]:
        """Counts per behaviour ID, every behaviour listed (0 when missed)."""
        return {b.id: self.counts[b.id] for b in CATALOGUE}


def catalogue_lines() -> list[str]:
    """The catalogue as text, one behaviour per line, by group."""
    lines: list[str] = []
    titles = dict(GROUPS)
    for group, items in by_group().items():
        lines.append(f"{group}: {titles[group]} ({len(items)})")
        for b in items:
            rules = ",".join(r.value for r in b.rules)
            lines.append(f"  {b.id:<34} {rules:<32} {b.description}")
    lines.append(f"{len(CATALOGUE)} behaviours")
    return lines


__all__ = [
    "BEHAVIOURS",
    "Behaviour",
    "BehaviourTracker",
    "History",
    "behaviours_of",
    "by_group",
    "catalogue_lines",
]
