"""A thread-safe, blocking, Pythonic API over the kernel.

``System`` owns one ``Kernel`` and one lock; every call takes the lock, applies
the rule, and releases it, so every operation is atomic (it linearizes at the
moment it holds the lock). Blocking is done outside the lock:

- A **receive** that finds the queue empty parks a ``Waiter`` on the port (the
  kernel's waiter queue, PORT-RECEIVE) and waits on a private lock the kernel
  releases when it ends the wait: a send hands the message straight to the first
  waiter (PORT-HANDOFF), a close wakes every waiter with ``PortClosed``
  (PORT-CLOSE), a revoke with ``InvalidCapability`` (RIGHTS-REVOKE), the
  deadline with ``Timeout`` (TIME-DEADLINE). An exception while it waits (a
  signal handler's, ``KeyboardInterrupt``) withdraws the waiter, and a message
  already handed to it goes back to the port (``ports.withdraw``): none is lost.
- A **send** to a full port and every waiting **channel** operation retry when
  woken (``waiting``): per object, a FIFO of waiting calls, of which only as
  many are woken as there are free slots (senders) or held messages
  (receivers); a close wakes all, a capability leaving its table wakes those
  waiting through it.

Timeouts are seconds: ``None`` or infinity wait forever, any finite timeout
``>= 0`` is a deadline (however far), anything else is refused before waiting
(``ValueError``, ``TypeError``).

Clock: ``System(clock="monotonic")`` (the default) drives the kernel's clock
from ``time.monotonic_ns`` in microsecond ticks, so deadlines and rate limits
run in real time; ``System(clock="logical")`` leaves the clock to
``System.advance_clock`` (deterministic tests, conformance).

Errors are ``IpcException`` (with the spec's ``IpcError`` as ``.error``); the
POSIX socket object raises ``OSError(errno, strerror)`` instead (POSIX-ERRNO).
A process from several threads is fine: a blocked receive does not block the
process, only its thread.

Hot paths (``Port.send_nowait``/``receive_nowait``/``send``/``receive``,
``Channel.send_nowait``/``receive_nowait``/``send_batch``/``receive_batch``)
skip the operation records only when a cheap check proves the rule would admit
the call: the process is running (PROC-STATUS), the handle is live in its table
(looked up again on every call), it has the right, every argument is
well-typed and in range (ERR-TOTAL, MSG-LIMITS), the object takes it (no
filter, open, room or data). Anything else goes through ``Kernel.apply`` with
the operation record, which gives the rule's own answer, so a fast path never
answers differently from the rule.

**What the API guarantees about authority.** A ``Process`` object is a
process's authority here: only ``System.spawn`` makes one, and every handle
object (``Port``, ``Channel``, ``SharedBuffer``), ``Socket`` and ``Namespace``
is made by this module for the process that holds it (a private construction
token is checked; ``__slots__`` and read-only ``process``/``pid``/``handle``/
``fd``). So through the API a process can act only as itself and with the
rights it holds, and every message carries its real sender (MSG-SENDER). This
guards against misuse and forgery *through the API*; it is not isolation:
Python gives code in one interpreter no memory isolation (``object.__setattr__``
on private slots, ``gc`` or ``ctypes`` can always reach another process's
objects). Real isolation is the cross-process design's, where one trusted
owner of all authority (the kernel) serves processes that share no memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from threading import TIMEOUT_MAX
from typing import Literal, TypeVar, cast

from veridian_ipc.spec import syscalls as sc
from veridian_ipc.spec.errors import IpcError
from veridian_ipc.spec.names import MAX_FLAGS, MAX_INLINE_DATA, MAX_U32, Config
from veridian_ipc.spec.results import CapInfo, Delivered, Err, Ok, Result
from veridian_ipc.spec.rights import RECEIVE, SEND

from . import messages as kmessages
from . import ports as kports
from .caps import install_all
from .channels import pop_some, push_all
from .kernel import Kernel
from .sockets import errno_of
from .state import RUNNING, KObject, Message
from .state import Buffer as KBuffer
from .state import Channel as KChannel
from .state import Port as KPort
from .state import Process as KProcess
from .store import E_TIMEOUT, wake
from .timeouts import advance_to
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
new_tuple = tuple.__new__

#: The private construction token: the facade's objects are made here only.
_TOKEN = object()
_BYTES_ONLY = {bytes}

#: Ticks per second of the monotonic clock (one tick is a microsecond).
TICKS_PER_SECOND = 1_000_000


class IpcException(Exception):
    """An operation failed with the spec's ``error``."""

    def __init__(self, error: IpcError, what: str = "") -> None:
        self.error = error
        super().__init__(f"{error.name}: {what}" if what else error.name)


def _check(result: Result, what: str = "") -> object:
    """The value of an ``Ok``; an ``Err`` becomes ``IpcException``."""
    if type(result) is Err:
        raise IpcException(result.error, what)
    assert isinstance(result, Ok)
    return result.value


class System:
    """One IPC system: a kernel, its lock, its clock, its processes."""

    def __init__(
        self,
        config: Config | None = None,
        clock: Literal["monotonic", "logical"] = "monotonic",
    ) -> None:
        if clock not in ("monotonic", "logical"):
            raise ValueError(f"clock must be 'monotonic' or 'logical', not {clock!r}")
        self.kernel = Kernel(0, config)
        self.lock = threading.Lock()
        self.realtime = clock == "monotonic"
        self._origin = time.monotonic_ns()

    # -- clock ------------------------------------------------------------------

    def now(self) -> int:
        """The kernel clock's tick now (monotonic mode: microseconds)."""
        if self.realtime:
            return (time.monotonic_ns() - self._origin) // 1000
        return self.kernel.state.clock

    def ticks(self, seconds: float) -> int:
        """A timeout in seconds as ticks (logical mode: one tick per second)."""
        if seconds < 0:
            raise ValueError(f"timeout must be >= 0, not {seconds!r}")
        if self.realtime:
            return max(1, int(seconds * TICKS_PER_SECOND)) if seconds else 0
        return int(seconds)

    def _sync_clock(self) -> None:
        """Bring the kernel clock up to now and fire deadlines (lock held)."""
        if self.realtime:
            advance_to(self.kernel.state, self.now())

    def advance_clock(self, ticks: int) -> int:
        """Logical mode: time passes (TIME-ADVANCE). Returns the new clock."""
        if self.realtime:
            raise RuntimeError("advance_clock needs System(clock='logical')")
        with self.lock:
            now = _check(self.kernel.apply(0, sc.AdvanceClock(ticks)), "advance")
        assert isinstance(now, int)
        return now

    # -- processes --------------------------------------------------------------

    def spawn(self) -> Process:
        """A new process (PROC-SPAWN)."""
        with self.lock:
            pid = _check(self.kernel.apply(0, sc.Spawn()))
        assert isinstance(pid, int)
        return Process(self, pid, _TOKEN)

    def apply(self, pid: int, op: sc.Operation) -> Result:
        """Any operation record, as ``Kernel.apply`` (under the lock)."""
        with self.lock:
            self._sync_clock()
            return self.kernel.apply(pid, op)


class Process:
    """A process of a ``System``: creates objects and holds their handles.

    Only ``System.spawn`` makes one (a private token is checked): the object is
    the process's authority in this API, so it cannot be built for another
    process's pid, and its ``system`` and ``pid`` are read-only.
    """

    __slots__ = ("_acquire", "_kp", "_lock", "_pid", "_release", "_system")

    def __init__(self, system: System, pid: int, token: object = None) -> None:
        if token is not _TOKEN:
            raise TypeError("Process objects are made by System.spawn only")
        self._system = system
        self._pid = pid
        self._kp: KProcess = system.kernel.state.processes[pid]
        # Shared by every handle of the process (see ``Handle.__init__``).
        self._lock = system.lock
        self._acquire = system.lock.acquire
        self._release = system.lock.release

    @property
    def system(self) -> System:
        """The system the process lives in."""
        return self._system

    @property
    def pid(self) -> int:
        """The process id (PROC-SPAWN); stamped on every message it sends."""
        return self._pid

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._kp.alive:
            self.kill()

    def __repr__(self) -> str:
        return f"Process({self.pid})"

    def apply(self, op: sc.Operation) -> Result:
        """Any operation record on behalf of this process."""
        return self.system.apply(self.pid, op)

    def _do(self, op: sc.Operation, what: str = "") -> object:
        return _check(self.system.apply(self.pid, op), what or type(op).__name__)

    def _wrap(self, handle: int) -> Handle:
        """The facade object for one of this process's handles."""
        cap = self._kp.handles.get(handle)
        if cap is None:  # gone already (revoked since delivery): a bare Handle
            return Handle(self, handle, _TOKEN)
        return _HANDLE_CLASSES[type(cap.obj)](self, handle, _TOKEN)

    def kill(self) -> None:
        """The process ends (PROC-KILL); its blocked threads get NoSuchProcess."""
        with self.system.lock:
            _check(self.system.kernel.apply(0, sc.Kill(self.pid)), "kill")

    def create_port(self, capacity: int = 64) -> Port:
        """A new port (PORT-CREATE) with every right."""
        h = self._do(sc.CreatePort(capacity))
        assert isinstance(h, int)
        return Port(self, h, _TOKEN)

    def create_channel(self, capacity: int = 1024, max_message: int = 4096) -> Channel:
        """A new asynchronous channel (CHAN-CREATE)."""
        h = self._do(sc.CreateChannel(capacity, max_message))
        assert isinstance(h, int)
        return Channel(self, h, _TOKEN)

    def create_buffer(self, size: int) -> SharedBuffer:
        """A new zero-filled shared buffer (BUF-CREATE)."""
        h = self._do(sc.CreateBuffer(size))
        assert isinstance(h, int)
        return SharedBuffer(self, h, _TOKEN)

    def socket(self, capacity: int | None = None) -> Socket:
        """A new POSIX-style socket (POSIX-SOCKET)."""
        r = self.apply(sc.Socket(capacity))
        if type(r) is Err:
            raise _os_error(r.error)
        assert isinstance(r, Ok)
        assert isinstance(r.value, int)
        return Socket(self, r.value, _TOKEN)

    @property
    def namespace(self) -> Namespace:
        """The namespace, as seen by this process."""
        return Namespace(self, _TOKEN)

    def handle_object(self, handle: int) -> Handle:
        """The facade object (``Port``, ``Channel``, ``SharedBuffer``) for one
        of this process's live handles; ``InvalidCapability`` if it holds none
        under ``handle``."""
        with self.system.lock:
            if type(handle) is not int or handle not in self._kp.handles:
                raise IpcException(IpcError.InvalidCapability, f"handle {handle!r}")
            return self._wrap(handle)

    def handles(self) -> list[Handle]:
        """Facade objects for every handle this process holds."""
        with self.system.lock:
            return [self._wrap(h) for h in sorted(self._kp.handles)]


class Namespace:
    """Bind, lookup and typed connect (NS-*), on behalf of a process."""

    __slots__ = ("_proc",)

    def __init__(self, proc: Process, token: object = None) -> None:
        if token is not _TOKEN:
            raise TypeError("Namespace objects are made by Process.namespace only")
        self._proc = proc

    def bind(self, name: str, port: Port, service_type: int = 0) -> None:
        """Publish ``port`` under ``name`` (NS-BIND; needs GRANT)."""
        self._proc._do(sc.Bind(port.handle, name, service_type), f"bind {name!r}")

    def unbind(self, name: str, port: Port) -> None:
        """Remove a binding by a MANAGE capability to its port (NS-UNBIND)."""
        self._proc._do(sc.Unbind(port.handle, name), f"unbind {name!r}")

    def lookup(self, name: str) -> Port:
        """A new handle to the port bound to ``name`` (NS-LOOKUP)."""
        h = self._proc._do(sc.Lookup(name), f"lookup {name!r}")
        assert isinstance(h, int)
        return Port(self._proc, h, _TOKEN)

    def connect(self, name: str, service_type: int) -> Port:
        """Typed lookup (NS-CONNECT): ``TypeMismatch`` on another service type."""
        h = self._proc._do(sc.Connect(name, service_type), f"connect {name!r}")
        assert isinstance(h, int)
        return Port(self._proc, h, _TOKEN)


class Handle:
    """A capability held by a process under ``handle`` (CAP-HANDLE).

    Every call re-resolves the handle in the kernel (one dict lookup): a handle
    dropped, revoked or sent away fails with ``InvalidCapability``.

    Handle objects are made by this module only (``Process.create_*``, a
    receive, ``derive``, ``Process.handle_object``; a private token is checked):
    a handle object always acts for the process that holds the handle, and its
    ``process`` and ``handle`` are read-only.
    """

    __slots__ = (
        "_acquire",
        "_handle",
        "_handles",
        "_kp",
        "_lock",
        "_process",
        "_release",
        "_sys",
    )

    def __init__(self, process: Process, handle: int, token: object = None) -> None:
        if token is not _TOKEN:
            raise TypeError(
                f"{type(self).__name__} objects are made by their process only"
            )
        if type(handle) is not int:  # the fast paths index tables with it
            raise TypeError(f"a handle is an int, not {handle!r}")
        # Copied from the process, not derived: a receive of capabilities
        # builds one handle object per capability.
        self._process = process
        self._handle = handle
        self._sys = process._system
        self._lock = process._lock
        self._acquire = process._acquire
        self._release = process._release
        self._kp = kp = process._kp
        self._handles = kp.handles

    @property
    def process(self) -> Process:
        """The process holding the handle (it acts, and sends, as this one)."""
        return self._process

    @property
    def handle(self) -> int:
        """The handle number in the process's table (CAP-HANDLE)."""
        return self._handle

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pid={self._process.pid}, handle={self._handle})"

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._handle in self._kp.handles:
                self._sys.kernel.apply(self._process.pid, sc.Drop(self._handle))

    def inspect(self) -> CapInfo:
        """Kind and rights (CAP-INSPECT)."""
        info = self._process._do(sc.Inspect(self._handle))
        assert isinstance(info, CapInfo)
        return info

    @property
    def rights(self) -> int:
        """The capability's rights bit mask."""
        return self.inspect().rights

    def derive(self: H, rights: int) -> H:
        """A new handle to the same object with a subset of the rights
        (RIGHTS-DERIVE)."""
        h = self._process._do(sc.Derive(self._handle, rights))
        assert isinstance(h, int)
        return type(self)(self._process, h, _TOKEN)

    def drop(self) -> None:
        """Remove this handle (CAP-DROP)."""
        self._process._do(sc.Drop(self._handle))

    def revoke(self) -> int:
        """Destroy everything derived from this capability (RIGHTS-REVOKE)."""
        n = self._process._do(sc.Revoke(self._handle))
        assert isinstance(n, int)
        return n

    @property
    def alive(self) -> bool:
        """The handle is still live in its process."""
        return self._handle in self._kp.handles


H = TypeVar("H", bound=Handle)


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
                else _HANDLE_CLASSES[type(c.obj)](proc, c.handle, _TOKEN)
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
        value = _check(r, "channel receive")
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
        n = _check(r, "channel send batch")
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
        value = _check(r, "channel receive batch")
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
        _check(self._sys.kernel.apply(self._kp.pid, sc.ChannelSend(self._handle, data)))

    def _receive_locked(self) -> bytes:
        v = _check(
            self._sys.kernel.apply(self._kp.pid, sc.ChannelReceive(self._handle))
        )
        assert isinstance(v, bytes)
        return v

    def _send_batch_locked(self, batch: tuple[bytes, ...]) -> int:
        op = sc.ChannelSendBatch(self._handle, batch)
        v = _check(self._sys.kernel.apply(self._kp.pid, op))
        assert isinstance(v, int)
        return v

    def _receive_batch_locked(self, max_count: int) -> list[bytes]:
        op = sc.ChannelReceiveBatch(self._handle, max_count)
        v = _check(self._sys.kernel.apply(self._kp.pid, op))
        assert isinstance(v, tuple)
        return list(v)


_local = threading.local()


def _signal() -> threading.Lock:
    """This thread's wake-up lock, held: the kernel releases it to wake us."""
    lock: threading.Lock | None = getattr(_local, "signal", None)
    if lock is None:
        lock = threading.Lock()
        lock.acquire()
        _local.signal = lock
    return lock


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class SharedBuffer(Handle):
    """A shared buffer capability: real memory, mapped without copies (BUF-*)."""

    __slots__ = ()

    def map(self, writable: bool = True) -> Mapping:
        """Map the buffer (BUF-MAP; READ, and WRITE if writable)."""
        m = self.process._do(sc.MapBuffer(self.handle, writable))
        assert isinstance(m, int)
        return Mapping(self.process, m)

    @property
    def size(self) -> int:
        """The buffer's size in bytes."""
        with self._lock:
            cap = self._kp.handles.get(self.handle)
            if cap is None:
                raise IpcException(IpcError.InvalidCapability, "buffer")
            assert isinstance(cap.obj, KBuffer)
            return cap.obj.size

    def transfer(self, port: Port, msg_type: int = 0) -> None:
        """Give the buffer away in a message on ``port`` (BUF-TRANSFER): every
        other capability and mapping ends, their memoryviews are released."""
        if port.process is not self.process:
            raise ValueError(f"{port!r} belongs to another process")
        self.process._do(sc.TransferBuffer(self.handle, port.handle, msg_type))


class Mapping:
    """A mapping of a shared buffer in one process (BUF-MAP)."""

    __slots__ = ("_sys", "mapping", "process")

    def __init__(self, process: Process, mapping: int) -> None:
        if type(process) is not Process:
            raise TypeError(f"a mapping belongs to a Process, not {process!r}")
        self.process = process
        self.mapping = mapping
        self._sys = process.system

    def __enter__(self) -> Mapping:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._sys.lock:
            if self.mapping in self.process._kp.mappings:
                self._sys.kernel.apply(self.process.pid, sc.Unmap(self.mapping))

    def view(self, offset: int = 0, length: int | None = None) -> memoryview:
        """A memoryview of the buffer's memory itself (no copy).

        Read-only for a read-only mapping. The view is released when the
        mapping goes (unmap, drop, revoke, transfer): any later access raises
        ``ValueError``. Slices made from it are the caller's to release.
        """
        with self._sys.lock:
            m = self.process._kp.mappings.get(self.mapping)
            if m is None:
                raise IpcException(IpcError.InvalidCapability, "mapping")
            size = m.buf.size
            end = size if length is None else offset + length
            if not 0 <= offset <= end <= size:
                raise IpcException(IpcError.OutOfBounds, f"[{offset}, {end})")
            assert m.buf.mem is not None  # the mapping's capability holds it
            base = memoryview(m.buf.mem)
            v = base[offset:end]
            base.release()
            if not m.writable:
                ro = v.toreadonly()
                v.release()
                v = ro
            if m.views is None:
                m.views = []
            m.views.append(v)
            return v

    def read(self, offset: int, length: int) -> bytes:
        """A copy of ``length`` bytes at ``offset`` (BUF-READ)."""
        v = self.process._do(sc.ReadBuffer(self.mapping, offset, length))
        assert isinstance(v, bytes)
        return v

    def write(self, offset: int, data: bytes) -> None:
        """Store ``data`` at ``offset`` (BUF-WRITE)."""
        self.process._do(sc.WriteBuffer(self.mapping, offset, bytes(data)))

    def unmap(self) -> None:
        """Remove the mapping (BUF-UNMAP); its views are released."""
        self.process._do(sc.Unmap(self.mapping))


def _os_error(error: IpcError) -> OSError:
    """The POSIX face of an error (POSIX-ERRNO)."""
    code = errno_of(error)
    return OSError(code, os.strerror(code))


class Socket:
    """A datagram socket over a port (POSIX-*); errors are ``OSError``."""

    __slots__ = ("_blocking", "_fd", "_process", "_sys")

    def __init__(self, process: Process, fd: int, token: object = None) -> None:
        if token is not _TOKEN:
            raise TypeError("Socket objects are made by Process.socket only")
        self._process = process
        self._fd = fd
        self._sys = process.system
        self._blocking = True

    @property
    def process(self) -> Process:
        """The process holding the socket."""
        return self._process

    @property
    def fd(self) -> int:
        """The socket's file descriptor (POSIX-SOCKET)."""
        return self._fd

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._sys.lock:
            if self._fd in self._process._kp.fds:
                self._sys.kernel.apply(self._process.pid, sc.SockClose(self._fd))

    def fileno(self) -> int:
        """The file descriptor (lowest free, as POSIX requires)."""
        return self.fd

    def setblocking(self, flag: bool) -> None:
        """Non-blocking ``recv`` raises ``EAGAIN`` instead of waiting."""
        self._blocking = bool(flag)

    def _call(self, op: sc.Operation) -> object:
        r = self.process.apply(op)
        if type(r) is Err:
            raise _os_error(r.error)
        assert isinstance(r, Ok)
        return r.value

    def bind(self, name: str) -> None:
        """Publish the socket's port under ``name``, SEND only (POSIX-BIND)."""
        self._call(sc.SockBind(self.fd, name))

    def connect(self, name: str) -> None:
        """Make the port bound to ``name`` the peer (POSIX-CONNECT)."""
        self._call(sc.SockConnect(self.fd, name))

    def send(self, data: bytes) -> int:
        """Send one datagram to the peer (POSIX-SEND); returns its length."""
        n = self._call(sc.SockSend(self.fd, bytes(data)))
        assert isinstance(n, int)
        return n

    def recv(self, bufsize: int, timeout: float | None = None) -> bytes:
        """The oldest datagram (POSIX-RECV); waits for one when blocking.

        ``EMSGSIZE`` leaves a datagram longer than ``bufsize`` queued.
        ``timeout`` (seconds) bounds the wait: ``ETIMEDOUT``.
        """
        timeout = check_timeout(timeout)
        op = sc.SockRecv(self._fd, bufsize)
        sys = self._sys
        pid = self._process.pid
        with sys.lock:
            r = sys.kernel.apply(pid, op)
            if (
                type(r) is Err
                and r.error is IpcError.WouldBlock
                and self._blocking
                and timeout != 0
            ):
                own = self._process._kp.fds[self._fd].own

                def blocked(r: Result) -> bool:
                    return type(r) is Err and r.error is IpcError.WouldBlock

                got = wait_thread(
                    sys.lock,
                    own.obj,
                    DATA,
                    1,
                    None,  # a close of the socket closes the port: all wake
                    lambda: sys.kernel.apply(pid, op),
                    blocked,
                    deadline_of(timeout),
                )
                if isinstance(got, TimedOut):
                    raise _os_error(IpcError.Timeout)
                r = got
        if type(r) is Err:
            raise _os_error(r.error)
        assert isinstance(r, Ok)
        assert isinstance(r.value, bytes)
        return r.value

    def close(self) -> int:
        """Close the socket (POSIX-CLOSE); returns the datagrams discarded."""
        n = self._call(sc.SockClose(self.fd))
        assert isinstance(n, int)
        return n


_HANDLE_CLASSES: dict[type, type[Handle]] = {
    KPort: Port,
    KChannel: Channel,
    KBuffer: SharedBuffer,
}

__all__ = [
    "Channel",
    "Handle",
    "IpcException",
    "Mapping",
    "Message",
    "Namespace",
    "Port",
    "Process",
    "SharedBuffer",
    "Socket",
    "System",
]


def _as_tuple(items: object) -> tuple[bytes, ...]:
    """A batch as the operation record takes it: a tuple of a list, a tuple or
    any other iterable; anything else as it is (ERR-TOTAL then refuses it with
    ``InvalidArgument``, as the rule does)."""
    if isinstance(items, Iterable):
        return tuple(items)
    return cast("tuple[bytes, ...]", items)
