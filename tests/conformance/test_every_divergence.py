"""One run lists every distinct divergence, each with a 1-minimal trace.

The fakes (``fakes/many_bugs.py``) plant independent bugs whose shortest
trace is known and is their only 1-minimal one: a run of the ``ci`` profile
must list each as its own signature, shrunk to exactly that length.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.checker import Checker
from veridian_ipc.conformance.constants import pinned_constants
from veridian_ipc.conformance.machine import RunStats, lockstep
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.runner import Report, run_conformance, settings_for
from veridian_ipc.conformance.targets import InProcessDriver
from veridian_ipc.conformance.traces import load
from veridian_ipc.vocabulary.operations import OPS_BY_NAME
from veridian_ipc.vocabulary.results import Data

from .helpers import FAKES


@pytest.fixture
def bugs(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The ``many_bugs`` module (importable here and in workers from here)."""
    monkeypatch.syspath_prepend(str(FAKES))
    return importlib.import_module("many_bugs")


def _planted(table: dict[str, tuple[str, str, int]], ops: frozenset[str]) -> Data:
    return {(op, kind): length for op, (_, kind, length) in table.items() if op in ops}


def _check_all_found(report: Report, planted: dict[tuple[str, str], int]) -> None:
    """Every planted bug is one entry, 1-minimal, of its known length."""
    assert report.status == "diverged"
    entries = report.divergences
    found: dict[tuple[str, str], Any] = {}
    for d in entries:  # the shortest entry of each (operation, kind)
        key = (d["signature"]["op"], d["signature"]["kind"])
        if key not in found or len(d["steps"]) < len(found[key]["steps"]):
            found[key] = d
    assert sorted(found) == sorted(planted)
    # one entry per signature: a bug of an operation whose rule depends on its
    # object (Close: PORT-CLOSE, CHAN-CLOSE) is one entry per rule it breaks
    signatures = [tuple(d["signature"].values()) for d in entries]
    assert len(set(signatures)) == len(signatures)
    for d in entries:
        if (
            len([e for e in entries if e["signature"]["op"] == d["signature"]["op"]])
            > 1
        ):
            assert OPS_BY_NAME[d["signature"]["op"]].rule is None, d["signature"]
    assert [d["id"] for d in entries] == [f"D{i}" for i in range(1, len(entries) + 1)]
    for key, length in planted.items():
        entry: dict[str, Any] = found[key]
        assert len(entry["steps"]) == length, (key, entry["steps"])
        assert entry["step"] == length
        assert entry["minimal"] is True
        assert entry["reproduced"] is True
        assert entry["count"] >= 1
        assert entry["original_length"] >= length
    assert report.divergence == entries[0]
    # the undeclared group is never sent
    assert all(st["op"]["op"] != "SetFilter" for d in entries for st in d["steps"])


def test_a_run_lists_every_planted_bug_with_its_shortest_trace(
    bugs: ModuleType, tmp_path: Path
) -> None:
    cls = bugs.FewBugs
    report = run_conformance(InProcessDriver(cls), "ci", trace_dir=tmp_path)
    _check_all_found(report, _planted(bugs.PLANTED, cls.planted))
    for entry in report.divergences:
        assert entry["trace"] is not None
        data = load(Path(entry["trace"]))  # a valid trace of the shrunk steps
        assert data["steps"] == entry["steps"]
        assert data["divergence"]["step"] == entry["step"]
    assert len({d["trace"] for d in report.divergences}) == len(report.divergences)
    assert report.to_json()["divergences"] == report.divergences


def test_stopping_at_the_first_lists_one(bugs: ModuleType) -> None:
    report = run_conformance(
        InProcessDriver(bugs.FewBugs), "ci", shrink=False, stop_at_first=True
    )
    assert report.status == "diverged"
    assert len(report.divergences) == 1
    assert report.divergences[0]["id"] == "D1"


def test_run_stats_count_distinct_divergences(bugs: ModuleType) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    from veridian_ipc.conformance.machine import ExplorationDone

    checker = Checker(InProcessDriver(bugs.TwoBugs))
    stats = RunStats(explore=True, max_rehits=10)
    try:
        with pinned_constants():
            run_state_machine_as_test(
                lockstep(checker, stats),
                settings=settings_for("ci", max_examples=40, shrink=False),
            )
    except ExplorationDone:
        pass
    assert stats.distinct == len(stats.found) == 2
    assert sum(f.count for f in stats.found.values()) > 2  # seen again, counted


def test_conform_prints_every_divergence(
    bugs: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bugs.TwoBugs.planted == {"Inspect", "AdvanceClock"}
    out = tmp_path / "report.json"
    argv = ["conform", "--target", "many_bugs:TwoBugs", "--profile", "ci"]
    argv += ["--max-examples", "20", "--json", str(out), "--trace-dir", str(tmp_path)]
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "2 distinct" in text
    assert "D1/2  " in text
    assert "D2/2  " in text
    assert "CAP-INSPECT Inspect error" in text
    assert "TIME-ADVANCE AdvanceClock observation:clock" in text
    assert "1 steps (1-minimal" in text
    assert text.count("trace:    ") == 2
    data = json.loads(out.read_text())
    assert [d["id"] for d in data["divergences"]] == ["D1", "D2"]


@pytest.mark.slow
def test_every_in_process_bug_is_found(bugs: ModuleType) -> None:
    cls = bugs.ManyBugs
    report = run_conformance(InProcessDriver(cls), "ci")
    _check_all_found(report, _planted(bugs.PLANTED, cls.planted))


@pytest.mark.slow
def test_every_bug_of_the_program_is_found(bugs: ModuleType) -> None:
    """Over the protocol: a hang, a crash, an unknown error name and a
    malformed answer among them; the target is restarted after each."""
    program = frozenset(bugs.PROGRAM)
    assert len(program) >= 10
    driver = ProcessDriver([sys.executable, str(FAKES / "many_bugs.py")], timeout=1.0)
    try:
        report = run_conformance(driver, "ci")
    finally:
        driver.close()
    _check_all_found(report, _planted(bugs.PROGRAM, program))
    kinds = {d["signature"]["kind"] for d in report.divergences}
    assert {"hang", "crash", "unknown-error", "protocol"} <= kinds
