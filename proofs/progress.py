"""What ``veridian-ipc prove`` is doing, shown while it runs, on a terminal only.

One live line on standard error, rewritten in place and erased when the run
ends, names the phase and how far it is:

    exhaustive check scope 2/4 · ports: 18211 states, 40112 transitions, 9,120/s
    agreement pass scope 1/3 · caps
    obligation 7/58 · PORT-SEND
    CrossHair contracts (collecting)

It is shown only when standard error is a terminal and the environment is not
a CI's (``CI``) nor a dumb terminal's (``TERM=dumb``), and only if ``rich`` is
installed (it is in the ``proofs`` extra; without it ``prove`` runs silently,
as it does piped): piped, redirected or under CI the output is exactly the
report. Nothing is decided here: the line only echoes the phases of
``proofs.command``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .explore import ExploreResult

__all__ = ["PhaseLine", "progress_wanted"]


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


class PhaseLine:
    """A live line naming ``prove``'s current phase; a context manager that
    erases it however the run ends. Inert (``active`` false, ``show`` does
    nothing) when progress is not wanted or ``rich`` is missing."""

    def __init__(
        self, stream: TextIO | None = None, force_terminal: bool | None = None
    ) -> None:
        #: The last text shown.
        self.last = ""
        self.live: Any = None
        self.text: Any = None
        wanted = force_terminal or progress_wanted(stream)
        if not wanted:
            return
        try:  # imported here: only a run on a terminal needs rich
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text
        except ImportError:
            return
        out = sys.stderr if stream is None else stream
        console = Console(file=out, force_terminal=force_terminal)
        # what prove prints on a terminal shows above the line; a piped
        # standard output keeps its destination
        self.text = Text
        self.live = Live(
            Text(""),
            console=console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=_is_terminal(sys.stdout),
            redirect_stderr=False,
        )

    @property
    def active(self) -> bool:
        """Whether the line is shown at all."""
        return self.live is not None

    def __enter__(self) -> PhaseLine:
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
            self.live.update(self.text(text, no_wrap=True, overflow="ellipsis"))

    def scopes(self, names: Sequence[str]) -> Callable[[ExploreResult], None] | None:
        """A ``run_scopes`` progress callback naming the scope (k/n) and its
        counts; None when the line is inert."""
        if self.live is None:
            return None
        order = {name: k for k, name in enumerate(names, start=1)}

        def seen(r: ExploreResult) -> None:
            self.show(
                f"exhaustive check scope {order.get(r.scope, 0)}/{len(names)} · "
                f"{r.scope}: {r.states} states, {r.transitions} transitions, "
                f"{r.rate:,.0f}/s"
            )

        return seen


def _is_terminal(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (ValueError, OSError):
        return False
