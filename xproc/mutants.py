"""Seeded bugs of the ring, each of which the cross-process check must catch.

A check that cannot fail proves nothing: each class here is the ring with one
classic shared-memory bug, and tests/xproc runs the check of xproc/stress.py
on it and expects a failure.

- ``PublishBeforeWrite``: the producer publishes ``write_idx`` before writing
  the slot (the bug release ordering exists to prevent), with a pause between
  the two, as a slow or preempted producer would have: the consumer reads the
  slot's old bytes.
- ``NeverWakes``: publications never wake the parked peer (``notify``
  forgotten): the first side that parks sleeps until its deadline.
"""

from __future__ import annotations

import time

from .atomic import SEQ_CST
from .ring import Ring

#: The producer's pause between publishing and writing (seconds).
PAUSE = 0.0005


class PublishBeforeWrite(Ring):
    """The ring whose producer publishes a slot before writing it."""

    def _commit(self, index: int, data: bytes, n: int) -> None:
        self._publish_write(index + 1)
        time.sleep(PAUSE)
        self._fill(index, data, n)

    def _commit_batch(self, index: int, data: list[bytes]) -> None:
        self._publish_write(index + len(data))
        time.sleep(PAUSE)
        for i, d in enumerate(data):
            self._fill(index + i, d, len(d))


class NeverWakes(Ring):
    """The ring whose publications never wake a parked peer."""

    def _publish_write(self, index: int) -> None:
        self._write.store(index, SEQ_CST)
        self._write_own = index

    def _publish_read(self, index: int) -> None:
        self._read.store(index, SEQ_CST)
        self._read_own = index


MUTANTS: tuple[type[Ring], ...] = (PublishBeforeWrite, NeverWakes)

__all__ = ["MUTANTS", "PAUSE", "NeverWakes", "PublishBeforeWrite"]
