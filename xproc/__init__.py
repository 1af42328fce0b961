"""Cross-process transport: a shared-memory ring with spin-then-park wake-ups.

The first cross-process slice of the model (its design: "across OS processes:
shared-memory ring channels with eventfd wake-ups"). Today it is the transport
alone, tested on its own: the kernel's channels are not yet routed through it.

- ``ring``: ``Ring``, a single-producer single-consumer ring of fixed-size
  slots in a memfd shared by two processes (its memory: ``layout``), indexes
  published through the ``atomics`` library (``atomic``); the spec's channel
  errors (CHAN-CREATE, CHAN-SEND, CHAN-SEND-BATCH, CHAN-CLOSE) as
  ``RingError`` (``errors``).
- ``wake``: spin-then-park on eventfds, the "announce, re-check, park"
  protocol that loses no wake-up.
- ``share``: passing a ring's descriptors to another process over a Unix
  socket (``SCM_RIGHTS``).
- ``stress``: the cross-process check (numbered messages between two
  processes: none lost, duplicated or reordered) and ``mutants``, seeded bugs
  it must catch.

Linux only (memfd, eventfd).
"""

from __future__ import annotations

from .errors import RingError
from .ring import Ring
from .wake import DEFAULT_SPIN

__all__ = ["DEFAULT_SPIN", "Ring", "RingError"]
