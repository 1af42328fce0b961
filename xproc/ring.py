"""A single-producer, single-consumer ring of fixed-size slots shared by two processes.

This is the transport the cross-process channel will stand on (the kernel's
channels are not routed through it yet). Its semantics are the spec's channel
(spec/channels.py) where the two overlap: ``capacity`` slots of
``max_message`` bytes each, checked against the configuration as CHAN-CREATE
checks them; message ``i`` lives in slot ``i % capacity``; the producer's
``write_idx`` and the consumer's ``read_idx`` only grow, and ``write_idx -
read_idx`` (the messages held) is never above ``capacity`` (INV-RING-BOUNDS).
A full ring refuses a non-blocking push and an empty ring a non-blocking pop
with ``WouldBlock``; data longer than a slot is refused with
``MessageTooLarge`` (CHAN-SEND); after ``close`` pushes get ``PortClosed`` and
pops drain what is left, then get ``PortClosed`` (CHAN-CLOSE). Unlike the
spec's channel, a pop may block too (the transport offers both; the spec's
``ChannelReceive`` will use the non-blocking one). Every refusal is a
``RingError`` carrying the spec's ``IpcError``.

*Memory: a memfd, not ``multiprocessing.shared_memory``.* The ring lives in an
anonymous memory file (``os.memfd_create``) mapped by both processes.
A ``SharedMemory`` segment is a name in ``/dev/shm``: it outlives a process
that dies before unlinking it, any process that can guess the name can map it
(authority by name, which the design forbids: capabilities are passed, not
forged), and on Python 3.11 every process that attaches registers it with its
resource tracker, which unlinks it (or warns of a leak) when that process
exits (fixed only in 3.13 by ``track=False``). A memfd has no name: it is
reached only through its file descriptor, passed the way the eventfds are
(xproc/wake.py, xproc/share.py) and the way the design passes shared
buffers, and the kernel frees the memory when the last descriptor and mapping
are gone, also when a process crashes. Closing the owner's end therefore
leaves nothing behind, with nothing to unlink.

*Layout* of the shared memory: xproc/layout.py.

*Memory ordering.* The producer writes the slot with plain stores, then
publishes ``write_idx + 1``; the consumer reads ``write_idx``, then the slot,
then publishes ``read_idx + 1``; the producer reads ``read_idx`` before
reusing a slot. Each index is a 64-bit word read and written with the
``atomics`` library (xproc/atomic.py), never torn: publications are release
stores and reads acquire loads, so a slot is never read before it is written
nor rewritten before it is read. The publications are in fact sequentially
consistent, which implies release: the wake-up protocol needs the store-load
order between an index and the peer's ``waiting`` word (xproc/wake.py).
Each side keeps a private copy of the other's index and reloads it only when
the ring looks full (or empty), so a push into a ring with room (a pop from
one with messages) does not read the peer's index.

*Ends.* ``Ring.create`` makes the ring (the owner's end); the peer's end is
made from the three descriptors (memfd, data eventfd, room eventfd):
``Ring.attach``, pickling a ring into a ``multiprocessing`` child (the
descriptors are duplicated into it) or ``xproc.share.send_ring``. Single
producer, single consumer: the first end that pushes takes the producer's
role for the ring's life, and the first end that pops the consumer's (a
compare-and-swap of its random token into the header); another end that
pushes (or pops) afterwards gets ``InvalidArgument``. An end is used by one
thread at a time; an end that both pushes and pops is a FIFO queue.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Sequence
from multiprocessing.reduction import DupFd
from types import TracebackType
from typing import Any

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config

from .atomic import ACQUIRE, SEQ_CST, U64
from .errors import RingError
from .layout import (
    CLOSED,
    CONSUMER,
    CONSUMER_WAITING,
    GEOMETRY,
    HEADER,
    LENGTH,
    MAGIC,
    PRODUCER,
    PRODUCER_WAITING,
    READ,
    VERSION,
    WRITE,
    as_bytes,
    check_geometry,
    read_geometry,
    stride_of,
)
from .wake import DEFAULT_SPIN, EventFd, deadline_of, new_eventfd, notify, wait_for


class Ring:
    """One end of a shared ring (see the module docstring)."""

    def __init__(
        self, mem_fd: int, data_fd: int, room_fd: int, *, owner: bool, spin: int
    ) -> None:
        """Map the ring whose three descriptors this end now owns (use
        ``create`` or ``attach``)."""
        self.owner = owner
        self.spin = spin
        size = os.fstat(mem_fd).st_size
        capacity, max_message, stride = read_geometry(mem_fd, size)
        self.capacity: int = capacity
        self.max_message: int = max_message
        self._stride = stride
        self._map: mmap.mmap | None = mmap.mmap(mem_fd, size)
        self._mv: memoryview | None = memoryview(self._map)
        self._fds = [mem_fd]
        self._data_ev = EventFd(data_fd)
        self._room_ev = EventFd(room_fd)
        mv = self._mv
        self._write = U64(mv[WRITE : WRITE + 8])
        self._read = U64(mv[READ : READ + 8])
        self._closed = U64(mv[CLOSED : CLOSED + 8])
        self._consumer_waiting = U64(mv[CONSUMER_WAITING : CONSUMER_WAITING + 8])
        self._producer_waiting = U64(mv[PRODUCER_WAITING : PRODUCER_WAITING + 8])
        self._producer = U64(mv[PRODUCER : PRODUCER + 8])
        self._consumer = U64(mv[CONSUMER : CONSUMER + 8])
        self._token = int.from_bytes(os.urandom(8), "little") | 1
        self._pushes = self._pops = False  # whether this end holds the role
        # private copies: the producer's own index and the last read_idx it
        # saw; the consumer's own index and the last write_idx it saw
        self._write_own = self._write_seen = self._write.load(ACQUIRE)
        self._read_own = self._read_seen = self._read.load(ACQUIRE)

    # -- making and sharing ------------------------------------------------------

    @classmethod
    def create(
        cls,
        capacity: int,
        max_message: int,
        *,
        config: Config | None = None,
        spin: int = DEFAULT_SPIN,
    ) -> Ring:
        """A new empty ring of ``capacity`` slots of ``max_message`` bytes (the
        owner's end), checked against ``config`` as CHAN-CREATE checks."""
        check_geometry(capacity, max_message, config or Config())
        _check_spin(spin)
        stride = stride_of(max_message)
        fds: list[int] = []
        try:
            fds.append(os.memfd_create("veridian-ring", os.MFD_CLOEXEC))
            os.ftruncate(fds[0], HEADER + capacity * stride)
            header = GEOMETRY.pack(MAGIC, VERSION, capacity, max_message, stride)
            os.pwrite(fds[0], header, 0)
            fds.append(new_eventfd())
            fds.append(new_eventfd())
            return cls(fds[0], fds[1], fds[2], owner=True, spin=spin)
        except OSError as e:
            for fd in fds:
                os.close(fd)
            raise RingError(IpcError.OutOfMemory, f"cannot make the ring: {e}") from e

    @classmethod
    def attach(cls, fds: tuple[int, int, int], *, spin: int = DEFAULT_SPIN) -> Ring:
        """The peer's end, from the three descriptors of ``fds`` (memfd, data
        eventfd, room eventfd), which it now owns (closed by ``close``, or
        here if they hold no ring: ``InvalidArgument``)."""
        _check_spin(spin)
        if (
            not isinstance(fds, tuple | list)
            or len(fds) != 3
            or any(type(fd) is not int for fd in fds)
        ):
            raise RingError(IpcError.InvalidArgument, f"{fds!r} is not 3 descriptors")
        try:
            for fd in fds[1:]:
                if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:[eventfd]":
                    raise RingError(IpcError.InvalidArgument, f"{fd} is no eventfd")
            return cls(*fds, owner=False, spin=spin)
        except (OSError, ValueError, RingError) as e:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if isinstance(e, RingError):
                raise
            raise RingError(IpcError.InvalidArgument, f"no ring: {e}") from e

    def fds(self) -> tuple[int, int, int]:
        """This end's descriptors (memfd, data eventfd, room eventfd), to send
        to the peer (they stay this end's: the receiver gets copies)."""
        self._check_open()
        return self._fds[0], self._data_ev.fd, self._room_ev.fd

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled into a ``multiprocessing`` child (or through one of its
        queues or pipes), an end arrives as the peer's end: the descriptors
        are duplicated (``pass_fds`` under spawn, ``SCM_RIGHTS`` otherwise)."""
        return (_rebuild, (type(self), *(DupFd(fd) for fd in self.fds()), self.spin))

    # -- pushing ---------------------------------------------------------------

    def try_push(self, data: bytes) -> bool:
        """Append ``data`` if a slot is free; False if the ring is full.

        ``InvalidArgument`` (not bytes-like), ``MessageTooLarge`` (longer than
        ``max_message``), ``PortClosed`` (closed), in that order (CHAN-SEND).
        """
        if self._mv is None:
            self._check_open()
        if type(data) is not bytes:
            data = as_bytes(data)
        n = len(data)
        if n > self.max_message:
            raise RingError(
                IpcError.MessageTooLarge,
                f"{n} bytes is more than max_message {self.max_message}",
            )
        if self._closed.load(ACQUIRE):
            raise RingError(IpcError.PortClosed, "the ring is closed")
        if not self._pushes:
            self._claim_push()
        index = self._write_own
        if index - self._read_seen >= self.capacity:
            self._read_seen = self._read.load(ACQUIRE)
            if index - self._read_seen >= self.capacity:
                return False
        self._commit(index, data, n)
        return True

    def _claim_push(self) -> None:
        self._claim(self._producer, "pushes")
        self._write_own = self._write.load(SEQ_CST)
        self._read_seen = self._read.load(SEQ_CST)
        self._pushes = True

    def _claim_pop(self) -> None:
        self._claim(self._consumer, "pops")
        self._read_own = self._read.load(SEQ_CST)
        self._write_seen = self._write.load(SEQ_CST)
        self._pops = True

    def _claim(self, role: U64, what: str) -> None:
        """Take a role (pushing or popping) for this end, for the ring's life:
        ``InvalidArgument`` if another end has it (one producer, one consumer)."""
        holder = role.claim(self._token)
        if holder != self._token:
            raise RingError(
                IpcError.InvalidArgument,
                f"another end {what} on this ring (one producer, one consumer)",
            )

    def _commit(self, index: int, data: bytes, n: int) -> None:
        """Write message ``index``'s slot, then publish it (in that order:
        xproc/mutants.py shows the other order caught)."""
        self._fill(index, data, n)
        self._publish_write(index + 1)

    def _fill(self, index: int, data: bytes, n: int) -> None:
        """Write ``data`` into the slot of message ``index``."""
        mv = self._mv
        assert mv is not None
        at = HEADER + (index % self.capacity) * self._stride
        LENGTH.pack_into(mv, at, n)
        mv[at + 4 : at + 4 + n] = data

    def _publish_write(self, index: int) -> None:
        """Publish ``write_idx`` (after the slot's bytes) and wake a parked
        consumer."""
        self._write.store(index, SEQ_CST)
        self._write_own = index
        notify(self._consumer_waiting, self._data_ev)

    def push_nowait(self, data: bytes) -> None:
        """Append ``data``, or ``WouldBlock`` if the ring is full (CHAN-SEND
        with ``timeout`` 0)."""
        if not self.try_push(data):
            raise RingError(IpcError.WouldBlock, "the ring is full")

    def push(self, data: bytes, timeout: float | None = None) -> None:
        """Append ``data``, waiting for a free slot at most ``timeout`` seconds
        (None: no limit; 0: ``WouldBlock`` at once; ``Timeout`` at the
        deadline). ``InvalidArgument`` for a negative timeout, first."""
        deadline = deadline_of(timeout)
        if self.try_push(data):
            return
        if timeout == 0:
            raise RingError(IpcError.WouldBlock, "the ring is full")
        while True:
            if not wait_for(
                self._has_room,
                self._producer_waiting,
                self._room_ev,
                self.spin,
                deadline,
            ):
                raise RingError(IpcError.Timeout, f"no free slot within {timeout} s")
            if self.try_push(data):
                return

    def _has_room(self, count: int = 1) -> bool:
        room = self.capacity - (self._write_own - self._read.load(SEQ_CST))
        return room >= count or bool(self._closed.load(SEQ_CST))

    def push_batch(self, items: Sequence[bytes], timeout: float | None = 0) -> int:
        """Append every message of ``items`` in order, all or nothing, with one
        publication (CHAN-SEND-BATCH: the cost of the shared index and the
        wake-up is paid once per batch). The count sent.

        ``InvalidArgument`` (a bad timeout, an empty batch, an item that is not
        bytes-like), ``MessageTooLarge`` (some item longer than
        ``max_message``), ``PortClosed``, then ``WouldBlock`` when the batch
        does not fit in the free slots and ``timeout`` is 0 (the spec's batch
        never waits; with another ``timeout`` this waits for room as ``push``
        does, and a batch larger than the ring is ``WouldBlock`` at once).
        """
        deadline = deadline_of(timeout)
        if isinstance(items, bytes | bytearray | memoryview | str) or not items:
            raise RingError(IpcError.InvalidArgument, "a batch is a non-empty sequence")
        data = [d if type(d) is bytes else as_bytes(d) for d in items]
        if max(map(len, data)) > self.max_message:
            raise RingError(
                IpcError.MessageTooLarge, f"an item is longer than {self.max_message}"
            )
        count = len(data)
        while True:
            if self._try_push_all(data):
                return count
            if timeout == 0 or count > self.capacity:
                raise RingError(IpcError.WouldBlock, f"{count} messages do not fit")
            if not wait_for(
                lambda: self._has_room(count),
                self._producer_waiting,
                self._room_ev,
                self.spin,
                deadline,
            ):
                raise RingError(IpcError.Timeout, f"no room within {timeout} s")

    def _try_push_all(self, data: list[bytes]) -> bool:
        if self._mv is None:
            self._check_open()
        if self._closed.load(ACQUIRE):
            raise RingError(IpcError.PortClosed, "the ring is closed")
        if not self._pushes:
            self._claim_push()
        index = self._write_own
        if index + len(data) - self._read_seen > self.capacity:
            self._read_seen = self._read.load(ACQUIRE)
            if index + len(data) - self._read_seen > self.capacity:
                return False
        self._commit_batch(index, data)
        return True

    def _commit_batch(self, index: int, data: list[bytes]) -> None:
        """Write the slots of messages ``index ..``, then publish them all."""
        for i, d in enumerate(data):
            self._fill(index + i, d, len(d))
        self._publish_write(index + len(data))

    # -- popping ---------------------------------------------------------------

    def try_pop(self) -> bytes | None:
        """The oldest message, or None if the ring is empty."""
        if self._mv is None:
            self._check_open()
        if not self._pops:
            self._claim_pop()
        index = self._read_own
        if index == self._write_seen:
            self._write_seen = self._write.load(ACQUIRE)
            if index == self._write_seen:
                return None
        data = self._take(index)
        self._publish_read(index + 1)
        return data

    def _take(self, index: int) -> bytes:
        """A copy of the message in the slot of ``index``."""
        mv = self._mv
        assert mv is not None
        at = HEADER + (index % self.capacity) * self._stride
        (n,) = LENGTH.unpack_from(mv, at)
        if n > self.max_message:
            raise RingError(IpcError.InvalidMessage, f"slot {index} holds length {n}")
        return bytes(mv[at + 4 : at + 4 + n])

    def _publish_read(self, index: int) -> None:
        """Publish ``read_idx`` (after the slot was copied) and wake a parked
        producer."""
        self._read.store(index, SEQ_CST)
        self._read_own = index
        notify(self._producer_waiting, self._room_ev)

    def pop_nowait(self) -> bytes:
        """The oldest message; ``WouldBlock`` if the ring is empty, or
        ``PortClosed`` if it is also closed (drained, CHAN-CLOSE)."""
        data = self.try_pop()
        if data is not None:
            return data
        if self._closed.load(SEQ_CST):
            data = self.try_pop()  # published before the close
            if data is not None:
                return data
            raise RingError(IpcError.PortClosed, "the ring is closed and drained")
        raise RingError(IpcError.WouldBlock, "the ring is empty")

    def pop(self, timeout: float | None = None) -> bytes:
        """The oldest message, waiting for one at most ``timeout`` seconds
        (None: no limit; 0: ``WouldBlock`` at once; ``Timeout`` at the
        deadline); ``PortClosed`` once closed and drained."""
        deadline = deadline_of(timeout)
        data = self.try_pop()
        if data is not None:
            return data
        if timeout != 0 and not wait_for(
            self._has_data, self._consumer_waiting, self._data_ev, self.spin, deadline
        ):
            raise RingError(IpcError.Timeout, f"no message within {timeout} s")
        return self.pop_nowait()

    def pop_batch(self, max_count: int, timeout: float | None = 0) -> list[bytes]:
        """The oldest ``min(max_count, held)`` messages, in order, with one
        publication (CHAN-RECEIVE-BATCH); waiting at most ``timeout`` seconds
        for the first as ``pop`` does (0: at once, the spec's batch).

        ``InvalidArgument`` (``max_count`` not an int >= 1, a bad timeout),
        then as ``pop``: ``PortClosed`` when closed and drained,
        ``WouldBlock``, ``Timeout``.
        """
        deadline_of(timeout)  # InvalidArgument first
        if type(max_count) is not int or max_count < 1:
            raise RingError(IpcError.InvalidArgument, f"max_count {max_count!r}")
        first = self.pop(timeout)
        index = self._read_own
        held = min(max_count - 1, self._write.load(ACQUIRE) - index)
        out = [first]
        out.extend(self._take(index + i) for i in range(held))
        if held:
            self._publish_read(index + held)
        return out

    def _has_data(self) -> bool:
        return self._write.load(SEQ_CST) != self._read_own or bool(
            self._closed.load(SEQ_CST)
        )

    # -- state and closing -------------------------------------------------------

    def __len__(self) -> int:
        """Messages held (a snapshot: the peer may be moving)."""
        self._check_open()
        return self._write.load(SEQ_CST) - self._read.load(SEQ_CST)

    @property
    def closed(self) -> bool:
        """Whether either end has closed the ring (CHAN-CLOSE)."""
        self._check_open()
        return bool(self._closed.load(SEQ_CST))

    @property
    def is_open(self) -> bool:
        """Whether this end still holds its mapping and descriptors."""
        return self._mv is not None

    def close(self) -> None:
        """Close the ring for both ends and release this end (idempotent).

        The peer's pushes then get ``PortClosed``, its pops drain what is left,
        then get ``PortClosed``; a parked peer is woken. This end's mapping and
        descriptors are released; the memory goes back to the system when the
        peer has closed too (a memfd has no name to unlink).
        """
        if self._mv is None:
            return
        try:
            self._closed.store(1, SEQ_CST)
            self._data_ev.signal()
            self._room_ev.signal()
        finally:
            self._release()

    def _release(self) -> None:
        for cell in (
            self._write,
            self._read,
            self._closed,
            self._consumer_waiting,
            self._producer_waiting,
            self._producer,
            self._consumer,
        ):
            cell.release()
        assert self._mv is not None
        assert self._map is not None
        self._mv.release()
        self._mv = None
        self._map.close()
        self._map = None
        self._data_ev.close()
        self._room_ev.close()
        while self._fds:
            os.close(self._fds.pop())

    def _check_open(self) -> None:
        if self._mv is None:
            raise RingError(
                IpcError.InvalidCapability, "this end of the ring is closed"
            )

    def __enter__(self) -> Ring:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_mv", None) is not None:
            # at interpreter shutdown, the system frees what is left
            with contextlib.suppress(Exception):
                self.close()


def _check_spin(spin: object) -> None:
    if type(spin) is not int or spin < 0:
        raise RingError(IpcError.InvalidArgument, f"spin {spin!r} is not an int >= 0")


def _rebuild(cls: type[Ring], mem: Any, data: Any, room: Any, spin: int) -> Ring:
    """The peer's end from duplicated descriptors (see ``Ring.__reduce__``)."""
    return cls.attach((mem.detach(), data.detach(), room.detach()), spin=spin)


__all__ = ["Ring"]
