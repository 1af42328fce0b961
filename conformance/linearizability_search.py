"""Linearizability search: is a history explained by some run of the spec?

``check`` searches for a **witness**: a sequential order of the calls,
consistent with real time (a call that returned before another was invoked
comes first), that the spec accepts with the recorded results (each step
applied with ``apply_step``).

The search is Wing and Gong's backtracking, with Lowe's memoization and the
linked-list frontier of Porcupine (Athalye): the calls are kept in a list of
invocation and response events sorted by time; a call can be placed next if
its invocation comes before the first response of a call not placed yet; a
placed call is unlinked from the list (and relinked on backtracking). A
configuration (spec state, set of placed steps) that was already explored is
never explored again: spec states are immutable values with structural
equality and hashing (persistent maps), so the cache holds them directly,
without building observations (measured: hashing a fresh state adds about a
tenth to the cost of the ``step`` that made it; building and serialising its
observation instead would cost four times the step). The search is bounded
(``max_nodes``, ``max_seconds``): when the budget runs out the verdict is
``UNDECIDED``, never a hang and never a guess.

A call of several steps (a blocking receive, ``linearizability_history``)
places its steps in order; every step but the last is expected to return
``Ok(BLOCKED)`` (the call goes on) or the call's result (the call ends there: a
receive that found a message does not block). A pending call (never returned)
may have any prefix of its steps placed, with any result.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.results import Result

from .linearizability_explain import Attempt, Placed, Report, Verdict
from .linearizability_history import (
    OK_BLOCKED,
    Call,
    apply_step,
    interval,
    validate,
)


@dataclass
class _Budget:
    """What the search may still spend; ``spent`` names the limit reached."""

    max_nodes: int
    deadline: float
    nodes: int = 0
    spent: str = ""


def _entries(calls: Sequence[Call]) -> list[int]:
    """Event ids sorted by time: ``2i`` invokes call i, ``2i + 1`` is its
    response. At equal times invocations come first, so calls of different
    processes whose times touch count as overlapping (the permissive choice:
    the clock cannot order them); but a process's next call, invoked at the
    very tick its previous call returned, comes after that response (program
    order is known without the clock)."""
    follows: set[int] = set()
    last: dict[int, Call] = {}
    for i in sorted(range(len(calls)), key=lambda i: interval(calls[i])):
        c = calls[i]
        prev = last.get(c.pid)
        if prev is not None and prev.responded == c.invoked:
            follows.add(i)
        last[c.pid] = c
    events: list[tuple[int, int, int]] = []
    for i, c in enumerate(calls):
        events.append((c.invoked, 2 if i in follows else 0, 2 * i))
        if c.responded is not None:
            events.append((c.responded, 1, 2 * i + 1))
    events.sort()
    return [e for _, _, e in events]


def check(
    calls: Iterable[Call],
    initial: KernelState,
    *,
    max_nodes: int = 1_000_000,
    max_seconds: float = 60.0,
) -> Report:
    """Search for a linearization of ``calls`` starting from state ``initial``.

    Returns ``LINEARIZABLE`` with a witness, ``VIOLATION`` with the longest
    accepted prefix and the calls that could not be placed after it, or
    ``UNDECIDED`` when ``max_nodes`` search nodes or ``max_seconds`` ran out.
    Raises ``ValueError`` for a malformed history (see ``validate``).
    """
    history = tuple(calls)
    validate(history)
    started = time.perf_counter()
    budget = _Budget(max_nodes, started + max_seconds)
    search = _Search(history, initial, budget)
    found = search.run()
    seconds = time.perf_counter() - started
    if found:
        verdict = Verdict.LINEARIZABLE
        witness = tuple(search.path)
        attempts: tuple[Attempt, ...] = ()
        barrier = None
    else:
        verdict = Verdict.UNDECIDED if budget.spent else Verdict.VIOLATION
        witness = tuple(search.best_path)
        attempts = tuple(search.best_attempts)
        barrier = search.best_barrier
    return Report(
        verdict,
        history,
        witness,
        attempts,
        barrier,
        budget.nodes,
        len(search.cache),
        seconds,
        budget.spent,
    )


_DONE = 0
_NEXT = 1
_REJECT = 2


class _Search:
    """The backtracking search (one instance per check)."""

    def __init__(
        self, calls: tuple[Call, ...], initial: KernelState, budget: _Budget
    ) -> None:
        self.calls = calls
        self.initial = initial
        self.budget = budget
        n = len(calls)
        # Doubly linked list of events; HEAD and TAIL are sentinels.
        order = _entries(calls)
        self.head = 2 * n
        self.tail = 2 * n + 1
        size = 2 * n + 2
        self.nxt = [-1] * size
        self.prv = [-1] * size
        chain = [self.head, *order, self.tail]
        for a, b in itertools.pairwise(chain):
            self.nxt[a] = b
            self.prv[b] = a
        # Bit positions of each call's steps in the "placed" bit set.
        self.base: list[int] = []
        pos = 0
        for c in calls:
            self.base.append(pos)
            pos += len(c.ops)
        self.progress = [0] * n
        self.required = sum(1 for c in calls if c.responded is not None)
        self.cache: set[tuple[int, KernelState]] = set()
        self.path: list[Placed] = []
        self.best_path: list[Placed] = []
        self.best_attempts: list[Attempt] = []
        self.best_barrier: int | None = None
        self.kept = False

    def _lift(self, i: int) -> None:
        """Unlink call i's events (it is fully placed)."""
        for e in (2 * i, 2 * i + 1):
            if self.calls[i].responded is None and e & 1:
                continue
            p, q = self.prv[e], self.nxt[e]
            self.nxt[p] = q
            self.prv[q] = p

    def _unlift(self, i: int) -> None:
        """Relink call i's events, in the reverse order of ``_lift``."""
        for e in (2 * i + 1, 2 * i):
            if self.calls[i].responded is None and e & 1:
                continue
            p, q = self.prv[e], self.nxt[e]
            self.nxt[p] = e
            self.prv[q] = e

    def _classify(self, c: Call, k: int, r: Result) -> int:
        last = k == len(c.ops) - 1
        if not last and r == OK_BLOCKED:
            return _NEXT
        if c.result is None or r == c.result:
            return _DONE
        return _REJECT

    def _record(self, attempts: list[Attempt], barrier: int | None) -> None:
        """Keep the current node as the deepest failure if it is deeper than
        the one kept (copied only then: a search that never fails copies
        nothing)."""
        if len(self.path) > len(self.best_path) or not self.kept:
            self.kept = True
            self.best_path = list(self.path)
            self.best_attempts = attempts
            self.best_barrier = barrier

    def run(self) -> bool:
        """True if a witness is found (left in ``path``); False on a violation
        or when the budget runs out (``budget.spent``), with the deepest
        failure kept in ``best_*``."""
        calls, nxt, budget = self.calls, self.nxt, self.budget
        s = self.initial
        bits = 0
        # Frame: (event tried, state before, bits before, was call completed).
        stack: list[tuple[int, KernelState, int, bool]] = []
        attempts: list[Attempt] = []  # what failed at the current node so far
        e = nxt[self.head]
        fresh = True
        while True:
            if fresh:
                fresh = False
                if self.required == 0:
                    return True
                budget.nodes += 1
                attempts = []
                if budget.nodes >= budget.max_nodes:
                    budget.spent = f"{budget.max_nodes} search nodes"
                    self._record(attempts, None)
                    return False
                if (budget.nodes & 255) == 0 and time.perf_counter() > budget.deadline:
                    budget.spent = "time"
                    self._record(attempts, None)
                    return False
            if e != self.tail and not e & 1:
                i = e >> 1
                c = calls[i]
                k = self.progress[i]
                op = c.ops[k]
                s2, r = apply_step(s, c.pid, op)
                kind = self._classify(c, k, r)
                if kind != _REJECT:
                    width = len(c.ops) - k if kind == _DONE else 1
                    nbits = bits | (((1 << width) - 1) << (self.base[i] + k))
                    key = (nbits, s2)
                    if key not in self.cache:
                        self.cache.add(key)
                        stack.append((e, s, bits, kind == _DONE))
                        self.path.append(Placed(i, op, r))
                        if kind == _DONE:
                            self._lift(i)
                            if c.responded is not None:
                                self.required -= 1
                        self.progress[i] = k + 1
                        s, bits = s2, nbits
                        e = nxt[self.head]
                        fresh = True
                        continue
                expected = c.result if k == len(c.ops) - 1 else None
                attempts.append(Attempt(i, op, r, expected, kind != _REJECT))
                e = nxt[e]
                continue
            # A response (or the end): nothing after it can be placed here.
            self._record(attempts, None if e == self.tail else e >> 1)
            if not stack:
                return False
            e, s, bits, completed = stack.pop()
            self.path.pop()
            i = e >> 1
            self.progress[i] -= 1
            if completed:
                self._unlift(i)
                if calls[i].responded is not None:
                    self.required += 1
            attempts = []  # an interior node is never deeper than its child
            e = nxt[e]


__all__ = ["check"]
