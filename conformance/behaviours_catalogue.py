"""The catalogue of behaviours: every group's, in one list (``CATALOGUE``).

Each entry names a situation a run should reach for its rules to be tested in
earnest, with the rules it belongs to (its group is its first rule's). IDs are
stable: reports, tests and the next generators cite them. The entries are
defined by group in ``behaviours_caps`` (caps, rights, namespace),
``behaviours_messaging`` (ports, messages, filters, timeouts) and
``behaviours_memory`` (channels, buffers, posix, errors); blocked senders
in ``behaviours_blocking``.

Two situations one might list together are impossible together and are split:
a port never has queued messages *and* blocked receivers at once
(INV-WAITERS), so closing with a queue (``B-PORT-CLOSE-QUEUED``) and closing
with waiters (``B-PORT-CLOSE-WAITERS``) are two behaviours.
"""

from __future__ import annotations

from . import (
    behaviours_blocking,  # noqa: F401  (each module adds its behaviours on import)
    behaviours_caps,  # noqa: F401
    behaviours_memory,  # noqa: F401
    behaviours_messaging,  # noqa: F401
    behaviours_quota,  # noqa: F401
    behaviours_threads,  # noqa: F401
)
from .behaviours_base import CATALOGUE


def check_catalogue() -> None:
    """Every ID unique and of the form ``B-...``; raises ``ValueError``."""
    ids = [b.id for b in CATALOGUE]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"behaviour IDs repeated: {dup}")
    bad = [i for i in ids if not i.startswith("B-")]
    if bad:
        raise ValueError(f"behaviour IDs not of the form B-...: {bad}")


check_catalogue()

__all__ = ["CATALOGUE", "check_catalogue"]
