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

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from veridian_ipc.spec import RuleId

from .coverage import Coverage
from .machine import RunStats

if TYPE_CHECKING:
    from rich.live import Live

__all__ = ["ProgressDisplay", "Snapshot", "StatusLine", "progress_wanted", "snapshot"]


def progress_wanted(
    stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to show progress on ``stream`` (standard error by default): it
    is a terminal, and the environment is not a CI's (``CI``) or a dumb
    terminal's (``TERM=dumb``)."""
    out = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    try:
        tty = bool(out.isatty())
    except (AttributeError, ValueError, OSError):  # closed or not a file
        return False
    return tty and not env.get("CI") and env.get("TERM") != "dumb"


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


class ProgressDisplay:
    """A live progress line on a terminal; a ``run_conformance`` progress
    callback (``(stats, coverage)``), used as a context manager around the
    run so that the line is erased however the run ends."""

    def __init__(
        self, stream: TextIO | None = None, force_terminal: bool | None = None
    ) -> None:
        # imported here: only a run on a terminal needs rich
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self.text = Text
        console = Console(
            file=sys.stderr if stream is None else stream,
            force_terminal=force_terminal,
        )
        # standard output keeps its destination (the report may be piped);
        # what is written to standard error meanwhile shows above the line
        self.live: Live = Live(
            Text("starting…"),
            console=console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
        )
        #: The last counters shown.
        self.last: Snapshot | None = None

    def __enter__(self) -> ProgressDisplay:
        self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.live.stop()

    def __call__(self, stats: RunStats, coverage: Coverage) -> None:
        self.last = snapshot(stats, coverage)
        line = self.text(self.last.text(), no_wrap=True, overflow="ellipsis")
        self.live.update(line)


class StatusLine:
    """A live line of free text on a terminal (``show``), erased when the
    context ends: the progress of ``veridian-ipc replay``."""

    def __init__(
        self, stream: TextIO | None = None, force_terminal: bool | None = None
    ) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self.text = Text
        console = Console(
            file=sys.stderr if stream is None else stream,
            force_terminal=force_terminal,
        )
        self.live: Live = Live(
            Text(""),
            console=console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
        )
        #: The last text shown.
        self.last = ""

    def __enter__(self) -> StatusLine:
        self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.live.stop()

    def show(self, text: str) -> None:
        """Replace the line with ``text`` (clipped to the terminal)."""
        self.last = text
        self.live.update(self.text(text, no_wrap=True, overflow="ellipsis"))
