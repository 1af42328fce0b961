"""What the commands show on a terminal while they run: one live status line.

``veridian-ipc conform``, ``replay`` and ``prove`` each keep one line on
standard error up to date while they work (``LiveLine``), erased when they
end, and only on a terminal (``progress_wanted``): piped, redirected or under
CI the output is exactly the report. The conformance suite and the proofs
both draw their line here, so neither imports the other.
"""

from __future__ import annotations

from .live_line import LiveLine, progress_wanted

__all__ = ["LiveLine", "progress_wanted"]
