"""A target that crashes, hangs or talks garbage gives a clear failure, never a hang."""

from __future__ import annotations

import sys
import time

import pytest

from veridian_ipc.conformance.checker import Checker, Divergence
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import TargetFailure
from veridian_ipc.vocabulary.syscalls import CreatePort

from .helpers import fake_driver


def _one_step(script: str, timeout: float = 1.0) -> None:
    driver = fake_driver(script, timeout=timeout)
    try:
        checker = Checker(driver)
        checker.reset()
        checker.apply(1, CreatePort(1))
    finally:
        driver.close()


def _drive(script: str) -> str:
    """Start the fake, reset it and apply one operation; the failure text."""
    with pytest.raises(TargetFailure) as info:
        _one_step(script)
    return str(info.value)


def test_crash_is_reported_with_status_and_stderr() -> None:
    text = _drive("crash.py")
    assert "exit status 139" in text
    assert "segmentation fault (simulated)" in text


def test_hang_is_cut_by_the_step_timeout() -> None:
    started = time.monotonic()
    text = _drive("hang.py")
    assert "did not answer within 1 s" in text
    assert "killed" in text
    assert time.monotonic() - started < 30


def test_malformed_json_is_reported() -> None:
    text = _drive("garbage.py")
    assert "malformed JSON" in text
    assert "this is {not json" in text


def test_an_unknown_error_name_is_a_result_not_a_failure() -> None:
    """An error name outside the enum is compared like any result (a
    divergence, ``test_unknown_errors``), not a protocol fault."""
    with pytest.raises(Divergence, match="Oops"):
        _one_step("wrong_result.py")


def test_unknown_groups_are_refused_at_handshake() -> None:
    with pytest.raises(TargetFailure, match="invalid groups"):
        fake_driver("bad_groups.py")


def test_silent_target_fails_the_handshake() -> None:
    with pytest.raises(TargetFailure, match="did not answer"):
        fake_driver("silent.py", timeout=0.5)


def test_missing_program_is_reported() -> None:
    with pytest.raises(TargetFailure, match="cannot start target"):
        ProcessDriver(["/nonexistent/veridian-target"], timeout=1.0)


def test_a_run_against_a_crashing_target_reports_it() -> None:
    driver = fake_driver("crash.py", timeout=1.0)
    try:
        report = run_conformance(driver, "ci", max_examples=5)
    finally:
        driver.close()
    assert report.status == "target-failure"
    assert report.failure is not None
    assert "exit status 139" in report.failure
    assert report.to_json()["conformance"] is False


def test_claiming_more_than_declared_is_refused() -> None:
    with pytest.raises(TargetFailure, match="does not implement"):
        ProcessDriver(
            [sys.executable, str(fake_driver.__globals__["FAKES"] / "crash.py")],
            timeout=1.0,
            groups=["caps", "channels"],
        )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"error": []}, "an error name is a string, not []"),
        ({"error": {"x": 1}}, "an error name is a string"),
        ({"error": 7}, "an error name is a string, not 7"),
        ({"error": "Oops", "detail": ["x"]}, "an error's detail is a string"),
        ({"error": "Oops", "y" * 10_000: 1}, "an error result has only"),
        ({"error": "x", "detail": ["x" * 10_000]}, "an error's detail is a string"),
    ],
)
def test_an_ill_typed_error_name_is_a_reason_not_an_exception(
    answer: dict[str, object], reason: str
) -> None:
    """A target's error name that is not a string (even an unhashable one) is
    reported as a protocol fault, never raised; a long one is clipped."""
    from veridian_ipc.conformance.protocol import check_result

    why = check_result(answer)
    assert why is not None
    assert why.startswith(reason)
    assert len(why) < 300


def test_a_known_error_name_is_a_result() -> None:
    from veridian_ipc.conformance.protocol import check_result

    assert check_result({"error": "WouldBlock"}) is None
