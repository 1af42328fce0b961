"""Fixtures of the ring's tests: rings that are always closed, and a leak check.

``make_ring`` makes rings (and peer ends) that are closed when the test ends,
passed or failed. ``no_leak`` (on every test of this folder) checks that a
test leaves no ring descriptor open (memfd or eventfd) and no new entry in
``/dev/shm``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from veridian_ipc.xproc import Ring

SHM = Path("/dev/shm")


def ring_fds() -> set[str]:
    """This process's open memfds and eventfds, as ``fd -> target`` strings."""
    found: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used
            continue
        if target.startswith("/memfd:") or target == "anon_inode:[eventfd]":
            found.add(f"{fd} -> {target}")
    return found


def shm_entries() -> set[str]:
    return {p.name for p in SHM.iterdir()} if SHM.is_dir() else set()


@pytest.fixture(autouse=True)
def no_leak() -> Iterator[None]:
    fds, shm = ring_fds(), shm_entries()
    yield
    assert ring_fds() <= fds, "ring descriptors left open"
    assert shm_entries() <= shm, "entries left in /dev/shm"


MakeRing = Callable[..., Ring]


@pytest.fixture
def make_ring() -> Iterator[MakeRing]:
    """``make_ring(capacity, max_message, **kw)``: a new ring, closed at the end."""
    made: list[Ring] = []

    def make(capacity: int = 4, max_message: int = 64, **kw: object) -> Ring:
        ring = Ring.create(capacity, max_message, **kw)  # type: ignore[arg-type]
        made.append(ring)
        return ring

    yield make
    for ring in made:
        ring.close()


@pytest.fixture
def peer_of() -> Iterator[Callable[[Ring], Ring]]:
    """``peer_of(ring)``: the other end of ``ring`` in this process (from
    duplicated descriptors), closed at the end."""
    made: list[Ring] = []

    def attach(ring: Ring) -> Ring:
        peer = Ring.attach(tuple(os.dup(fd) for fd in ring.fds()))  # type: ignore[arg-type]
        made.append(peer)
        return peer

    yield attach
    for ring in made:
        ring.close()
