"""The facade's channels: ``Channel`` (CHAN-*), for threads and asyncio.

Waiting calls retry when ``model.waiting`` wakes them: for a free slot (a
send) or a message (a receive).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

from veridian_ipc.spec import syscalls as sc
from veridian_ipc.spec.errors import IpcError
from veridian_ipc.spec.results import Err, Result
from veridian_ipc.spec.rights import RECEIVE, SEND

from .api_handles import Handle, IpcException, check_result
from .channels import pop_some, push_all
from .state import RUNNING, KObject
from .state import Channel as KChannel
from .waiting import (
    DATA,
    ROOM,
    Entry,
    TimedOut,
    check_timeout,
    deadline_of,
    rearm,
    register,
    remove,
    wait_thread,
)

T = TypeVar("T")
_BYTES_ONLY = {bytes}


class Channel(Handle):
    """An asynchronous channel capability: a ring of byte messages (CHAN-*).

    ``*_nowait`` and the batch calls never wait (``WouldBlock``);
    ``send_wait``/``receive_wait`` block a thread; ``send``/``receive``/
    ``send_many``/``receive_many`` are coroutines for asyncio.
    """

    __slots__ = ()

    def _ring(self, right: int) -> KChannel | None:
        """The ring if the handle is a live channel handle with ``right`` and
        the process is running (PROC-STATUS), lock held; None sends the caller
        down the rule's own path, which names the error."""
        cap = self._handles.get(self._handle)
        if (
            cap is not None
            and cap.rights & right
            and type(cap.obj) is KChannel
            and self._kp.status == RUNNING
        ):
            return cap.obj
        return None

    def send_nowait(self, data: bytes) -> None:
        """Append one message (CHAN-SEND)."""
        with self._lock:
            ring = self._ring(SEND)
            if (
                ring is not None
                and type(data) is bytes
                and not ring.closed
                and len(data) <= ring.max_message
            ):
                w = ring.write_idx
                if w - ring.read_idx < ring.capacity:
                    ring.slots[w % ring.capacity] = data
                    ring.write_idx = w + 1
                    if ring.watchers:
                        for cb in ring.watchers:
                            cb()
                    return
            r = self._sys.kernel.apply(self._kp.pid, sc.ChannelSend(self._handle, data))
        if type(r) is Err:
            raise IpcException(r.error, "channel send")

    def receive_nowait(self) -> bytes:
        """Take the oldest message (CHAN-RECEIVE)."""
        with self._lock:
            ring = self._ring(RECEIVE)
            if ring is not None:
                r_ = ring.read_idx
                if ring.write_idx != r_:
                    idx = r_ % ring.capacity
                    data = ring.slots[idx]
                    ring.slots[idx] = None
                    ring.read_idx = r_ + 1
                    if ring.watchers:
                        for cb in ring.watchers:
                            cb()
                    assert data is not None
                    return data
            r = self._sys.kernel.apply(self._kp.pid, sc.ChannelReceive(self._handle))
        value = check_result(r, "channel receive")
        assert isinstance(value, bytes)
        return value

    def send_batch(self, items: Sequence[bytes]) -> int:
        """Append every message or none (CHAN-SEND-BATCH). Returns the count."""
        self._acquire()
        try:
            ring = self._ring(SEND)
            if (
                ring is not None
                and type(items) in (list, tuple)
                and (not items or set(map(type, items)) == _BYTES_ONLY)
            ):
                err = push_all(ring, items)
                if err is None:
                    return len(items)
                r: Result = err
            else:
                r = self._sys.kernel.apply(
                    self._kp.pid, sc.ChannelSendBatch(self._handle, _as_tuple(items))
                )
        finally:
            self._release()
        n = check_result(r, "channel send batch")
        assert isinstance(n, int)
        return n

    def receive_batch(self, max_count: int = 1 << 30) -> list[bytes]:
        """Take up to ``max_count`` oldest messages (CHAN-RECEIVE-BATCH)."""
        with self._lock:
            ring = self._ring(RECEIVE)
            if ring is not None and type(max_count) is int and max_count >= 1:
                got = pop_some(ring, max_count)
                if type(got) is list:
                    return got
            r = self._sys.kernel.apply(
                self._kp.pid, sc.ChannelReceiveBatch(self._handle, max_count)
            )
        value = check_result(r, "channel receive batch")
        assert isinstance(value, tuple)
        return list(value)

    def close(self) -> int:
        """Close the channel (CHAN-CLOSE); returns the messages left to drain."""
        n = self._process._do(sc.Close(self._handle))
        assert isinstance(n, int)
        return n

    # -- threads --------------------------------------------------------------

    def _retry(self, attempt: Callable[[], T], timeout: float | None, kind: int) -> T:
        """Run ``attempt`` (which needs the lock) until it does not fail with
        ``WouldBlock``, waiting to be woken (``waiting``: for a free slot,
        ``ROOM``, or a message, ``DATA``) in between; ``Timeout`` when
        ``timeout`` passes first."""
        timeout = check_timeout(timeout)
        deadline = deadline_of(timeout)
        with self._lock:
            try:
                return attempt()
            except IpcException as e:
                if e.error is not IpcError.WouldBlock or timeout == 0:
                    raise
            cap = self._kp.handles[self._handle]

            def tried() -> T | IpcException:
                try:
                    return attempt()
                except IpcException as e:
                    return e

            def blocked(r: T | IpcException) -> bool:
                return type(r) is IpcException and r.error is IpcError.WouldBlock

            r = wait_thread(self._lock, cap.obj, kind, 1, cap, tried, blocked, deadline)
        if isinstance(r, TimedOut):
            raise IpcException(IpcError.Timeout, "channel")
        if type(r) is IpcException:
            raise r
        return cast(T, r)  # not an exception: an attempt's value

    def send_wait(self, data: bytes, timeout: float | None = None) -> None:
        """Send, waiting up to ``timeout`` seconds for a free slot."""
        self._retry(lambda: self._send_locked(data), timeout, ROOM)

    def receive_wait(self, timeout: float | None = None) -> bytes:
        """Receive, waiting up to ``timeout`` seconds for a message."""
        return self._retry(self._receive_locked, timeout, DATA)

    # -- asyncio --------------------------------------------------------------

    async def _retry_async(
        self, attempt: Callable[[], T], kind: int, need: int = 1
    ) -> T:
        """Run ``attempt`` until it does not fail with ``WouldBlock``, awaiting
        a wake-up (``waiting``: ``need`` free slots, ``ROOM``, or a message,
        ``DATA``) in between. The entry keeps its place across retries and
        leaves in every case (cancellation included)."""
        loop = asyncio.get_running_loop()
        entry: Entry | None = None
        obj: KObject | None = None
        try:
            while True:
                with self._lock:
                    try:
                        return attempt()
                    except IpcException as e:
                        if e.error is not IpcError.WouldBlock:
                            raise
                    fut: asyncio.Future[None] = loop.create_future()

                    def wake_up(fut: asyncio.Future[None] = fut) -> None:
                        # Runs under the system lock, in whatever thread changed
                        # the channel; a loop already closed has nobody to wake.
                        with contextlib.suppress(RuntimeError):
                            loop.call_soon_threadsafe(_resolve, fut)

                    if entry is None or obj is None:
                        cap = self._kp.handles[self._handle]
                        obj = cap.obj
                        entry = register(obj, kind, need, cap, wake_up)
                    else:
                        rearm(obj, entry)
                        entry.wake = wake_up
                await fut
        finally:
            if entry is not None and obj is not None:
                with self._lock:
                    remove(obj, entry)

    async def send(self, data: bytes) -> None:
        """Send, awaiting a free slot."""
        await self._retry_async(lambda: self._send_locked(data), ROOM)

    async def receive(self) -> bytes:
        """Receive, awaiting a message."""
        return await self._retry_async(self._receive_locked, DATA)

    async def send_many(self, items: Sequence[bytes]) -> int:
        """Send a batch, awaiting room for all of it (all or nothing)."""
        batch = items if type(items) is tuple else tuple(items)
        with self._lock:
            cap = self._kp.handles.get(self._handle)
            if (
                cap is not None
                and isinstance(cap.obj, KChannel)
                and len(batch) > cap.obj.capacity
            ):
                raise ValueError(
                    f"a batch of {len(batch)} never fits in {cap.obj.capacity} slots"
                )
        return await self._retry_async(
            lambda: self._send_batch_locked(batch), ROOM, max(1, len(batch))
        )

    async def receive_many(self, max_count: int = 1 << 30) -> list[bytes]:
        """Receive up to ``max_count`` messages, awaiting at least one."""
        return await self._retry_async(
            lambda: self._receive_batch_locked(max_count), DATA
        )

    # Versions of the calls above for a caller that holds the lock.

    def _send_locked(self, data: bytes) -> None:
        check_result(
            self._sys.kernel.apply(self._kp.pid, sc.ChannelSend(self._handle, data))
        )

    def _receive_locked(self) -> bytes:
        v = check_result(
            self._sys.kernel.apply(self._kp.pid, sc.ChannelReceive(self._handle))
        )
        assert isinstance(v, bytes)
        return v

    def _send_batch_locked(self, batch: tuple[bytes, ...]) -> int:
        op = sc.ChannelSendBatch(self._handle, batch)
        v = check_result(self._sys.kernel.apply(self._kp.pid, op))
        assert isinstance(v, int)
        return v

    def _receive_batch_locked(self, max_count: int) -> list[bytes]:
        op = sc.ChannelReceiveBatch(self._handle, max_count)
        v = check_result(self._sys.kernel.apply(self._kp.pid, op))
        assert isinstance(v, tuple)
        return list(v)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _as_tuple(items: object) -> tuple[bytes, ...]:
    """A batch as the operation record takes it: a tuple of a list, a tuple or
    any other iterable; anything else as it is (ERR-TOTAL then refuses it with
    ``InvalidArgument``, as the rule does)."""
    if isinstance(items, Iterable):
        return tuple(items)
    return cast("tuple[bytes, ...]", items)
