"""``--seed``: a run explores the sequence of its seed, reproducibly; ``ci``
defaults to seed 0 (the derandomized sequence); the seed is in the terminal
report, the JSON report and every trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.traces import load
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Data, Err, Result
from veridian_ipc.vocabulary.syscalls import Operation, Spawn

from .helpers import SPEC

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign


class _SpawnFails(SpecTarget):
    """The spec, except that Spawn always fails (a divergence to trace)."""

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Spawn):
            return Err(IpcError.InvalidArgument)
        return super().apply(pid, op)


class _Recording(InProcessDriver):
    """The spec target, noting every step it is sent."""

    def __init__(self) -> None:
        super().__init__(SpecTarget)
        self.sent: list[tuple[int, str]] = []

    def apply(self, pid: int, op: Operation) -> Data:
        self.sent.append((pid, repr(op)))
        return super().apply(pid, op)


def _steps(profile: str, seed: int | None, examples: int = 8) -> list[tuple[int, str]]:
    driver = _Recording()
    report = run_conformance(driver, profile, max_examples=examples, seed=seed)
    assert report.status == "pass"
    if seed is not None:
        assert report.seed == seed
    return driver.sent


def test_the_same_seed_gives_the_same_steps() -> None:
    first = _steps("dev", 12345)
    assert first
    assert _steps("dev", 12345) == first


def test_different_seeds_give_different_steps() -> None:
    assert _steps("dev", 1) != _steps("dev", 2)


def test_ci_defaults_to_seed_0_and_other_profiles_to_a_random_one() -> None:
    ci = run_conformance(_Recording(), "ci", max_examples=2)
    assert ci.seed == 0
    assert _steps("ci", None, 5) == _steps("ci", 0, 5)
    seeds = {run_conformance(_Recording(), "dev", max_examples=1).seed for _ in "ab"}
    assert len(seeds) == 2


@pytest.mark.parametrize("seed", [-1, 2**64, True])
def test_a_bad_seed_is_refused(seed: int) -> None:
    with pytest.raises(ValueError, match="seed"):
        run_conformance(_Recording(), "ci", max_examples=1, seed=seed)


@pytest.mark.parametrize("examples", [0, -3])
def test_max_examples_below_one_is_refused(examples: int) -> None:
    with pytest.raises(ValueError, match="max_examples"):
        run_conformance(_Recording(), "ci", max_examples=examples)


@pytest.mark.parametrize(
    "extra",
    [
        ["--seed", "-1"],
        ["--max-examples", "0"],
        ["--mutants", "--seed", "3", "--seeds", "1"],
    ],
)
def test_bad_seed_or_examples_on_the_command_line(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["conform", "--profile", "ci", *extra]
    assert main(argv if "--mutants" in extra else [*argv, "--target", SPEC]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "must be" in err or "does not apply" in err


def test_the_seed_is_in_the_reports_and_the_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    argv = ["conform", "--target", SPEC, "--profile", "dev", "--max-examples", "2"]
    assert main([*argv, "--seed", "77", "--json", str(out)]) == 0
    assert "seed:     77" in capsys.readouterr().out
    assert json.loads(out.read_text())["seed"] == 77
    driver = InProcessDriver(_SpawnFails)
    rep = run_conformance(
        driver, "ci", max_examples=50, seed=9, trace_dir=tmp_path / "traces"
    )
    assert rep.trace is not None, rep.failure
    assert load(Path(rep.trace))["seed"] == 9
