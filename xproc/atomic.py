"""64-bit atomic cells in shared memory, through the ``atomics`` library.

A shared-memory ring is correct only if an index is published with release
semantics and read with acquire semantics, and is never torn (a reader sees
the old value or the new one, never half of each). Plain ``struct.pack_into``
gives neither guarantee: it happens to work on x86-64 (aligned 8-byte moves
are atomic there and stores are not reordered with older stores) and is wrong
on weaker machines (Arm, POWER). ``U64`` is one aligned 8-byte word of a
mapping, read and written with C11 atomic loads and stores of the chosen
memory order by the maintained ``atomics`` library (PyPI, a binding of the
patomic C library): an 8-byte lock-free atomic access cannot be torn.

*Speed.* The library's public ``load`` and ``store`` convert through ``bytes``
and fresh cffi buffers on every call (about 5 us each on the development
machine, five times a whole message's budget). A cell therefore calls the
very functions the library resolved for that word (its operation table:
patomic's ``load(obj, order, result)`` and ``store(obj, desired, order)``)
with argument buffers allocated once (about 0.4 us a call). Those are the
library's internals: when a cell is made, the fast path is checked against
the public API once, on a private word, and the public API is used instead
when the internals differ (``FAST`` says which path cells take). The atomic
instructions are the library's either way.

*One thread per cell.* The preallocated buffers make a cell single-threaded:
each end of a ring has its own cells (rings are single-producer,
single-consumer: one end per thread).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from typing import Any

import atomics  # type: ignore[import-untyped]

#: The C11 memory orders, as the library numbers them.
ACQUIRE: int = int(atomics.MemoryOrder.ACQUIRE)
RELEASE: int = int(atomics.MemoryOrder.RELEASE)
SEQ_CST: int = int(atomics.MemoryOrder.SEQ_CST)

_U64 = struct.Struct("=Q")

#: Whether cells call the library's functions directly (checked once, on a
#: private word, by ``fast_path_works``); ``None`` until the first cell.
FAST: bool | None = None


class U64:
    """An unsigned 64-bit atomic word at an 8-byte aligned ``mem`` (8 bytes).

    ``load(order)`` and ``store(value, order)`` take a C11 memory order
    (``ACQUIRE``, ``RELEASE``, ``SEQ_CST``). ``release()`` gives the memory
    back (the mapping cannot be closed while a cell holds it).
    """

    __slots__ = ("_ctx", "_refs", "_view", "load", "store")

    load: Callable[..., int]
    store: Callable[..., None]

    def __init__(self, mem: memoryview | bytearray) -> None:
        if memoryview(mem).nbytes != 8:
            raise ValueError(f"a U64 cell is 8 bytes, not {memoryview(mem).nbytes}")
        self._ctx: Any = atomics.atomicview(buffer=mem, atype=atomics.UINT)
        self._view: Any = self._ctx.__enter__()
        self._refs: tuple[Any, ...] = ()
        if not (fast_path_works() and self._bind_fast()):
            self.load = self._slow_load
            self.store = self._slow_store

    def _bind_fast(self) -> bool:
        """Bind ``load`` and ``store`` to the library's functions for this
        word, if its internals are the expected ones (no write: the peer may
        be using the word)."""
        try:
            core = self._view._core
            fload = core.get_op_func(atomics.OpType.LOAD)
            fstore = core.get_op_func(atomics.OpType.STORE)
            addr = int(core.address)
        except (AttributeError, TypeError, ValueError):
            return False
        if fload is None or fstore is None:
            return False
        res, src = bytearray(8), bytearray(8)
        res_ref = (ctypes.c_char * 8).from_buffer(res)
        src_ref = (ctypes.c_char * 8).from_buffer(src)
        res_addr, src_addr = ctypes.addressof(res_ref), ctypes.addressof(src_ref)
        self._refs = (res_ref, src_ref)
        unpack, pack_into = _U64.unpack_from, _U64.pack_into

        def load(order: int = SEQ_CST) -> int:
            fload(addr, order, res_addr)
            value: int = unpack(res)[0]
            return value

        def store(value: int, order: int = SEQ_CST) -> None:
            pack_into(src, 0, value)
            fstore(addr, src_addr, order)

        self.load = load
        self.store = store
        return True

    def _slow_load(self, order: int = SEQ_CST) -> int:
        value: int = self._view.load(atomics.MemoryOrder(order))
        return value

    def _slow_store(self, value: int, order: int = SEQ_CST) -> None:
        self._view.store(value, atomics.MemoryOrder(order))

    def claim(self, token: int) -> int:
        """Set the word to ``token`` if it is 0 (a sequentially consistent
        compare-and-swap, through the public API: not on a hot path); the
        word's value afterwards (``token`` if it was 0 or already ``token``)."""
        result = self._view.cmpxchg_strong(0, token)
        value: int = token if result.success else result.expected
        return value

    def release(self) -> None:
        """Give the word's memory back (idempotent)."""
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)
            self._ctx = None
            self._view = None
            self._refs = ()


def fast_path_works() -> bool:
    """Whether the library's functions, called directly, agree with its
    public API: checked once, on a private word, with stores and loads of
    every order the ring uses."""
    global FAST
    if FAST is None:
        FAST = False  # the probe below uses the public API
        word = bytearray(8)
        probe = U64(word)
        try:
            ok = probe._bind_fast()
            for value in (0x0123_4567_89AB_CDEF, 1, (1 << 64) - 1, 0):
                probe.store(value, RELEASE)
                ok = ok and probe._slow_load(SEQ_CST) == value
                ok = ok and probe.load(ACQUIRE) == value == probe.load(SEQ_CST)
                probe._slow_store(value ^ 1, SEQ_CST)
                ok = ok and probe.load(ACQUIRE) == value ^ 1
        except (TypeError, ValueError, ctypes.ArgumentError, OverflowError):
            ok = False
        finally:
            probe.release()
        FAST = ok
    return FAST


__all__ = ["ACQUIRE", "FAST", "RELEASE", "SEQ_CST", "U64", "fast_path_works"]
