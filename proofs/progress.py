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
``proofs.command``; the line itself is ``console.LiveLine``, which
``conform`` and ``replay`` draw too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from veridian_ipc.console import LiveLine, progress_wanted
from veridian_ipc.console.live_line import is_terminal

if TYPE_CHECKING:
    from .explore import ExploreResult

__all__ = ["PhaseLine", "progress_wanted"]


class PhaseLine(LiveLine):
    """A live line naming ``prove``'s current phase; a context manager that
    erases it however the run ends. Inert (``active`` false, ``show`` does
    nothing) when progress is not wanted or ``rich`` is missing. What prove
    prints on a terminal shows above the line; a piped standard output keeps
    its destination."""

    def __init__(
        self, stream: TextIO | None = None, force_terminal: bool | None = None
    ) -> None:
        super().__init__(
            stream,
            force_terminal,
            redirect_stdout=is_terminal(sys.stdout),
            redirect_stderr=False,
            optional=True,
        )

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
