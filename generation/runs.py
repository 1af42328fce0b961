"""Runs of the spec: set-ups, then operations and scenarios, every step recorded.

A run starts from ``initial_state(processes, config)``, runs the set-up of
each group (``setups.SETUPS``, in a drawn order, each of which may be
skipped), then draws what to do next with ``choices.next_steps``: one
operation (``ops.GENERATORS``, weighted and guarded as in the conformance
suite) or a scenario (``scenarios.SCENARIOS``), looking at the state the run
has reached. Every step goes through ``spec.step`` and is recorded as a
``Step`` (before, pid, operation, after, result).

``runs(...)`` is the Hypothesis strategy: every choice (the length, the
number of processes, each set-up, each operation and argument) is a
Hypothesis choice, so a failing run shrinks to a short one with ordinary
arguments. ``random_run(seed, steps)`` makes the same kind of run from a
seed, for campaigns outside a test (the spec-mutant campaign's agreement
runs).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from veridian_ipc.spec import Config, KernelState, Result, initial_state, step
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary.syscalls import Operation

from .choices import next_steps, rules
from .configs import SMALL
from .context import Gen
from .registry import ALL_GROUPS
from .setups import SETUPS, prologue

#: Called with a step's index and operation before the step runs; returns the
#: operation to run instead (a test tags message data, say).
Prepare = Callable[[int, Operation], Operation]


@dataclass(frozen=True, slots=True, repr=False)
class Step:
    """One recorded step of a run. Its repr is the step alone (pid, operation,
    result), so a failing run reads as a short trace. ``op`` is typed
    ``object``: an in-process run passes values that are no records at all
    (ERR-TOTAL)."""

    before: KernelState
    pid: int
    op: object
    after: KernelState
    result: Result

    def __repr__(self) -> str:
        return f"Step(pid={self.pid}, op={self.op!r}, result={self.result!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The same short form in Hypothesis's reports (its pretty-printer
        would otherwise print both states of every step)."""
        printer.text(repr(self))


def build_run(
    g: Gen,
    length: int,
    processes: int,
    config: Config = SMALL,
    *,
    ill_typed: bool = False,
    in_process: bool = False,
    prepare: Prepare | None = None,
    fixed_setup: bool = False,
) -> list[Step]:
    """``length`` steps of the spec from a fresh system of ``processes``,
    every choice drawn through ``g`` (whose groups say which operations may
    be drawn). ``ill_typed`` adds operations with a field of the wrong type
    (ERR-TOTAL), ``in_process`` the values only an in-process caller can
    pass (``choices.IN_PROCESS_ILL_TYPED``); without ``ill_typed`` no step
    is ill-typed (a scenario's deliberate fault is left out), so checks of
    typed operations (the encodings' agreement) can take every step.
    ``fixed_setup`` starts with ``setups.prologue`` (each of its steps left
    out one time in ten) instead of the groups' drawn set-ups."""
    s = initial_state(processes, config)
    out: list[Step] = []

    def run(pid: int, op: Operation) -> None:
        nonlocal s
        if not ill_typed and not well_typed(op):
            return  # a scenario's deliberate fault, in a run without them
        if prepare is not None:
            op = prepare(len(out), op)
        after, result = step(s, pid, op)
        out.append(Step(s, pid, op, after, result))
        s = after

    if fixed_setup:
        for pid, op in prologue(processes)[:length]:
            if g.roll() >= 10:
                run(pid, op)
    else:
        for group in g.permutation([x for x in SETUPS if x in g.groups]):
            for pid, op in SETUPS[group](g.at(s))[: length - len(out)]:
                run(pid, op)
    table = rules(g.groups, ill_typed, in_process)
    for _ in range(4 * length):  # a draw of empty scenarios cannot loop forever
        if len(out) >= length:
            break
        for pid, op in next_steps(g.at(s), table)[: length - len(out)]:
            run(pid, op)
    return out


@st.composite
def runs(
    draw: st.DrawFn,
    min_steps: int = 1,
    max_steps: int = 40,
    processes: tuple[int, int] = (2, 3),
    config: Config = SMALL,
    groups: frozenset[str] = ALL_GROUPS,
    *,
    ill_typed: bool = False,
    in_process: bool = False,
    prepare: Prepare | None = None,
) -> list[Step]:
    """A recorded run of ``min_steps``..``max_steps`` steps from a system of
    ``processes`` (a range) processes; shrinks to a short run. The keywords
    are ``build_run``'s."""
    g = Gen(draw, initial_state(1, config), groups)
    length = g.integer(min_steps, max_steps)
    n = g.integer(*processes)
    return build_run(
        g,
        length,
        n,
        config,
        ill_typed=ill_typed,
        in_process=in_process,
        prepare=prepare,
    )


def random_run(
    seed: int,
    steps: int,
    processes: int = 2,
    config: Config = SMALL,
    groups: frozenset[str] = ALL_GROUPS,
) -> list[Step]:
    """``steps`` recorded steps of the spec, deterministic in ``seed``: the
    same generators as ``runs``, their choices from a ``random.Random``,
    after the proofs' fixed set-up (``setups.prologue``)."""
    g = Gen.seeded(random.Random(seed), initial_state(1, config), groups)
    return build_run(g, steps, processes, config, fixed_setup=True)


__all__ = ["Prepare", "Step", "build_run", "random_run", "runs"]
