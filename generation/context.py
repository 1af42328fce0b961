"""The drawing context of the operation generators: ``Gen`` and its value pools.

A ``Gen`` holds Hypothesis's ``draw`` and the current spec state, and draws
the arguments of operations from that state, so that most operations are
meaningful: handles are mostly live handles of the right kind, sometimes of
the wrong kind, stale (dropped, revoked, moved away) or never issued; pids are
mostly running processes, sometimes blocked, dead or unknown ones; sizes sit
around every limit of the configuration (``configs.SMALL``) and of the
fixed limits (64 bytes, 4 capabilities); names come from a small pool plus
invalid ones. Every choice is a ``roll`` or a ``pick``, which shrink towards
0 and the first item: small and valid choices first.

The generators (``ops``, ``scenarios``, ``setups``)
draw through a ``Gen`` only, in a fixed order: the ci profile is derandomized,
so the same draws give the same sequences, and the mutant campaign's result
depends on them.

Two sources back a ``Gen``. In tests and in the conformance suite it is
Hypothesis's ``draw`` (of ``st.data()``): every choice is a Hypothesis choice,
so a failing run shrinks. A campaign outside any test (``runs.random_run``,
the spec-mutant campaign's agreement runs) makes one with ``Gen.seeded``: the
same choices, from a ``random.Random``. Every primitive (``roll``, ``pick``,
``integer``, ``binary``, ``permutation``, ``subset``) serves both.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from veridian_ipc.spec.state import KernelState, Kind, Process, Running
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_U32, Handle, Pid
from veridian_ipc.vocabulary.rights import ALL_RIGHTS
from veridian_ipc.vocabulary.syscalls import Operation

#: Hypothesis's ``draw`` (of ``st.data()``): a value of a strategy.
Draw = Callable[[st.SearchStrategy[Any]], Any]

#: The valid names operations use (a small pool, so names collide).
NAMES = ("a", "b", "svc")
#: Every valid name a run draws: the pool, then the fresh names scenarios and
#: flows bind (``r0``, ``n0`` ...; a run of a few dozen steps binds far fewer
#: than 32 of each). An encoding that numbers names numbers these.
VALID_NAMES: tuple[str, ...] = (
    *NAMES,
    *(f"r{i}" for i in range(32)),
    *(f"n{i}" for i in range(32)),
)
#: Invalid names: empty, with a NUL byte, longer than ``configs.SMALL`` allows.
BAD_NAMES = ("", "x\0", "toolong!")


@lru_cache(maxsize=256)
def _index(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


@lru_cache(maxsize=256)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


_ROLL = st.integers(0, 99)


def _no_draw(strategy: st.SearchStrategy[Any]) -> Any:
    raise TypeError("a seeded Gen draws through its own methods, not a strategy")


class Gen:
    """Draws arguments from one spec state."""

    def __init__(
        self,
        draw: Draw,
        s: KernelState,
        groups: frozenset[str],
        rng: random.Random | None = None,
    ) -> None:
        self.draw = draw
        self.s = s
        self.groups = groups
        self.rng = rng

    @classmethod
    def seeded(cls, rng: random.Random, s: KernelState, groups: frozenset[str]) -> Gen:
        """A ``Gen`` whose choices come from ``rng`` (runs outside a test)."""
        return cls(_no_draw, s, groups, rng)

    def at(self, s: KernelState) -> Gen:
        """The same source and groups, drawing from state ``s``."""
        return Gen(self.draw, s, self.groups, self.rng)

    def roll(self) -> int:
        """0..99; shrinks to 0, the most ordinary choice."""
        if self.rng is not None:
            return self.rng.randint(0, 99)
        r: int = self.draw(_ROLL)
        return r

    def pick(self, items: Sequence[Any]) -> Any:
        """One of ``items`` (non-empty); shrinks towards the first."""
        if len(items) == 1:
            return items[0]
        if self.rng is not None:
            return items[self.rng.randrange(len(items))]
        return items[self.draw(_index(len(items)))]

    def integer(self, lo: int, hi: int) -> int:
        """An int in ``lo..hi``; shrinks towards ``lo`` (0 if in range)."""
        if self.rng is not None:
            return self.rng.randint(lo, hi)
        v: int = self.draw(_integers(lo, hi))
        return v

    def binary(self, n: int) -> bytes:
        """``n`` bytes; shrinks towards zeros."""
        if self.rng is not None:
            return self.rng.randbytes(n)
        b: bytes = self.draw(st.binary(min_size=n, max_size=n))
        return b

    def permutation(self, items: Sequence[Any]) -> list[Any]:
        """``items`` in a drawn order; shrinks towards the given order."""
        if self.rng is not None:
            out = list(items)
            self.rng.shuffle(out)
            return out
        perm: list[Any] = self.draw(st.permutations(items))
        return perm

    def subset(self, items: Sequence[Any], max_size: int) -> frozenset[Any]:
        """At most ``max_size`` of ``items``; shrinks towards the empty set."""
        if self.rng is not None:
            return frozenset(
                self.rng.sample(list(items), self.rng.randint(0, max_size))
            )
        return frozenset(self.draw(st.sets(st.sampled_from(items), max_size=max_size)))

    def actor(self, kind: Kind | None = None) -> tuple[int, int]:
        """A process and one of its handles (of ``kind``): mostly a running
        process that holds such a handle, else ``pid()`` and ``handle()``."""
        r = self.roll()
        if r < 80:
            blocked = r < 6  # a blocked process tries too (PROC-STATUS)
            pairs = [
                (pid, h)
                for pid, p in self.s.processes.items()
                if isinstance(p.status, Running) != blocked
                for h in self.handles(pid, kind)
            ]
            if self.roll() < 85:  # mostly objects still open
                pairs = [x for x in pairs if self.is_open(*x)] or pairs
            if pairs:
                pid, h = self.pick(sorted(pairs))
                return int(pid), int(h)
        pid = self.pid()
        return pid, self.handle(pid, kind)

    def is_open(self, pid: int, handle: int) -> bool:
        """The handle's object is not a closed port or channel."""
        cap = self.s.caps[self._table(pid).handles[Handle(handle)]]  # type: ignore[union-attr]
        return not getattr(self.s.objects[cap.obj], "closed", False)

    def _table(self, pid: int) -> Process | None:
        """The record holding the tables of ``pid``'s task (PROC-THREAD), or
        None if ``pid`` is no live thread."""
        if type(pid) is not int or Pid(pid) not in self.s.processes:
            return None
        return table_of(self.s, Pid(pid))

    def pid(self) -> int:
        """Mostly a running process; sometimes a blocked, dead or unknown one."""
        running = [
            p for p, q in self.s.processes.items() if isinstance(q.status, Running)
        ]
        others = [p for p in self.s.processes if p not in running]
        r = self.roll()
        if running and r < 90:
            return int(self.pick(sorted(running)))
        if others and r < 96:
            return int(self.pick(sorted(others)))
        return int(self.pick([0, self.s.next_pid, self.s.next_pid - 1]))

    def fresh_handle(self, pid: int) -> int:
        """The spec's number for the next handle ``pid`` (a live process) will
        get: what a step creating a capability returns."""
        return int(self._table(pid).next_handle)  # type: ignore[union-attr]

    def handles(self, pid: int, kind: Kind | None = None) -> list[int]:
        """Live handles of ``pid`` (of ``kind`` if given), sorted."""
        p = self._table(pid)
        if p is None:
            return []
        return sorted(
            h
            for h, c in p.handles.items()
            if kind is None or self.s.caps[c].kind is kind
        )

    def handle(self, pid: int, kind: Kind | None = None) -> int:
        """A handle of ``pid``: live of ``kind`` mostly, else any, stale, invented."""
        p = self._table(pid)
        nxt = 1 if p is None else p.next_handle
        good = self.handles(pid, kind)
        anyh = self.handles(pid)
        r = self.roll()
        if good and r < 80:
            return int(self.pick(good))
        if anyh and r < 88:
            return int(self.pick(anyh))
        stale = [h for h in range(1, nxt) if h not in anyh]
        if stale and r < 95:
            return int(self.pick(stale))
        return int(self.pick([nxt, nxt + 1, 0, -1]))

    def _running_pairs(self, what: str) -> list[tuple[int, int]]:
        return sorted(
            (pid, x)
            for pid, p in self.s.processes.items()
            if isinstance(p.status, Running)
            for x in getattr(self._table(pid), what)
        )

    def _actor_with(self, what: str, fallback: Callable[[int], int]) -> tuple[int, int]:
        """A running process and one of its ``what`` (mappings, fds) three
        times in four; else ``pid()`` and ``fallback`` of it."""
        pairs = self._running_pairs(what)
        if pairs and self.roll() < 75:
            pid, x = self.pick(pairs)
            return int(pid), int(x)
        pid = self.pid()
        return pid, fallback(pid)

    def actor_mapping(self) -> tuple[int, int]:
        """A process and one of its mapping ids, mostly a live one."""
        return self._actor_with("mappings", self.mapping)

    def actor_fd(self) -> tuple[int, int]:
        """A process and one of its file descriptors, mostly an open one."""
        return self._actor_with("fds", self.fd)

    def mapping(self, pid: int) -> int:
        """A mapping id: live mostly, else stale or invented."""
        p = self._table(pid)
        if p is None:
            return 1
        live = sorted(p.mappings)
        r = self.roll()
        if live and r < 85:
            return int(self.pick(live))
        stale = [m for m in range(1, p.next_mapping) if m not in live]
        if stale and r < 93:
            return int(self.pick(stale))
        return int(self.pick([p.next_mapping, 0]))

    def fd(self, pid: int) -> int:
        """A file descriptor: open mostly, else a closed or negative one."""
        p = self._table(pid)
        live = [] if p is None else sorted(p.fds)
        if live and self.roll() < 85:
            return int(self.pick(live))
        return int(self.pick([0, 1, 2, 3, -1]))

    def size(self, limit: int) -> int:
        """A count near 0 or near ``limit``: -1..2, limit-1..limit+1."""
        return int(self.pick([1, 2, 0, limit, limit + 1, limit - 1, -1]))

    def data(self, limit: int = MAX_INLINE_DATA) -> bytes:
        """Bytes of a length near 0 or near ``limit`` (over it one time in 10)."""
        if self.roll() < 90:
            n = int(self.pick([0, 1, 2, 3, limit, limit - 1]))
        else:
            n = limit + 1
        return self.binary(max(n, 0))

    def names_pool(self) -> list[str]:
        """The valid names operations use: the small pool, then the names
        bound now (so that scenarios' names are unbound and looked up again)."""
        bound = sorted(n for n in self.s.namespace if n not in NAMES)
        return [*NAMES, *bound]

    def name(self) -> str:
        """Mostly a valid name (``names_pool``); sometimes an invalid one."""
        if self.roll() < 90:
            return str(self.pick(self.names_pool()))
        return str(self.pick(list(BAD_NAMES)))

    def rights(self, pid: int, handle: int) -> int:
        """Mostly a subset of ``handle``'s rights, else any bits (maybe invalid)."""
        p = self._table(pid)
        cap = None if p is None else p.handles.get(Handle(handle))
        have = ALL_RIGHTS if cap is None else self.s.caps[cap].rights
        r = self.roll()
        if r < 75:
            return self.integer(0, ALL_RIGHTS) & have
        if r < 95:
            return self.integer(0, ALL_RIGHTS)
        return int(self.pick([ALL_RIGHTS + 1, 0x40, -1]))

    def msg_type(self) -> int:
        """A message or service type: small mostly, out of range one time in 10."""
        if self.roll() < 90:
            return int(self.pick([0, 1, 2, MAX_U32]))
        return int(self.pick([MAX_U32 + 1, -1]))


#: A generator of one operation: ``(pid, operation)`` in the spec's numbering.
GenFn = Callable[[Gen], tuple[int, Operation]]

#: A short sequence of ``(pid, operation)`` steps (a scenario or a set-up).
Steps = list[tuple[int, Operation]]


__all__ = ["BAD_NAMES", "NAMES", "VALID_NAMES", "Draw", "Gen", "GenFn", "Steps"]
