"""``python -m veridian_ipc.conformance.linearizability``: exit statuses.

0 linearizable, 1 not linearizable, 2 bad usage or input (one line on
standard error, no traceback), 3 undecided (the search budget ran out).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from veridian_ipc.conformance.linearizability import (
    EXIT_BAD_INPUT,
    Call,
    encode_history,
    main,
)
from veridian_ipc.spec import Delivered, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Lookup,
    Operation,
    Receive,
    Send,
)

NONE: Result = Ok(None)


def _setup(processes: int, capacity: int) -> list[tuple[int, Operation]]:
    """Every process holds handle 1 to one port (created by pid 1)."""
    ops: list[tuple[int, Operation]] = [
        (1, CreatePort(capacity)),
        (1, Bind(1, "p", 0, 15)),
    ]
    return ops + [(pid, Lookup("p")) for pid in range(2, processes + 1)]


def _send(pid: int, data: bytes, t0: int, t1: int) -> Call:
    return Call(pid, (Send(1, 0, 0, data),), NONE, t0, t1)


def _recv(pid: int, sender: int, data: bytes, t0: int, t1: int) -> Call:
    got: Result = Ok(Delivered(sender, 0, 0, data, ()))
    return Call(pid, (Receive(1, 0),), got, t0, t1)


def _history(tmp_path: Path, calls: list[Call], processes: int = 3) -> Path:
    path = tmp_path / "history.json"
    data = encode_history(calls, processes, None, _setup(processes, processes))
    path.write_text(json.dumps(data))
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def test_verdicts_have_distinct_statuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [_send(2, b"a", 0, 10), _recv(3, 2, b"a", 20, 30)]
    assert _run([str(_history(tmp_path, good))], capsys)[0] == 0
    bad = [_recv(3, 2, b"a", 0, 10), _send(2, b"a", 20, 30)]
    assert _run([str(_history(tmp_path, bad))], capsys)[0] == 1
    # many overlapping sends, then a receive of a message nobody sent
    hard = [_send(p, bytes([p]), 0, 100) for p in range(2, 10)]
    hard.append(_recv(1, 2, b"never", 200, 210))
    path = _history(tmp_path, hard, processes=9)
    status, _ = _run([str(path), "--max-nodes", "200"], capsys)
    assert status == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "not a version 1 history"),
        ('{"version": 1, "processes": 3}', "malformed history"),
        (
            '{"version": 1, "processes": 3, "config": {}, "calls": '
            '[{"pid": 1, "ops": [], "result": null, "invoked": 0, '
            '"responded": null}]}',
            "",
        ),
    ],
)
def test_a_malformed_history_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    path = tmp_path / "history.json"
    path.write_text(content)
    status, err = _run([str(path)], capsys)
    assert status == EXIT_BAD_INPUT == 2
    assert len(err.strip().splitlines()) == 1, err
    assert reason in err
    assert "Traceback" not in err


def test_overlapping_calls_of_one_process_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = [_send(2, b"a", 0, 10), _send(2, b"b", 5, 15)]
    status, err = _run([str(_history(tmp_path, calls))], capsys)
    assert status == 2
    assert "overlapping calls" in err


def test_a_missing_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _run([str(tmp_path / "absent.json")], capsys)
    assert status == 2
    assert "cannot read" in err


def test_the_module_reports_a_malformed_history_without_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.json"
    path.write_text("{not json")
    proc = subprocess.run(
        [sys.executable, "-m", "veridian_ipc.conformance.linearizability", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
