"""A conformance run never reports a false pass (issue 8, items 1 and 2).

A target whose initial observation is wrong or is not an observation at all
diverges at step 0 (or fails), in process and over the protocol; a run that
executes no step is not a pass; a target whose divergence does not reproduce
(history-dependent or random) gives a report with the divergence first seen
and its trace, never a Hypothesis ``Flaky`` traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.runner import Report, run_conformance
from veridian_ipc.conformance.targets import (
    Driver,
    InProcessDriver,
    SpecTarget,
    load_class,
)
from veridian_ipc.conformance.traces import load, replay

from .helpers import FAKES, fake_driver

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

FAKE = "fake_targets"


@pytest.fixture
def fakes_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fake_targets`` importable here and in the workers started from here."""
    monkeypatch.syspath_prepend(str(FAKES))


def _fake_class(name: str) -> type:
    sys.path.insert(0, str(FAKES))
    try:
        return load_class(f"{FAKE}:{name}")
    finally:
        sys.path.remove(str(FAKES))


def _run(driver: Driver, tmp_path: Path, examples: int = 10) -> Report:
    try:
        return run_conformance(driver, "ci", max_examples=examples, trace_dir=tmp_path)
    finally:
        driver.close()


def _assert_reset_divergence(report: Report, tmp_path: Path) -> None:
    data = report.to_json()
    assert data["status"] == "diverged", data
    assert data["conformance"] is False
    assert data["divergence"]["step"] == 0
    assert data["divergence"]["kind"] == "observation"
    assert data["divergence"]["steps"] == []
    assert data["trace"] is not None
    trace = json.loads(Path(data["trace"]).read_text())
    assert trace["steps"] == []
    assert trace["divergence"]["step"] == 0


def test_initial_clock_ahead_diverges_in_process(tmp_path: Path) -> None:
    report = _run(InProcessDriver(_fake_class("ClockAhead")), tmp_path)
    _assert_reset_divergence(report, tmp_path)
    diff = report.to_json()["divergence"]["diff"]
    assert {"path": "$.clock", "spec": 0, "target": 1} in diff


def test_a_reset_divergence_trace_replays(tmp_path: Path) -> None:
    report = _run(InProcessDriver(_fake_class("ClockAhead")), tmp_path)
    data = load(Path(str(report.trace)))
    again = replay(data, InProcessDriver(_fake_class("ClockAhead")))
    assert again.divergence is not None
    assert again.divergence.step == 0
    assert replay(data, InProcessDriver(SpecTarget)).conforms


def test_initial_clock_ahead_diverges_over_the_protocol(tmp_path: Path) -> None:
    report = _run(fake_driver("clock_ahead.py", timeout=10.0), tmp_path)
    _assert_reset_divergence(report, tmp_path)


@pytest.mark.parametrize(
    "name", ["ObservesNone", "ObservesGarbage", "ObservesStrangeObjects"]
)
def test_a_non_observation_diverges_in_process(name: str, tmp_path: Path) -> None:
    report = _run(InProcessDriver(_fake_class(name)), tmp_path)
    _assert_reset_divergence(report, tmp_path)
    assert "initial" in report.to_json()["divergence"]["message"]


def test_a_null_observation_over_the_protocol_is_not_a_pass(tmp_path: Path) -> None:
    report = _run(fake_driver("observes_null.py", timeout=10.0), tmp_path)
    assert report.status == "target-failure"
    assert report.failure is not None
    assert "malformed observation at step 0" in report.failure
    assert report.to_json()["conformance"] is False


@pytest.mark.usefixtures("fakes_importable")
@pytest.mark.parametrize("name", ["ClockAhead", "ObservesNone", "ObservesGarbage"])
def test_conform_never_passes_a_wrong_initial_state(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    argv = ["conform", "--target", f"{FAKE}:{name}", "--profile", "ci"]
    argv += ["--max-examples", "5", "--trace-dir", str(tmp_path), "--json", str(out)]
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "PASS" not in text
    if name == "ClockAhead":
        assert "DIVERGENCE at reset" in text
    data = json.loads(out.read_text())
    assert data["conformance"] is False
    assert data["status"] in ("diverged", "target-failure")


def test_a_run_of_no_step_is_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No rule is ever enabled (every precondition false): zero steps run,
    which must not read as a pass."""
    from veridian_ipc.conformance import machine
    from veridian_ipc.conformance.generate import GENERATORS

    for name in GENERATORS:
        monkeypatch.setitem(machine.NEEDS, name, lambda s: False)
    driver = InProcessDriver(_fake_class("Small"), groups=["caps"])
    report = _run(driver, tmp_path, examples=3)
    assert report.steps == 0
    assert report.status == "no-steps"
    assert report.failure is not None
    assert "no available rule" in report.failure
    assert report.to_json()["conformance"] is False


def test_a_run_that_ran_nothing_is_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis returns without running any step (here: without running at
    all): the report says so instead of PASS."""
    from veridian_ipc.conformance import runner

    monkeypatch.setattr(runner, "run_state_machine_as_test", lambda *a, **k: None)
    report = _run(InProcessDriver(_fake_class("Small")), tmp_path)
    assert report.status == "no-steps"
    assert report.failure is not None
    assert "no step was executed in 0 examples" in report.failure


def test_a_history_dependent_divergence_is_reported(tmp_path: Path) -> None:
    cls = _fake_class("SeventhCallWrong")
    calls: list[int] = cls.__dict__["apply"].__globals__["CALLS"]
    calls[0] = 0
    report = _run(InProcessDriver(cls), tmp_path, examples=30)
    data = report.to_json()
    assert data["status"] == "diverged"
    assert data["reproduced"] is False
    assert data["conformance"] is False
    assert "not reproduced" in str(data["failure"])
    assert data["divergence"]["step"] >= 1
    trace = json.loads(Path(str(data["trace"])).read_text())
    assert trace["divergence"]["kind"] == "result"
    assert trace["steps"][-1]["target"] == {"error": "Timeout"}


def test_a_random_divergence_is_reported(tmp_path: Path) -> None:
    report = _run(InProcessDriver(_fake_class("SometimesWrong")), tmp_path, 60)
    data = report.to_json()
    assert data["status"] == "diverged"
    assert data["reproduced"] in (True, False)
    assert data["trace"] is not None
    assert Path(str(data["trace"])).exists()


def test_a_deterministic_divergence_reproduces(tmp_path: Path) -> None:
    """The seeded bug the check must see as deterministic (reproduced)."""
    mutant = load_class("veridian_ipc.conformance.mutants:PortCapacityPlusOne")
    report = _run(InProcessDriver(mutant), tmp_path, 100)
    assert report.status == "diverged"
    assert report.reproduced is True


@pytest.mark.usefixtures("fakes_importable")
def test_conform_reports_a_divergence_that_did_not_reproduce(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    argv = ["conform", "--target", f"{FAKE}:SeventhCallWrong", "--profile", "ci"]
    argv += ["--max-examples", "30", "--trace-dir", str(tmp_path), "--json", str(out)]
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "DIVERGENCE (did not reproduce" in text
    data = json.loads(out.read_text())
    assert data["reproduced"] is False
    assert Path(str(data["trace"])).exists()


def test_the_protocol_driver_names_a_worker_by_its_class() -> None:
    driver = ProcessDriver(
        [sys.executable, str(FAKES / "clock_ahead.py")], timeout=10.0, name="x:Y"
    )
    try:
        assert driver.name == "x:Y"
    finally:
        driver.close()
