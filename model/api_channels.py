"""The facade's channels: ``Channel`` (CHAN-*), for threads and asyncio.

A thread's ``send_wait`` to a full ring is one of the kernel's blocked
senders (CHAN-SEND-BLOCK) and waits as ``model.parking`` says; the other
waiting calls (``receive_wait`` and the coroutines) retry when
``model.waiting`` wakes them: for a free slot (a send) or a message (a
receive).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Err, Ok, Result

from .api_handles import Handle
from .channels import pop_one, pop_some, push_all, push_one
from .errors import IpcException, WouldBlock, exception_for
from .kernel import settle
from .parking import send_parked, timeout_ticks
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

    def send_nowait(self, data: bytes) -> None:
        """Append one message (CHAN-SEND)."""
        with self._lock:
            kp = self._kp
            if kp.status == RUNNING and kp.alive and type(data) is bytes:
                r = push_one(self._handles.get(self._handle), data)  # ``_send``
            else:
                r = self._send(data)
        if r is not None:
            raise exception_for(r.error, "channel send")

    def receive_nowait(self) -> bytes:
        """Take the oldest message (CHAN-RECEIVE)."""
        with self._lock:
            kp = self._kp
            if kp.status == RUNNING and kp.alive:
                r = pop_one(self._handles.get(self._handle))  # ``_receive``
                if self._state.sending:  # a slot for a blocked sender
                    settle(self._state)
            else:
                r = self._receive()
        if type(r) is bytes:
            return r
        return _raise_err(r, "channel receive")

    def send_batch(self, items: Sequence[bytes]) -> int:
        """Append every message or none (CHAN-SEND-BATCH). Returns the count."""
        with self._lock:
            r = self._send_batch(items)
        return _raise_err(r, "channel send batch")

    def receive_batch(self, max_count: int = 1 << 30) -> list[bytes]:
        """Take up to ``max_count`` oldest messages (CHAN-RECEIVE-BATCH)."""
        with self._lock:
            r = self._receive_batch(max_count)
        return _raise_err(r, "channel receive batch")

    # The four calls for a caller that holds the lock. When the process is
    # running (PROC-STATUS) and the arguments are well typed (ERR-TOTAL: the
    # checks ``Kernel.apply`` makes before the rule), the rule's own function
    # decides and acts (``push_one``, ``push_all``, ``pop_one``, ``pop_some``)
    # without an operation record, and what follows every operation follows
    # (``kernel.settle``, after a receive: a freed slot serves the first
    # blocked sender. A send frees no slot and a channel operation moves no
    # capability, so after a send nothing is left to do: every slot freed
    # before was given at once); anything else goes through ``Kernel.apply``,
    # which names the error. So the answer is always the rule's.

    def _send(self, data: bytes) -> Err | None:
        kp = self._kp
        if kp.status == RUNNING and kp.alive and type(data) is bytes:
            return push_one(self._handles.get(self._handle), data)
        r = self._sys.kernel.apply(kp.pid, sc.ChannelSend(self._handle, data))
        return r if type(r) is Err else None

    def _receive(self) -> bytes | Err:
        kp = self._kp
        if kp.status == RUNNING and kp.alive:
            got = pop_one(self._handles.get(self._handle))
            if self._state.sending:
                settle(self._state)
            return got
        r = self._sys.kernel.apply(kp.pid, sc.ChannelReceive(self._handle))
        return _value(r, bytes)

    def _send_batch(self, items: Sequence[bytes]) -> int | Err:
        kp = self._kp
        if (
            kp.status == RUNNING
            and kp.alive
            and type(items) in (list, tuple)
            and (not items or set(map(type, items)) == _BYTES_ONLY)
        ):
            return push_all(self._handles.get(self._handle), items)
        op = sc.ChannelSendBatch(self._handle, _as_tuple(items))
        return _value(self._sys.kernel.apply(kp.pid, op), int)

    def _receive_batch(self, max_count: int) -> list[bytes] | Err:
        kp = self._kp
        if kp.status == RUNNING and kp.alive and type(max_count) is int:
            taken = pop_some(self._handles.get(self._handle), max_count)
            if self._state.sending:
                settle(self._state)
            return taken
        op = sc.ChannelReceiveBatch(self._handle, max_count)
        got = _value(self._sys.kernel.apply(kp.pid, op), tuple)
        if isinstance(got, Err):
            return got
        return list(got)

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
            except WouldBlock:
                if timeout == 0:
                    raise
            cap = self._kp.handles[self._handle]

            def tried() -> T | IpcException:
                try:
                    return attempt()
                except IpcException as e:
                    return e

            def blocked(r: T | IpcException) -> bool:
                return type(r) is WouldBlock

            r = wait_thread(self._lock, cap.obj, kind, 1, cap, tried, blocked, deadline)
        if isinstance(r, TimedOut):
            raise exception_for(IpcError.Timeout, "channel")
        if isinstance(r, IpcException):
            raise r
        return r  # not an exception: an attempt's value

    def send_wait(self, data: bytes, timeout: float | None = None) -> None:
        """Send, waiting up to ``timeout`` seconds (None: forever) for a free
        slot.

        To a full ring, with a timeout other than 0, the send blocks in the
        kernel (CHAN-SEND-BLOCK, ``model.parking``): blocked senders proceed
        in the order they blocked as slots free. Raises ``IpcException``:
        ``WouldBlock`` for timeout 0, ``Timeout`` when the deadline passes
        first (the message is not sent), ``PortClosed`` when the channel is
        closed, ``InvalidCapability`` when the capability it sends through is
        revoked, ``NoSuchProcess`` when the process is killed; every other
        error at once.
        """
        timeout = check_timeout(timeout)
        with self._lock:
            r: Result | None = self._send(data)
            if type(r) is Err and r.error is IpcError.WouldBlock and timeout != 0:
                ticks = timeout_ticks(self._sys, timeout)
                op = sc.ChannelSend(self._handle, data, ticks)
                r = send_parked(self._sys, self._kp, op)
        if type(r) is Err:
            raise exception_for(r.error, "channel send")

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
                    except WouldBlock:
                        pass
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

    # The calls above as waiting calls retry them (lock held): a value, or
    # the error raised.

    def _send_locked(self, data: bytes) -> None:
        r = self._send(data)
        if r is not None:
            raise exception_for(r.error)

    def _receive_locked(self) -> bytes:
        return _raise_err(self._receive())

    def _send_batch_locked(self, batch: tuple[bytes, ...]) -> int:
        return _raise_err(self._send_batch(batch))

    def _receive_batch_locked(self, max_count: int) -> list[bytes]:
        return _raise_err(self._receive_batch(max_count))


def _value(r: Result, kind: type[T]) -> T | Err:
    """The value of a rule's result (of type ``kind``), or its ``Err``."""
    if type(r) is Err:
        return r
    assert isinstance(r, Ok)
    assert isinstance(r.value, kind)
    return r.value


def _raise_err(r: T | Err, what: str = "") -> T:
    """``r``, unless it is an ``Err``: then its exception is raised."""
    if type(r) is Err:
        raise exception_for(r.error, what)
    return r  # type: ignore[return-value]  # not an Err: a value


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
