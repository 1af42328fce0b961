"""A target module whose import never finishes (it waits at module level)."""

from __future__ import annotations

import threading

threading.Event().wait()


class Never:
    """Never defined: the import above does not return."""
