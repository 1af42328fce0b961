"""``conform`` on bad usage: one line on standard error and exit 2, never a
traceback (issue 8, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veridian_ipc.cli.main import main

from .helpers import SPEC


def _one_line_error(capsys: pytest.CaptureFixture[str], what: str) -> None:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert what in err


def test_export_onto_a_file_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "vectors"
    file.write_text("not a directory\n")
    assert main(["conform", "--export", str(file), "--max-examples", "2"]) == 2
    _one_line_error(capsys, "is not a directory")
    assert file.read_text() == "not a directory\n"


def test_export_under_a_file_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "file"
    file.write_text("")
    argv = ["conform", "--export", str(file / "sub"), "--max-examples", "2"]
    assert main(argv) == 2
    _one_line_error(capsys, "cannot write vectors")


def test_a_trace_dir_that_is_a_file_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "traces"
    file.write_text("")
    argv = ["conform", "--target", SPEC, "--trace-dir", str(file)]
    assert main(argv) == 2
    _one_line_error(capsys, "is not a directory")


def test_a_report_that_cannot_be_written_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["conform", "--target", SPEC, "--profile", "ci", "--max-examples", "2"]
    assert main([*argv, "--json", str(tmp_path)]) == 2
    _one_line_error(capsys, "cannot write")


def test_no_group_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--target", SPEC, "--groups", ","]) == 2
    _one_line_error(capsys, "names no group")


def test_unknown_groups_are_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--target", SPEC, "--groups", "caps,warp"]) == 2
    _one_line_error(capsys, "unknown feature groups")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--timeout", "0"), ("--timeout", "nan"), ("--max-examples", "-1")],
)
def test_unusable_numbers_are_bad_usage(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conform", "--target", SPEC, option, value]) == 2
    _one_line_error(capsys, f"{option} must be")
