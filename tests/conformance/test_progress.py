"""It says what it is doing (issue 10, item 11): a live progress line on a
terminal (examples, steps, steps/s, distinct divergences, rules covered), and
nothing at all when standard error is not a terminal or under CI."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance import command, runner
from veridian_ipc.conformance.checker import Divergence
from veridian_ipc.conformance.coverage import Coverage
from veridian_ipc.conformance.machine import Found, RunStats
from veridian_ipc.conformance.progress import (
    ProgressDisplay,
    Snapshot,
    progress_wanted,
    snapshot,
)
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.signatures import Signature
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.spec import RuleId

from .helpers import MODEL

#: The runner's progress printer (``--profile deep``'s default).
PRINTER = runner._progress_printer


class Stream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal_outside_ci() -> None:
    assert progress_wanted(Stream(True), {}) is True
    assert progress_wanted(Stream(False), {}) is False
    assert progress_wanted(Stream(True), {"CI": "true"}) is False
    assert progress_wanted(Stream(True), {"TERM": "dumb"}) is False
    closed = io.StringIO()
    closed.close()  # isatty raises ValueError
    assert progress_wanted(closed, {}) is False


def test_the_run_calls_a_progress_callable_with_counters_and_coverage() -> None:
    seen: list[tuple[int, int, int]] = []

    def fake(stats: RunStats, coverage: Coverage) -> None:
        seen.append((stats.examples, stats.steps, len(+coverage.rules)))

    driver = InProcessDriver(SpecTarget)
    try:
        rep = run_conformance(driver, "ci", max_examples=4, progress=fake)
    finally:
        driver.close()
    assert len(seen) == rep.examples
    assert [e for e, _, _ in seen] == list(range(1, rep.examples + 1))
    assert seen[-1][1] > 0  # steps of the earlier examples
    assert seen[-1][2] > 0  # rules covered so far


def test_the_snapshot_and_its_line() -> None:
    stats = RunStats()
    stats.examples, stats.steps = 12, 340
    coverage = Coverage()
    coverage.rules.update([RuleId.PORT_SEND, RuleId.PORT_SEND, RuleId.CAP_DROP])
    snap = snapshot(stats, coverage)
    assert (snap.examples, snap.steps, snap.distinct) == (12, 340, 0)
    assert (snap.rules_covered, snap.rules_total) == (2, 56)
    for op in ("Send", "Receive", "Derive"):
        sig = Signature("PORT-SEND", op, "result")
        stats.found[sig] = Found(sig, Divergence("result", "planted", 1, []), [])
    assert snapshot(stats, coverage).distinct == 3
    line = Snapshot(12, 340, 2.0, 3, 41, 52).text()
    assert line == (
        "12 examples · 340 steps (170/s) · 3 distinct divergences · rules 41/52"
    )


def test_the_display_draws_on_a_terminal_and_clears_itself() -> None:
    out = Stream(True)
    stats, coverage = RunStats(), Coverage()
    stdout = sys.stdout
    with ProgressDisplay(out, force_terminal=True) as show:
        assert sys.stdout is stdout  # the report's destination is kept
        stats.examples, stats.steps = 7, 99
        show(stats, coverage)
    assert show.last is not None
    assert show.last.examples == 7
    written = out.getvalue()
    assert "7 examples · 99 steps" in written
    assert "0 distinct divergences · rules 0/56" in written
    assert "\x1b[?25h" in written  # the cursor is given back
    assert written.endswith("\x1b[2K")  # and the line erased


def test_conform_is_quiet_when_stderr_is_not_a_terminal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even the ``deep`` profile, which prints progress lines by default
    (here after every example), prints nothing: stderr is captured, not a
    terminal."""
    monkeypatch.setattr(runner, "_progress_printer", lambda every: PRINTER(1))
    monkeypatch.setenv("VERIDIAN_IPC_EXAMPLES", str(tmp_path / "db"))
    argv = ["conform", "--target", MODEL, "--profile", "deep", "--max-examples", "2"]
    assert main([*argv, "--trace-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "result:   PASS" in captured.out


def test_conform_shows_progress_on_a_terminal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = Stream(True)
    monkeypatch.setattr(command, "progress_wanted", lambda: True)
    monkeypatch.setattr(
        command, "ProgressDisplay", lambda: ProgressDisplay(screen, force_terminal=True)
    )
    argv = ["conform", "--target", MODEL, "--profile", "ci", "--max-examples", "3"]
    assert main([*argv, "--trace-dir", str(tmp_path)]) == 0
    assert "3 examples ·" in screen.getvalue()
    assert capsys.readouterr().err == ""
