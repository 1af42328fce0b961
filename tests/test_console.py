"""The live status line is drawn in one place (``veridian_ipc.console``):
``conform``'s progress, ``replay``'s status and ``prove``'s phase line are
all a ``LiveLine``, shown on a terminal only and erased at the end."""

from __future__ import annotations

import io
import sys

import pytest

from veridian_ipc.conformance.progress import ProgressDisplay, StatusLine
from veridian_ipc.console import LiveLine, progress_wanted
from veridian_ipc.proofs.progress import PhaseLine


class Screen(io.StringIO):
    """A stream standing for a terminal."""

    def isatty(self) -> bool:
        return True


def test_every_command_draws_the_one_line() -> None:
    screen = Screen()
    assert isinstance(StatusLine(screen, force_terminal=True), LiveLine)
    assert isinstance(PhaseLine(screen, force_terminal=True), LiveLine)
    assert isinstance(ProgressDisplay(screen, force_terminal=True).line, LiveLine)


def test_the_line_is_drawn_clipped_and_erased() -> None:
    screen = Screen()
    with LiveLine(screen, force_terminal=True) as line:
        line.show("scope 1/2 · " + "x" * 200)
    assert line.active
    assert line.last.startswith("scope 1/2 · ")
    written = screen.getvalue()
    assert "scope 1/2 · " in written
    assert "x" * 200 not in written  # clipped to the terminal
    assert written.endswith("\x1b[2K")  # the line erased at the end


def test_an_optional_line_is_inert_when_not_wanted_or_without_rich(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert progress_wanted(Screen(), {"CI": "1"}) is False
    piped = io.StringIO()
    with LiveLine(piped, optional=True) as quiet:
        quiet.show("phase")
    assert not quiet.active
    assert quiet.last == "phase"
    assert piped.getvalue() == ""
    monkeypatch.setitem(sys.modules, "rich.live", None)  # rich missing
    assert not LiveLine(Screen(), force_terminal=True, optional=True).active
    with pytest.raises(ImportError):  # a line that must be shown needs rich
        LiveLine(Screen(), force_terminal=True)
