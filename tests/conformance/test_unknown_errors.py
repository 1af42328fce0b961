"""Error names outside the enum: a target may answer any error name; one the
spec does not have is a result like any other, compared with the spec's: a
divergence of kind ``result``, shrunk, with a trace that shows the name
verbatim (and the optional ``detail``), never a target failure. Only the
protocol carries such names: an in-process target returning something that
is not a spec ``Result`` is a target failure."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.checker import Checker
from veridian_ipc.conformance.protocol import check_result
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget, TargetFailure
from veridian_ipc.conformance.traces import load
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import CreatePort, Operation

from .helpers import FAKES, SPEC, fake_driver

EFOO = "efoo_on_close.py"
COMMAND = shlex.join([sys.executable, str(FAKES / EFOO)])


def _run(tmp_path: Path) -> dict[str, object]:
    driver = fake_driver(EFOO, timeout=20.0)
    try:
        report = run_conformance(
            driver, "ci", max_examples=15, trace_dir=tmp_path / "traces"
        )
    finally:
        driver.close()
    assert report.status == "diverged", report.failure
    assert report.reproduced is True
    data = report.to_json()
    assert isinstance(data, dict)
    return data


def test_an_unknown_error_name_is_a_result_divergence(tmp_path: Path) -> None:
    data = _run(tmp_path)
    div = data["divergence"]
    assert isinstance(div, dict)
    assert div["kind"] == "result"
    assert "EFOO" in div["message"]
    last = div["steps"][-1]
    assert last["op"]["op"] == "Close"
    assert last["target"] == {"error": "EFOO", "detail": "close is not supported"}
    assert len(div["steps"]) <= 2  # shrunk
    trace = load(Path(str(data["trace"])))
    assert trace["steps"][-1]["target"]["error"] == "EFOO"
    assert trace["steps"][-1]["target"]["detail"] == "close is not supported"


def test_the_table_shows_the_name_and_replay_diverges_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    argv = ["conform", "--target", COMMAND, "--profile", "ci", "--max-examples", "15"]
    argv += ["--trace-dir", str(tmp_path), "--json", str(out), "--timeout", "20"]
    assert main(argv) == 1
    shown = capsys.readouterr().out
    assert "DIVERGENCE (shrunk)" in shown
    assert "EFOO" in shown
    trace = json.loads(out.read_text())["trace"]
    assert main(["replay", trace, "--target", COMMAND, "--timeout", "20"]) == 1
    assert "EFOO" in capsys.readouterr().out
    # the recorded target results are informative: the spec conforms
    assert main(["replay", trace, "--target", SPEC]) == 0
    assert "conforms" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer",
    [
        {"error": "EFOO"},
        {"error": "Other", "detail": "ENOTSUP from the host"},
        {"error": "InvalidArgument", "detail": ""},
    ],
)
def test_any_error_name_is_a_well_formed_result(answer: dict[str, object]) -> None:
    assert check_result(answer) is None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"error": "EFOO", "detail": 5}, "an error's detail is a string"),
        ({"error": "EFOO", "why": "x"}, "an error result has only"),
        ({"ok": 1, "detail": "x"}, "a result is an object"),
    ],
)
def test_a_malformed_error_result_is_still_refused(
    answer: dict[str, object], reason: str
) -> None:
    why = check_result(answer)
    assert why is not None
    assert why.startswith(reason)


class _NotAResult(SpecTarget):
    def apply(self, pid: int, op: Operation) -> Result:
        return "EFOO"  # type: ignore[return-value]


def test_in_process_a_non_result_is_a_target_failure() -> None:
    checker = Checker(InProcessDriver(_NotAResult))
    checker.reset()
    with pytest.raises(TargetFailure):
        checker.apply(1, CreatePort(1))
