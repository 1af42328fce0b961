"""Compact, persistent storage of buffer bytes and ring messages.

The spec's state is one immutable value; an operation builds a new state that
shares what it did not touch (spec/state.py). Two of its contents are large when
a configuration allows it, and are stored so that no step costs more than the
data it moves, up to the largest limits a ``Config`` accepts:

*Buffer bytes* are cut into chunks of ``CHUNK`` bytes, kept in a persistent map
chunk number -> ``bytes``; a chunk that is all zeros is absent, so a fresh buffer
of any size costs nothing and two buffers with the same bytes have the same
chunk map (the representation is canonical: states compare by value, ERR-ATOMIC).
``read_bytes`` and ``write_bytes`` cost O(n) in the data moved plus one chunk at
each end, and share every untouched chunk with the old state. ``NonZeroBytes``
presents the chunks as the map offset -> non-zero byte that INV-BUFFER-BOUNDS
and the proofs reason about (BUF-READ, BUF-WRITE).

*Ring messages* are the tuple of held messages, oldest first: a ring of any
capacity costs only what it holds (CHAN-CREATE no longer preallocates a slot
per unit of capacity). ``RingSlots`` presents them as the seed's ring of
``capacity`` slots, message ``i`` in slot ``i % capacity`` (INV-RING-BOUNDS).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final, overload

from immutables import Map

#: Bytes per chunk of a buffer's contents: one page.
CHUNK: Final = 4096
_ZERO: Final = bytes(CHUNK)

Chunks = Map[int, bytes]


def read_bytes(chunks: Chunks, offset: int, length: int) -> bytes:
    """The ``length`` bytes at ``offset`` (absent chunks read as zeros)."""
    parts: list[bytes] = []
    pos, end = offset, offset + length
    while pos < end:
        k, start = divmod(pos, CHUNK)
        n = min(CHUNK - start, end - pos)
        c = chunks.get(k)
        parts.append(_ZERO[:n] if c is None else c[start : start + n])
        pos += n
    return b"".join(parts)


def write_bytes(chunks: Chunks, offset: int, data: bytes) -> Chunks:
    """``chunks`` with ``data`` stored at ``offset``; all-zero chunks dropped."""
    if not data:
        return chunks
    src = memoryview(data)
    pos, end = offset, offset + len(data)
    with chunks.mutate() as m:
        while pos < end:
            k, start = divmod(pos, CHUNK)
            n = min(CHUNK - start, end - pos)
            piece = src[pos - offset : pos - offset + n]
            if n == CHUNK:
                new = bytes(piece)
            else:
                old = m.get(k, _ZERO)
                new = b"".join((old[:start], piece, old[start + n :]))
            if new != _ZERO:
                m[k] = new
            elif k in m:
                del m[k]
            pos += n
        new_chunks = m.finish()
    return new_chunks


class NonZeroBytes(Mapping[int, int]):
    """A buffer's contents as the map offset -> byte, for the non-zero bytes."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: Chunks) -> None:
        self._chunks = chunks

    def __getitem__(self, offset: int) -> int:
        k, i = divmod(offset, CHUNK)
        c = self._chunks.get(k)
        if c is None or not c[i]:
            raise KeyError(offset)
        return c[i]

    def __iter__(self) -> Iterator[int]:
        for k in sorted(self._chunks.keys()):
            base = k * CHUNK
            for i, b in enumerate(self._chunks[k]):
                if b:
                    yield base + i

    def __len__(self) -> int:
        return sum(CHUNK - c.count(0) for c in self._chunks.values())


class RingSlots(Sequence["bytes | None"]):
    """The slots of a ring holding ``held`` (oldest first) from ``read_idx``."""

    __slots__ = ("_capacity", "_held", "_read_idx")

    def __init__(self, capacity: int, held: tuple[bytes, ...], read_idx: int) -> None:
        self._capacity = capacity
        self._held = held
        self._read_idx = read_idx

    def __len__(self) -> int:
        return self._capacity

    def _slot(self, x: int) -> bytes | None:
        if x < 0:
            x += self._capacity
        if not 0 <= x < self._capacity:
            raise IndexError(x)
        j = (x - self._read_idx) % self._capacity
        return self._held[j] if j < len(self._held) else None

    @overload
    def __getitem__(self, x: int) -> bytes | None: ...

    @overload
    def __getitem__(self, x: slice) -> tuple[bytes | None, ...]: ...

    def __getitem__(self, x: int | slice) -> bytes | tuple[bytes | None, ...] | None:
        if isinstance(x, slice):
            return tuple(self._slot(i) for i in range(*x.indices(self._capacity)))
        return self._slot(x)

    def __iter__(self) -> Iterator[bytes | None]:
        for x in range(self._capacity):
            yield self._slot(x)
