"""The facade's ports: ``Port`` (PORT-*, MSG-*), threads blocking on them.

A blocked receive parks a kernel ``Waiter`` and waits on its thread's private
wake-up lock; a send waiting for room waits in ``model.waiting``'s FIFO.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence
from threading import TIMEOUT_MAX

from veridian_ipc.spec import syscalls as sc
from veridian_ipc.spec.errors import IpcError
from veridian_ipc.spec.names import MAX_FLAGS, MAX_INLINE_DATA, MAX_U32
from veridian_ipc.spec.results import Delivered, Err, Ok, Result
from veridian_ipc.spec.rights import RECEIVE, SEND

from . import messages as kmessages
from . import ports as kports
from .api_handles import HANDLE_CLASSES, TOKEN, Handle, IpcException
from .caps import install_all
from .state import RUNNING, Message
from .state import Port as KPort
from .store import E_TIMEOUT, wake
from .waiting import (
    ROOM,
    TimedOut,
    check_timeout,
    deadline_of,
    wait_thread,
)

new_tuple = tuple.__new__


class Port(Handle):
    """A port capability: synchronous messages with direct hand-off (PORT-*)."""

    __slots__ = ()

    # -- fast paths -----------------------------------------------------------

    def send_nowait(self, data: bytes, msg_type: int = 0, flags: int = 0) -> None:
        """Send without waiting (PORT-SEND); ``PortFull`` if there is no room.

        The common case (no capabilities, no filter) is done here, after the
        same checks the rule makes: a waiting receiver gets the message by
        direct hand-off (PORT-HANDOFF), else it is queued. Anything else goes
        through the rule itself.
        """
        self._acquire()
        try:
            cap = self._handles.get(self._handle)
            if (
                cap is not None
                and cap.rights & SEND
                and self._kp.status == RUNNING
                and type(data) is bytes
                and len(data) <= MAX_INLINE_DATA
                and type(msg_type) is int
                and type(flags) is int
                and 0 <= msg_type <= MAX_U32
                and 0 <= flags <= MAX_FLAGS
            ):
                port = cap.obj
                if type(port) is KPort and port.filter is None and not port.closed:
                    msg = new_tuple(Message, (self._kp.pid, msg_type, flags, data, ()))
                    if port.waiters:
                        kports.hand_off(self._sys.kernel.state, port, msg)
                        return
                    q = port.queue
                    if q is None:
                        q = port.queue = deque()
                    if len(q) < port.capacity:
                        q.append(msg)
                        if port.watchers:
                            for cb in port.watchers:
                                cb()
                        return
            self._sync_if_filtered()
            r = self._sys.kernel.apply(
                self._kp.pid, sc.Send(self._handle, msg_type, flags, data)
            )
        finally:
            self._release()
        if type(r) is Err:
            raise IpcException(r.error, "send")

    def receive_nowait(self) -> Message:
        """The oldest message, or ``WouldBlock`` (PORT-RECEIVE, timeout 0)."""
        self._acquire()
        try:
            cap = self._handles.get(self._handle)
            if cap is not None and cap.rights & RECEIVE and self._kp.status == RUNNING:
                port = cap.obj
                q = port.queue if type(port) is KPort else None
                if q:
                    msg: Message = q.popleft()
                    if port.watchers:
                        for cb in port.watchers:
                            cb()
                    if not msg.caps:
                        return msg
                    return self._take(msg)
            r = self._sys.kernel.apply(self._kp.pid, sc.Receive(self._handle, 0))
            if type(r) is Err:
                raise IpcException(r.error, "receive")
            assert isinstance(r, Ok)
            assert isinstance(r.value, Delivered)
            return self._deliver(r.value)
        finally:
            self._release()

    def _sync_if_filtered(self) -> None:
        """Bring the clock up to now if the port has a filter (lock held): its
        rate limit reads the clock (FILTER-RATE)."""
        cap = self._handles.get(self._handle)
        if cap is not None and type(cap.obj) is KPort and cap.obj.filter is not None:
            self._sys._sync_clock()

    def _take(self, msg: Message) -> Message:
        """A dequeued message with capabilities, delivered to this process
        (MSG-INFLIGHT-REVOKE: new handles in message order; lock held)."""
        proc = self._process
        sender, msg_type, flags, data, carried = msg
        install_all(self._kp, carried)  # each capability now knows its handle
        caps = tuple(
            [
                None
                if c is None
                else HANDLE_CLASSES[type(c.obj)](proc, c.handle, TOKEN)
                for c in carried
            ]
        )
        return new_tuple(Message, (sender, msg_type, flags, data, caps))

    def _deliver(self, d: Delivered) -> Message:
        """A ``Delivered`` as a ``Message`` with facade handle objects (lock held)."""
        caps = tuple(None if h is None else self._process._wrap(h) for h in d.caps)
        return Message(d.sender, d.msg_type, d.flags, d.data, caps)

    # -- blocking -------------------------------------------------------------

    def send(
        self,
        data: bytes = b"",
        msg_type: int = 0,
        flags: int = 0,
        caps: Sequence[Handle] = (),
        timeout: float | None = None,
    ) -> None:
        """Send, waiting up to ``timeout`` seconds (None: forever) for room.

        ``caps`` are moved to the receiver (MSG-TRANSFER; each needs GRANT).
        Every other error is raised at once.
        """
        proc = self._process
        handles = []
        for c in caps:
            if not isinstance(c, Handle):
                raise TypeError(f"caps holds handle objects, not {c!r}")
            if c._process is not proc:
                raise ValueError(f"{c!r} belongs to another process")
            handles.append(c._handle)
        carried = tuple(handles)
        timeout = check_timeout(timeout)
        kp = self._kp
        kernel = self._sys.kernel
        # The facade checks ERR-TOTAL's types itself (it built the handles).
        direct = type(data) is bytes and type(msg_type) is int and type(flags) is int
        with self._lock:
            # Fast path: every check of the rule passes (no filter, room or a
            # waiting receiver), so the send is admitted as the rule would.
            # Any failing check sends the call down the rule, which names the
            # error in its order.
            cap = self._handles.get(self._handle)
            if (
                direct
                and cap is not None
                and kp.status == RUNNING
                and cap.rights & SEND
                and len(data) <= MAX_INLINE_DATA
                and 0 <= msg_type <= MAX_U32
                and 0 <= flags <= MAX_FLAGS
            ):
                port = cap.obj
                if (
                    type(port) is KPort
                    and port.filter is None
                    and not port.closed
                    and (
                        port.waiters
                        or not port.queue
                        or len(port.queue) < port.capacity
                    )
                ):
                    moved = kmessages.carried_caps(kp, carried, self._handle)
                    if moved is not None:
                        kports.commit_offer(
                            kernel.state, kp.pid, port, msg_type, flags, data, moved
                        )
                        return
            op = sc.Send(self._handle, msg_type, flags, data, carried)
            self._sync_if_filtered()
            if direct and kp.alive and kp.status == RUNNING:
                r = kports.send(kernel.state, kp, op)
            else:
                r = kernel.apply(self._kp.pid, op)
            if type(r) is Err and r.error is IpcError.PortFull and timeout != 0:
                r = self._wait_for_room(op, r, timeout)
        if type(r) is Err:
            raise IpcException(r.error, "send")

    def _wait_for_room(self, op: sc.Send, r: Result, timeout: float | None) -> Result:
        """Retry a send that found the port full each time this thread is
        woken for a free slot (``waiting``: only as many senders as there are
        free slots are woken, in arrival order), until it is admitted, fails
        otherwise, or ``timeout`` passes (the last ``PortFull`` then stands).
        Lock held."""
        kernel = self._sys.kernel
        pid = self._kp.pid
        cap = self._kp.handles[self._handle]

        def attempt() -> Result:
            self._sync_if_filtered()
            return kernel.apply(pid, op)

        def blocked(r: Result) -> bool:
            return type(r) is Err and r.error is IpcError.PortFull

        got = wait_thread(
            self._lock, cap.obj, ROOM, 1, cap, attempt, blocked, deadline_of(timeout)
        )
        return r if isinstance(got, TimedOut) else got

    def receive(self, timeout: float | None = None) -> Message:
        """The oldest message, waiting up to ``timeout`` seconds (None or
        infinity: forever; any finite timeout is a deadline, TIME-DEADLINE).

        A waiting receiver gets the next message sent by direct hand-off
        (PORT-HANDOFF). Raises ``IpcException``: ``Timeout`` when the deadline
        passes, ``PortClosed`` when the port is closed (and drained),
        ``InvalidCapability`` when the capability is revoked while waiting,
        ``NoSuchProcess`` when the process is killed; ``ValueError`` or
        ``TypeError`` for a bad timeout, before anything waits.

        An exception raised while the thread waits (a signal handler's,
        ``KeyboardInterrupt``) propagates, and the receive leaves no trace:
        its waiter leaves the port, and a message already handed to it goes
        back to the port as its oldest message (``ports.withdraw``), for the
        next receive.
        """
        timeout = check_timeout(timeout)
        sys = self._sys
        kp = self._kp
        self._acquire()
        try:
            cap = self._handles.get(self._handle)
            port = None if cap is None else cap.obj
            if (
                cap is None
                or type(port) is not KPort
                or not cap.rights & RECEIVE
                or kp.status != RUNNING
                or not kp.alive
            ):
                # Not the common case: let the rule say which error it is.
                r = sys.kernel.apply(kp.pid, sc.Receive(self._handle, 0))
                if type(r) is Err:
                    raise IpcException(r.error, "receive")
                assert isinstance(r, Ok)
                assert isinstance(r.value, Delivered)
                return self._deliver(r.value)
            q = port.queue
            if q:
                msg: Message = q.popleft()
                if port.watchers:
                    for cb in port.watchers:
                        cb()
                if not msg.caps:
                    return msg
                return self._take(msg)
            if port.closed:
                raise IpcException(IpcError.PortClosed, "receive")
            if timeout == 0:
                raise IpcException(IpcError.WouldBlock, "receive")
            st = sys.kernel.state
            if timeout is None:
                deadline = None
            elif sys.realtime:
                deadline = max(st.clock, sys.now()) + sys.ticks(timeout)
            else:
                deadline = st.clock + sys.ticks(timeout)
            signal = _signal()
            w = kports.block(st, kp, port, cap, deadline, signal.release)
        finally:
            self._release()
        try:
            if timeout is None or not sys.realtime or timeout > TIMEOUT_MAX:
                signal.acquire()
            elif not signal.acquire(True, timeout):
                self._acquire()
                try:
                    if w.result is None:
                        sys._sync_clock()
                    if w.result is None:  # tick rounding: the deadline is now
                        wake(sys.kernel.state, w, E_TIMEOUT)
                finally:
                    self._release()
                signal.acquire()  # released by the wake-up: take it back
        except BaseException:
            with self._lock:
                kports.withdraw(sys.kernel.state, w, port)
                signal.acquire(False)  # held again, whoever released it
            raise
        result = w.result
        if type(result) is Message:
            return result
        if type(result) is Err:
            raise IpcException(result.error, "receive")
        assert isinstance(result, Ok)
        assert isinstance(result.value, Delivered)
        with self._lock:
            return self._deliver(result.value)

    # -- the rest -------------------------------------------------------------

    def close(self) -> int:
        """Close the port (PORT-CLOSE): waiters wake with ``PortClosed``.
        Returns the number of messages left to drain."""
        n = self._process._do(sc.Close(self._handle))
        assert isinstance(n, int)
        return n

    def set_filter(
        self,
        allowed_types: Iterable[int] | None = None,
        max_size: int | None = None,
        rate: tuple[int, int, int] | None = None,
    ) -> None:
        """Set or clear (no argument) the port's filter (FILTER-SET).

        ``rate`` is ``(burst, refill, period)``, ``period`` in clock ticks.
        """
        types = None if allowed_types is None else frozenset(allowed_types)
        limit = None if rate is None else sc.RateLimit(*rate)
        self._process._do(sc.SetFilter(self._handle, types, max_size, limit))

    def bind(self, name: str, service_type: int = 0) -> None:
        """Publish this port under ``name`` (NS-BIND)."""
        self._process.namespace.bind(name, self, service_type)


_local = threading.local()


def _signal() -> threading.Lock:
    """This thread's wake-up lock, held: the kernel releases it to wake us."""
    lock: threading.Lock | None = getattr(_local, "signal", None)
    if lock is None:
        lock = threading.Lock()
        lock.acquire()
        _local.signal = lock
    return lock
