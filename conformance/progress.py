"""What a conformance run is doing, shown while it runs, on a terminal only.

``veridian-ipc conform`` hands ``run_conformance`` a ``ProgressDisplay`` as
its ``progress`` callback when ``progress_wanted()``: standard error is a
terminal, and neither ``CI`` is set nor ``TERM=dumb``. The display is one
live line (``rich``), rewritten in place and erased when the run ends, so the
report that follows is all that stays (the line is clipped to the terminal):

    120 examples · 4031 steps (1530/s) · 2 distinct divergences · rules 41/52

``veridian-ipc replay`` shows the same kind of line (``StatusLine``): the
file being replayed and its step, ``replay 2/5 · trace.json · step 14/40``.

Piped, redirected or under CI nothing is shown at all: logs stay clean and
the report is the only output. The numbers come from the run's ``RunStats``
(distinct divergences so far: ``RunStats.distinct`` where the run counts them)
and its rule coverage (``coverage.Coverage``); nothing is decided here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO

from veridian_ipc.console import LiveLine, progress_wanted
from veridian_ipc.spec import RuleId

from .coverage import Coverage
from .machine import RunStats

__all__ = ["ProgressDisplay", "Snapshot", "StatusLine", "progress_wanted", "snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """The run's counters at one moment."""

    examples: int
    steps: int
    seconds: float
    distinct: int
    rules_covered: int
    rules_total: int

    @property
    def steps_per_second(self) -> float:
        """Steps per second so far."""
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def text(self) -> str:
        """The progress line."""
        return (
            f"{self.examples} examples · {self.steps} steps "
            f"({self.steps_per_second:.0f}/s) · {self.distinct} distinct "
            f"divergences · rules {self.rules_covered}/{self.rules_total}"
        )


def snapshot(stats: RunStats, coverage: Coverage) -> Snapshot:
    """The counters of a run from its ``stats`` and ``coverage``."""
    return Snapshot(
        examples=stats.examples,
        steps=stats.steps,
        seconds=max(time.perf_counter() - stats.started, 0.0),
        distinct=stats.distinct,
        rules_covered=sum(1 for n in coverage.rules.values() if n > 0),
        rules_total=len(RuleId),
    )


class StatusLine(LiveLine):
    """A live line of free text on a terminal (``show``), erased when the
    context ends: the progress of ``veridian-ipc replay``. Standard output
    keeps its destination (the report may be piped); what is written to
    standard error meanwhile shows above the line."""


class ProgressDisplay:
    """A live progress line on a terminal; a ``run_conformance`` progress
    callback (``(stats, coverage)``), used as a context manager around the
    run so that the line is erased however the run ends."""

    def __init__(
        self, stream: TextIO | None = None, force_terminal: bool | None = None
    ) -> None:
        self.line = StatusLine(stream, force_terminal, initial="starting…")
        #: The last counters shown.
        self.last: Snapshot | None = None

    def __enter__(self) -> ProgressDisplay:
        self.line.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.line.__exit__(None, None, None)  # erased, however the run ended

    def __call__(self, stats: RunStats, coverage: Coverage) -> None:
        self.last = snapshot(stats, coverage)
        self.line.show(self.last.text())
