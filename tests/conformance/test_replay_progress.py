"""``veridian-ipc replay`` says what it is doing on a terminal (issue 14): a
live line with the file (k/n) and the step being replayed, erased at the end;
piped or under CI, nothing but the report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance import command
from veridian_ipc.conformance.progress import StatusLine

from .helpers import SPEC

VECTORS = Path(__file__).resolve().parents[2] / "conformance" / "vectors"
FILES = [VECTORS / "vector-spec-2.json", VECTORS / "trace-port-capacity-plus-one.json"]


class Recording(StatusLine):
    """A status line that keeps every text it was given."""

    def __init__(self, stream: io.StringIO) -> None:
        super().__init__(stream, force_terminal=True)
        self.texts: list[str] = []

    def show(self, text: str) -> None:
        self.texts.append(text)
        super().show(text)


class Screen(io.StringIO):
    """A stream standing for a terminal."""

    def isatty(self) -> bool:
        return True


def _replay(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["replay", *map(str, FILES), "--target", SPEC])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_replay_shows_the_file_and_step_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = Screen()
    shown: list[Recording] = []

    def make() -> StatusLine:
        shown.append(Recording(screen))
        return shown[-1]

    monkeypatch.setattr(command, "progress_wanted", lambda: True)
    monkeypatch.setattr(command, "StatusLine", make)
    status, out, err = _replay(capsys)
    assert status == 0
    assert err == ""
    last = shown[0].last
    assert last.startswith(f"replay 2/2 · {FILES[1].name} · step ")
    steps = last.rsplit("/", 1)[1]
    assert last.endswith(f"step {steps}/{steps}")
    first = [t for t in shown[0].texts if t.startswith("replay 1/2 · ")]
    assert first[0].startswith(f"replay 1/2 · {FILES[0].name} · step 1/")
    assert last in screen.getvalue()
    assert screen.getvalue().endswith("\x1b[2K")  # the line erased at the end
    assert "conforms" in out


def test_replay_piped_prints_the_report_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    status, out, err = _replay(capsys)  # stderr captured: not a terminal
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert all(line.endswith("conforms") for line in lines)
    assert lines[0].startswith(str(FILES[0]))


def test_a_replayed_divergence_shows_each_operation_with_its_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The table of a planted divergence (a port that holds one message too
    many) names every step's operation with its arguments."""
    mutant = "veridian_ipc.conformance.mutants:PortCapacityPlusOne"
    assert main(["replay", str(FILES[1]), "--target", mutant]) == 1
    out = capsys.readouterr().out
    rows = [x for x in out.splitlines() if x[:3].strip().isdigit()]
    send = "Send(handle=3, msg_type=0, flags=0, data=b'', caps=[], timeout=0)"
    assert len(rows) == 6
    assert [send in row for row in rows] == [False] * 3 + [True] * 3
    assert "CreatePort(capacity=2)" in out
    assert "1✗ " + send in out
