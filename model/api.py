"""A thread-safe, blocking, Pythonic API over the kernel.

``System``, ``Process``, ``Namespace``, ``SharedBuffer``, ``Mapping`` and
``Socket`` live here; ``Port`` in ``api_ports``, ``Channel`` in
``api_channels``, their base ``Handle`` in ``api_handles``, ``IpcException``
and its subclass per error in ``errors``, the waiting of blocked calls in
``waiting``. Import them all from ``veridian_ipc.model``.

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
- A **send** to a full port or ring (``Port.send``, ``Channel.send_wait``)
  enters the kernel with its timeout and is recorded as a blocked sender, as
  the spec's ``Send`` with a timeout is (PORT-SEND-BLOCK, CHAN-SEND-BLOCK);
  the thread parks until the kernel serves it in FIFO order or ends it with
  ``Timeout``, ``PortClosed``, ``InvalidCapability`` or ``NoSuchProcess``
  (``parking``). The facade's fast paths run what follows every operation
  (``kernel.settle``), so room they free serves blocked senders at once.
- The other waiting calls (a channel receive, the asyncio coroutines, a
  socket ``recv``) retry when woken (``waiting``): per object, a FIFO of
  waiting calls, of which only as many are woken as there are free slots
  (senders) or held messages (receivers); a close wakes all, a capability
  leaving its table wakes those waiting through it.

Timeouts are seconds: ``None`` or infinity wait forever, any finite timeout
``>= 0`` is a deadline (however far), anything else is refused before waiting
(``ValueError``, ``TypeError``).

Clock: ``System(clock="monotonic")`` (the default) drives the kernel's clock
from ``time.monotonic_ns`` in microsecond ticks, so deadlines and rate limits
run in real time; ``System(clock="logical")`` leaves the clock to
``System.advance_clock`` (deterministic tests, conformance).

Errors are ``IpcException`` (with the spec's ``IpcError`` as ``.error``),
raised as the subclass named after the error (``WouldBlock``, ``PortClosed``
...: ``model.errors``); the POSIX socket object raises ``OSError(errno,
strerror)`` instead (POSIX-ERRNO).
A process from several threads is fine: a blocked receive or send does not
block the process, only its thread.

Hot paths (``Port.send_nowait``/``receive_nowait``/``send``/``receive``,
``Channel.send_nowait``/``receive_nowait``/``send_batch``/``receive_batch``)
skip the operation record and ``Kernel.apply`` when the process is running
(PROC-STATUS) and every argument is well typed (ERR-TOTAL): they then call the
rule's own functions, which make every other check in the rule's order and
the effects (``ports.admit_send`` then ``commit_offer``,
``ports.admit_receive``, ``channels.push_one``, ``push_all``, ``pop_one``,
``pop_some``). Anything else goes through ``Kernel.apply``. A rule
is thus written once, and a fast path never answers differently from it; the
facade keeps only what is about threads and waiting.

**What the API guarantees about authority.** A ``Process`` object is a
process's authority here: only ``System.spawn`` makes one, and every handle
object (``Port``, ``Channel``, ``SharedBuffer``), ``Socket`` and ``Namespace``
is made by the facade for the process that holds it (a private construction
token is checked; ``__slots__`` and read-only ``process``/``pid``/``handle``/
``fd``). So through the API a process can act only as itself and with the
rights it holds, and every message carries its real sender (MSG-SENDER); the
holder of the ``System`` itself (its kernel, its lock) holds all authority. This
guards against misuse and forgery *through the API*; it is not isolation:
Python gives code in one interpreter no memory isolation (``object.__setattr__``
on private slots, ``gc`` or ``ctypes`` can always reach another process's
objects). Real isolation is the cross-process design's, where one trusted
owner of all authority (the kernel) serves processes that share no memory.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Literal

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import SEND

from .api_channels import Channel
from .api_handles import HANDLE_CLASSES, TOKEN, Handle, check_result
from .api_ports import Port
from .errors import exception_for
from .kernel import Kernel
from .parking import TICKS_PER_SECOND
from .sockets import errno_of
from .state import Buffer as KBuffer
from .state import Channel as KChannel
from .state import Message
from .state import Port as KPort
from .state import Process as KProcess
from .timeouts import advance_to
from .waiting import (
    DATA,
    TimedOut,
    check_timeout,
    deadline_of,
    wait_thread,
)


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
            now = check_result(self.kernel.apply(0, sc.AdvanceClock(ticks)), "advance")
        assert isinstance(now, int)
        return now

    # -- processes --------------------------------------------------------------

    def spawn(self, may_bind: bool = True, may_lookup: bool = True) -> Process:
        """A new process (PROC-SPAWN), with the namespace authority given
        (NS-BIND's ``may_bind``, NS-LOOKUP's ``may_lookup``)."""
        with self.lock:
            op = sc.Spawn(bool(may_bind), bool(may_lookup))
            pid = check_result(self.kernel.apply(0, op))
        assert isinstance(pid, int)
        return Process(self, pid, TOKEN)

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
        if token is not TOKEN:
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
        return check_result(self.system.apply(self.pid, op), what or type(op).__name__)

    def _wrap(self, handle: int) -> Handle:
        """The facade object for one of this process's handles."""
        cap = self._kp.handles.get(handle)
        if cap is None:  # gone already (revoked since delivery): a bare Handle
            return Handle(self, handle, TOKEN)
        return HANDLE_CLASSES[type(cap.obj)](self, handle, TOKEN)

    def kill(self) -> None:
        """The process ends (PROC-KILL); its blocked threads get NoSuchProcess."""
        with self.system.lock:
            check_result(self.system.kernel.apply(0, sc.Kill(self.pid)), "kill")

    def spawn_thread(self) -> Process:
        """A new thread of this process (PROC-THREAD): a ``Process`` object of
        its own pid that shares this process's handles, mappings, sockets and
        namespace authority, and blocks on its own (an OS thread that waits
        through it does not block this one). Killing any thread's object
        kills the whole process (PROC-KILL)."""
        with self.system.lock:
            op = sc.SpawnThread(self.pid)
            pid = check_result(self.system.kernel.apply(0, op), "spawn_thread")
        assert isinstance(pid, int)
        return Process(self.system, pid, TOKEN)

    def create_port(self, capacity: int = 64) -> Port:
        """A new port (PORT-CREATE) with every right."""
        h = self._do(sc.CreatePort(capacity))
        assert isinstance(h, int)
        return Port(self, h, TOKEN)

    def create_channel(self, capacity: int = 1024, max_message: int = 4096) -> Channel:
        """A new asynchronous channel (CHAN-CREATE)."""
        h = self._do(sc.CreateChannel(capacity, max_message))
        assert isinstance(h, int)
        return Channel(self, h, TOKEN)

    def create_buffer(self, size: int) -> SharedBuffer:
        """A new zero-filled shared buffer (BUF-CREATE)."""
        h = self._do(sc.CreateBuffer(size))
        assert isinstance(h, int)
        return SharedBuffer(self, h, TOKEN)

    def socket(self, capacity: int | None = None) -> Socket:
        """A new POSIX-style socket (POSIX-SOCKET)."""
        r = self.apply(sc.Socket(capacity))
        if type(r) is Err:
            raise _os_error(r.error)
        assert isinstance(r, Ok)
        assert isinstance(r.value, int)
        return Socket(self, r.value, TOKEN)

    @property
    def namespace(self) -> Namespace:
        """The namespace, as seen by this process."""
        return Namespace(self, TOKEN)

    def handle_object(self, handle: int) -> Handle:
        """The facade object (``Port``, ``Channel``, ``SharedBuffer``) for one
        of this process's live handles; ``InvalidCapability`` if it holds none
        under ``handle``."""
        with self.system.lock:
            if type(handle) is not int or handle not in self._kp.handles:
                raise exception_for(IpcError.InvalidCapability, f"handle {handle!r}")
            return self._wrap(handle)

    def handles(self) -> list[Handle]:
        """Facade objects for every handle this process holds."""
        with self.system.lock:
            return [self._wrap(h) for h in sorted(self._kp.handles)]


class Namespace:
    """Bind, lookup and typed connect (NS-*), on behalf of a process."""

    __slots__ = ("_proc",)

    def __init__(self, proc: Process, token: object = None) -> None:
        if token is not TOKEN:
            raise TypeError("Namespace objects are made by Process.namespace only")
        self._proc = proc

    def bind(
        self, name: str, port: Port, service_type: int = 0, rights: int = SEND
    ) -> None:
        """Publish ``port`` under ``name`` (NS-BIND; needs GRANT); lookups get
        ``rights``, SEND only unless more are asked for."""
        op = sc.Bind(port.handle, name, service_type, rights)
        self._proc._do(op, f"bind {name!r}")

    def unbind(self, name: str, port: Port) -> None:
        """Remove a binding by a MANAGE capability to its port (NS-UNBIND)."""
        self._proc._do(sc.Unbind(port.handle, name), f"unbind {name!r}")

    def lookup(self, name: str) -> Port:
        """A new handle to the port bound to ``name`` (NS-LOOKUP)."""
        h = self._proc._do(sc.Lookup(name), f"lookup {name!r}")
        assert isinstance(h, int)
        return Port(self._proc, h, TOKEN)

    def connect(self, name: str, service_type: int) -> Port:
        """Typed lookup (NS-CONNECT): ``TypeMismatch`` on another service type."""
        h = self._proc._do(sc.Connect(name, service_type), f"connect {name!r}")
        assert isinstance(h, int)
        return Port(self._proc, h, TOKEN)


class SharedBuffer(Handle):
    """A shared buffer capability: real memory, mapped without copies (BUF-*).

    Isolation: once a mapping ends, or the buffer is transferred, no view of
    its memory taken before, nor any view derived from one, reads or writes
    the memory its holders see from then on (see ``Mapping.view``).
    """

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
                raise exception_for(IpcError.InvalidCapability, "buffer")
            assert isinstance(cap.obj, KBuffer)
            return cap.obj.size

    def transfer(self, port: Port, msg_type: int = 0) -> None:
        """Give the buffer away in a message on ``port`` (BUF-TRANSFER): only
        the owner (the root capability) may; the mappings made through it end,
        their memoryviews are released and views derived from them no longer
        reach the memory, while capabilities derived from it, and their
        mappings, stay (the new owner may revoke them)."""
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

        Read-only for a read-only mapping. Every process that maps the buffer
        sees what is written through a view, and the reverse, while the mapping
        lives. When the mapping ends (unmap, drop, revoke, transfer, kill) the
        view is released (any later access raises ``ValueError``), and views
        derived from it (slices, ``memoryview(v)``, ``v.cast(...)``) that are
        still alive are cut off: the buffer's contents move to fresh memory,
        so nothing done through them is seen by the buffer's holders, and
        nothing they do is seen through them. Such a move also releases this
        buffer's other views; take new ones (model/memory.py). ``OutOfMemory``
        if the host cannot allocate the memory.
        """
        with self._sys.lock:
            m = self.process._kp.mappings.get(self.mapping)
            if m is None:
                raise exception_for(IpcError.InvalidCapability, "mapping")
            size = m.buf.size
            end = size if length is None else offset + length
            if not 0 <= offset <= end <= size:
                raise exception_for(IpcError.OutOfBounds, f"[{offset}, {end})")
            assert m.buf.mem is not None  # the mapping's capability holds it
            v = m.buf.mem.view(m, offset, end, not m.writable)
            if v is None:
                raise exception_for(IpcError.OutOfMemory, "buffer memory")
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
        if token is not TOKEN:
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
        """The data of the oldest datagram (POSIX-RECV); see ``recvmsg``."""
        return self.recvmsg(bufsize, timeout).data

    def recvmsg(self, bufsize: int, timeout: float | None = None) -> Message:
        """The oldest datagram (POSIX-RECV) with the handles it carried (the
        ``SCM_RIGHTS`` of ``recvmsg``); waits for one when blocking.

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
        d = r.value
        assert isinstance(d, Delivered)
        caps = tuple(None if h is None else self._process._wrap(h) for h in d.caps)
        return Message(d.sender, d.msg_type, d.flags, d.data, caps)

    def close(self) -> int:
        """Close the socket (POSIX-CLOSE); returns the datagrams discarded."""
        n = self._call(sc.SockClose(self.fd))
        assert isinstance(n, int)
        return n


HANDLE_CLASSES.update({KPort: Port, KChannel: Channel, KBuffer: SharedBuffer})

#: Defined here; ``veridian_ipc.model`` exports the whole public API.
__all__ = ["Mapping", "Namespace", "Process", "SharedBuffer", "Socket", "System"]
