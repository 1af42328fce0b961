"""The memory of a shared buffer: allocated on first need, isolated per mapping.

*Allocation* (BUF-CREATE). A buffer gets memory only when it is first
written or viewed: creating one costs nothing, and reading a buffer never
written gives zeros. Small buffers (``SMALL`` bytes or less) live in ordinary
memory (a ``bytearray``), larger ones in an anonymous ``mmap`` that the OS
commits page by page; so a hundred thousand small buffers use no memory map
each (the host's map count, about 65,000, is never the limit). ``allocate`` is
the one place memory is obtained: a later cross-process design replaces it with
``memfd``-backed shared memory.

*Host exhaustion.* If the host cannot allocate (``MemoryError`` or ``OSError``),
``allocate`` answers None and the rule answers ``OutOfMemory``, changing
nothing. This is the one place the model may differ from the spec, which has no
host: the spec answers ``Ok`` within ``Config``'s limits. Conformance runs use
small configurations, where allocation does not fail; if it did, the checker
would report the ``OutOfMemory`` as a divergence, truthfully.

*Isolation of views* (BUF-UNMAP, CAP-DROP, RIGHTS-REVOKE, BUF-TRANSFER,
PROC-KILL). ``view`` hands out a ``memoryview`` of the memory itself (no copy),
and tracks it under the mapping it was made for. When the mapping ends, ``end``
releases the views it handed out; views *derived* from them by the holder
(slices ``v[2:5]``, ``memoryview(v)``, ``v.cast("B")``, and views of those)
share the released view's export and cannot be released from here. Each handed
out view is therefore made through its own *sentinel* exporter (a memoryview
wrapped in a ``pickle.PickleBuffer``): once the view is released, the sentinel
can be released too exactly when nothing derived from the view is still alive.
If something is (a stale view), the buffer's contents move to fresh memory (a
copy) and the old memory is left to the stale views alone: nothing written
through them is seen by anyone, and nothing written to the buffer from then on
is seen through them. The views handed out for the buffer's live mappings
alias the old memory too, so they are released as well (using one raises
``ValueError``; ``Mapping.view`` gives a new one); a write through one of them
racing with the move (from another thread, outside the kernel lock) may land
in the old memory. Without stale views, nothing moves and every view stays
zero-copy. If the host has no memory for the copy, nothing moves (isolation
then yields to host exhaustion, like allocation above).
"""

from __future__ import annotations

import mmap
import pickle
from typing import Final

#: Buffers up to this size live in a ``bytearray``; larger ones in an ``mmap``.
SMALL: Final = 1 << 18

Store = bytearray | mmap.mmap


def allocate(size: int) -> Store | None:
    """``size`` zero bytes of fresh memory, or None if the host has none."""
    try:
        return bytearray(size) if size <= SMALL else mmap.mmap(-1, size)
    except (MemoryError, OSError, OverflowError, ValueError):
        return None


#: One handed-out view and the sentinel it was made through.
Tracked = tuple[memoryview, memoryview]


def _released(view: memoryview) -> bool:
    """Release ``view``; False if something still holds an export of it."""
    try:
        view.release()
    except BufferError:
        return False
    return True


class Memory:
    """The bytes of one buffer, and the views handed out, by owner (mapping)."""

    __slots__ = ("size", "store", "views")

    def __init__(self, size: int) -> None:
        self.size = size
        self.store: Store | None = None  # allocated on first write or view
        self.views: dict[object, list[Tracked]] | None = None

    def ensure(self) -> bool:
        """Allocate the memory if it is not yet; False if the host has none."""
        if self.store is None:
            self.store = allocate(self.size)
        return self.store is not None

    def read(self, offset: int, length: int) -> bytes:
        """A copy of ``length`` bytes at ``offset`` (bounds are checked)."""
        store = self.store
        if store is None:
            return bytes(length)
        if isinstance(store, mmap.mmap):
            return store[offset : offset + length]
        return bytes(store[offset : offset + length])

    def write(self, offset: int, data: bytes) -> bool:
        """Store ``data`` at ``offset``; False (nothing changed) if the memory
        cannot be allocated. Zeros into memory never allocated need none."""
        if self.store is None:
            if not data.strip(b"\0"):
                return True
            if not self.ensure():
                return False
        assert self.store is not None
        self.store[offset : offset + len(data)] = data
        return True

    def view(
        self, owner: object, offset: int, end: int, readonly: bool
    ) -> memoryview | None:
        """A tracked view of ``[offset, end)`` for ``owner``; None if the memory
        cannot be allocated."""
        if not self.ensure():
            return None
        assert self.store is not None
        whole = memoryview(self.store)
        sentinel = whole[offset:end]
        whole.release()
        if readonly:
            ro = sentinel.toreadonly()
            sentinel.release()
            sentinel = ro
        wrapper = pickle.PickleBuffer(sentinel)
        view = memoryview(wrapper)  # exports from the sentinel
        wrapper.release()
        if self.views is None:
            self.views = {}
        self.views.setdefault(owner, []).append((view, sentinel))
        return view

    def end(self, owner: object) -> None:
        """``owner``'s mapping ended: release its views; move the contents away
        from any view derived from them that is still alive."""
        if not self.views:
            return
        tracked = self.views.pop(owner, None)
        if tracked and not _release_all(tracked):
            self.move()

    def move(self) -> None:
        """Copy the contents to fresh memory, leaving the old memory to the
        views still holding it; every other view handed out is released."""
        views, self.views = self.views, None
        if views:
            for tracked in views.values():
                _release_all(tracked)
        old = self.store
        if old is None:
            return
        new = allocate(self.size)
        if new is None:  # the host has no memory for the copy: nothing moves
            return
        new[:] = old
        self.store = new

    def free(self) -> None:
        """The buffer is unreachable: release every view, drop the memory (a
        stale view keeps the old memory alive, for itself alone)."""
        views, self.views = self.views, None
        if views:
            for tracked in views.values():
                _release_all(tracked)
        self.store = None


def _release_all(tracked: list[Tracked]) -> bool:
    """Release views and sentinels; False if a derived view is still alive."""
    clean = True
    for view, sentinel in tracked:
        if not _released(view):
            clean = False
        if not _released(sentinel):
            clean = False
    return clean
