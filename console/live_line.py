"""One live line of text on a terminal, and when to show one.

``LiveLine`` is a context manager around a ``rich`` live display of a single
line: ``show`` replaces the text (clipped to the terminal's width, never
wrapped), and the line is erased however the context ends, so only the
report stays. A line made with ``optional=True`` is inert (``active`` false,
``show`` only remembers the text) unless ``progress_wanted`` says so or the
terminal is forced, and when ``rich`` is not installed: a command whose
extra may lack ``rich`` then runs silently, as it does piped.

``progress_wanted``: standard error (or the given stream) is a terminal, and
the environment is neither a CI's (``CI``) nor a dumb terminal's
(``TERM=dumb``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TextIO

__all__ = ["LiveLine", "progress_wanted"]


def progress_wanted(
    stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to show progress on ``stream`` (standard error by default): it
    is a terminal, and the environment is not a CI's (``CI``) or a dumb
    terminal's (``TERM=dumb``)."""
    out = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    try:
        tty = bool(out.isatty())
    except (AttributeError, ValueError, OSError):  # closed or not a file
        return False
    return tty and not env.get("CI") and env.get("TERM") != "dumb"


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal (False for a closed or odd stream)."""
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (ValueError, OSError):
        return False


class LiveLine:
    """A live line of free text on ``stream`` (standard error by default).

    ``initial`` is shown until the first ``show``. ``redirect_stdout`` and
    ``redirect_stderr`` are rich's: whether what the command prints on that
    stream meanwhile shows above the line (a piped standard output must keep
    its destination). ``optional``: see the module's docstring."""

    def __init__(
        self,
        stream: TextIO | None = None,
        force_terminal: bool | None = None,
        *,
        initial: str = "",
        redirect_stdout: bool = False,
        redirect_stderr: bool = True,
        optional: bool = False,
    ) -> None:
        #: The last text given to ``show``.
        self.last = ""
        self.live: Any = None
        self._text: Any = None
        if optional and not (force_terminal or progress_wanted(stream)):
            return
        try:  # imported here: only a run on a terminal needs rich
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text
        except ImportError:
            if optional:
                return
            raise
        console = Console(
            file=sys.stderr if stream is None else stream,
            force_terminal=force_terminal,
        )
        self._text = Text
        self.live = Live(
            Text(initial),
            console=console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=redirect_stdout,
            redirect_stderr=redirect_stderr,
        )

    @property
    def active(self) -> bool:
        """Whether the line is shown at all."""
        return self.live is not None

    def __enter__(self) -> Self:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()

    def show(self, text: str) -> None:
        """Replace the line with ``text`` (clipped to the terminal)."""
        self.last = text
        if self.live is not None:
            self.live.update(self._text(text, no_wrap=True, overflow="ellipsis"))
