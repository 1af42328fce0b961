"""The facade's ports: ``Port`` (PORT-*, MSG-*), threads blocking on them.

A blocked receive parks a kernel ``Waiter`` and waits on its thread's private
wake-up lock; a send waiting for room is one of the kernel's blocked senders
(PORT-SEND-BLOCK) and waits as ``model.parking`` says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from threading import TIMEOUT_MAX

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Delivered, Err, Ok
from veridian_ipc.vocabulary.rights import SEND

from . import ports as kports
from .api_handles import HANDLE_CLASSES, TOKEN, Handle
from .caps import install_all
from .errors import exception_for
from .kernel import settle
from .parking import send_parked, timeout_ticks
from .ports import admit_receive, admit_send, commit_offer
from .state import RUNNING, Message
from .state import Port as KPort
from .store import E_TIMEOUT, wake
from .waiting import check_timeout

new_tuple = tuple.__new__


class Port(Handle):
    """A port capability: synchronous messages with direct hand-off (PORT-*)."""

    __slots__ = ()

    # -- without waiting --------------------------------------------------------

    def send_nowait(self, data: bytes, msg_type: int = 0, flags: int = 0) -> None:
        """Send without waiting (PORT-SEND); ``PortFull`` if there is no room.

        A waiting receiver gets the message by direct hand-off (PORT-HANDOFF),
        else it is queued (``_offer``: the rule's own checks and effects).
        """
        self._acquire()
        try:
            error = self._offer(msg_type, flags, data, ())
        finally:
            self._release()
        if error is not None:
            raise exception_for(error, "send")

    def receive_nowait(self) -> Message:
        """The oldest message, or ``WouldBlock`` (PORT-RECEIVE, timeout 0)."""
        self._acquire()
        try:
            kp = self._kp
            if kp.status == RUNNING and kp.alive:  # ``_take_now``, inlined
                st = self._state
                got = admit_receive(self._handles.get(self._handle), 0, st, kp)
                if type(got) is Message:
                    if got.caps:
                        got = self._take(got)
                    if st.sending:  # a slot for a blocked sender (a receive
                        settle(st)  # moves no capability away: no suspects)
                    return got
            else:
                got = self._take_now(0)
                if type(got) is Message:
                    return got
        finally:
            self._release()
        assert isinstance(got, Err)  # a receive that may not wait never blocks
        raise exception_for(got.error, "receive")

    def _offer(
        self, msg_type: int, flags: int, data: bytes, carried: tuple[int, ...]
    ) -> IpcError | None:
        """PORT-SEND for this process (lock held): its error, or None once sent.

        When the process is running (PROC-STATUS) and the arguments are well
        typed (ERR-TOTAL: the checks ``Kernel.apply`` makes before the rule;
        ``carried`` is built by the facade), the rule's own ``admit_send`` and
        ``commit_offer`` run without an operation record; anything else goes
        through ``Kernel.apply``, which names the error. So the answer is
        always the rule's.
        """
        kp = self._kp
        if (
            kp.status == RUNNING
            and kp.alive
            and type(data) is bytes
            and type(msg_type) is int
            and type(flags) is int
        ):
            cap = self._handles.get(self._handle)
            if cap is not None:
                port = cap.obj
                if type(port) is KPort and port.filter is not None:
                    self._sys._sync_clock()  # FILTER-RATE reads the clock
            st = self._state
            moved = admit_send(
                st, kp, cap, self._handle, msg_type, flags, data, carried
            )
            if type(moved) is Err:
                return moved.error
            assert cap is not None  # admitted: a live port capability
            commit_offer(st, kp.pid, cap.obj, msg_type, flags, data, moved)  # type: ignore[arg-type]
            if st.suspects:  # a RECEIVE went into the message (PORT-CLOSE)
                settle(st)  # (a send frees no slot: no blocked sender to serve)
            return None
        self._sync_if_filtered()
        r = self._sys.kernel.apply(
            kp.pid, sc.Send(self._handle, msg_type, flags, data, carried)
        )
        return r.error if type(r) is Err else None

    def _take_now(self, timeout: int | None) -> Message | Err | None:
        """PORT-RECEIVE for this process up to blocking (lock held): the oldest
        message (delivered: its capabilities are this process's handles now),
        the error, or None when the receive blocks (the handle is then a live
        port capability with RECEIVE). ``timeout`` 0 asks not to wait.

        When the process is running (PROC-STATUS) the rule's own
        ``admit_receive`` decides; else ``Kernel.apply`` names the error.
        Either way what follows every operation follows (``kernel.settle``):
        the slot a message frees serves the first blocked sender.
        """
        kp = self._kp
        if kp.status == RUNNING and kp.alive:
            st = self._state
            got = admit_receive(self._handles.get(self._handle), timeout, st, kp)
            if type(got) is Message:
                if got.caps:
                    got = self._take(got)
                if st.sending:
                    settle(st)
            return got
        r = self._sys.kernel.apply(kp.pid, sc.Receive(self._handle, 0))
        if type(r) is Err:
            return r
        assert isinstance(r, Ok)
        assert isinstance(r.value, Delivered)
        return self._deliver(r.value)

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
        To a full port, with a timeout other than 0, the send blocks in the
        kernel (PORT-SEND-BLOCK, ``model.parking``): blocked senders proceed
        in the order they blocked as room frees, each send attempted again
        as issued (its error, if the world changed meanwhile: a carried
        capability revoked is ``InvalidCapability``). Raises
        ``IpcException``: ``PortFull`` for timeout 0, ``Timeout`` when the
        deadline passes first (the message is not sent), ``PortClosed`` when
        the port is closed or abandoned, ``InvalidCapability`` when the
        capability it sends through is revoked, ``NoSuchProcess`` when the
        process is killed; every other error at once.
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
        with self._lock:
            error = self._offer(msg_type, flags, data, carried)
            if error is IpcError.PortFull and timeout != 0:
                ticks = timeout_ticks(self._sys, timeout)
                op = sc.Send(self._handle, msg_type, flags, data, carried, ticks)
                r = send_parked(self._sys, self._kp, op)
                error = r.error if type(r) is Err else None
        if error is not None:
            raise exception_for(error, "send")

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
            got = self._take_now(0 if timeout == 0 else None)
            if type(got) is Message:
                return got
            if isinstance(got, Err):
                raise exception_for(got.error, "receive")
            cap = self._handles[self._handle]
            port = cap.obj
            assert type(port) is KPort
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
            raise exception_for(result.error, "receive")
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

    def bind(self, name: str, service_type: int = 0, rights: int = SEND) -> None:
        """Publish this port under ``name``; lookups get ``rights`` (NS-BIND)."""
        self._process.namespace.bind(name, self, service_type, rights)


_local = threading.local()


def _signal() -> threading.Lock:
    """This thread's wake-up lock, held: the kernel releases it to wake us."""
    lock: threading.Lock | None = getattr(_local, "signal", None)
    if lock is None:
        lock = threading.Lock()
        lock.acquire()
        _local.signal = lock
    return lock
