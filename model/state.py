"""The model's mutable state: objects, capabilities, processes, waiters.

The spec keeps one immutable value; the model keeps plain mutable records with
``__slots__`` and links them by reference, so every rule is O(1) on its hot path:

- A **capability** (``Cap``) is one node of the derivation tree (CAP-HANDLE,
  RIGHTS-DERIVE): it points at its object, its parent and its children (a set),
  and records where it is held (``where`` plus the fields that place needs). A
  handle table maps handle -> ``Cap``; a message holds its ``Cap`` objects; a
  binding and a socket entry hold theirs. Rights are an ``int`` bit mask.
- A **port** has a ``deque`` of ``Message`` (created on first use, so an idle
  port is small) and a ``deque`` of ``Waiter`` (PORT-RECEIVE, PORT-HANDOFF).
- A **channel** is a preallocated list ring with ``read_idx``/``write_idx``
  (CHAN-SEND, CHAN-RECEIVE).
- A **buffer** owns its ``Memory`` (model/memory.py): real memory, allocated
  on first write or view, a ``bytearray`` when small and an anonymous ``mmap``
  when large (BUF-CREATE).
- A **waiter** is one blocked receive. A process blocked by the operation
  interface (``Receive`` then ``Resume``) waits through its own ``Waiter``; the
  threaded facade parks one ``Waiter`` per blocked call, each with a ``notify``
  callback run (under the kernel lock) when it is woken.

Identifiers follow the spec's numbering: pids, object ids, handles and mapping
ids come from counters starting at 1 and are never reused (INV-IDS-FRESH); file
descriptors are the lowest free number (POSIX-SOCKET).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Result

from .memory import Memory

#: Object kinds, as the observation spells them.
PORT: Final = "port"
CHANNEL: Final = "channel"
BUFFER: Final = "buffer"

#: Where a capability is held (INV-CAP-LOCATION).
NOWHERE: Final = 0
AT_HANDLE: Final = 1
IN_FLIGHT: Final = 2
IN_BINDING: Final = 3
IN_SOCKET_OWN: Final = 4
IN_SOCKET_PEER: Final = 5

#: Process statuses (PROC-STATUS).
RUNNING: Final = 0
WAITING: Final = 1
WOKEN: Final = 2
SENDING: Final = 3  # blocked in a send (PORT-SEND-BLOCK, model/blocking.py)


class Cap:
    """One capability: a node of the derivation tree, held in exactly one place."""

    __slots__ = (
        "children",
        "handle",
        "mappings",
        "msg",
        "name",
        "obj",
        "parent",
        "port",
        "proc",
        "rights",
        "sock",
        "where",
    )

    def __init__(self, obj: KObject, rights: int, parent: Cap | None) -> None:
        self.obj: KObject = obj
        self.rights = rights
        self.parent = parent
        self.children: set[Cap] | None = None  # created on first derive
        self.where = NOWHERE
        self.proc: Process | None = None  # AT_HANDLE / IN_SOCKET_*
        self.handle = 0  # AT_HANDLE
        self.msg: Message | None = None  # IN_FLIGHT
        self.port: Port | None = None  # IN_FLIGHT: the port queueing ``msg``
        self.name: str | None = None  # IN_BINDING
        self.sock: SocketEntry | None = None  # IN_SOCKET_*
        self.mappings: list[int] | None = None  # mapping ids made through it


class Message(NamedTuple):
    """A synchronous message (MSG-LIMITS, MSG-SENDER).

    Queued on a port, ``caps`` is a list of the ``Cap`` nodes in flight (a slot
    becomes ``None`` when its capability is revoked, MSG-INFLIGHT-REVOKE) or
    ``()``. The facade hands the same record to a receiver when it carries no
    capabilities, and a copy with the receiver's handle objects otherwise.
    Built with ``tuple.__new__(Message, ...)`` on hot paths.
    """

    sender: int
    msg_type: int
    flags: int
    data: bytes
    caps: Any


class Filter:
    """A port's filter and its token bucket as of tick ``stamp`` (FILTER-SET)."""

    __slots__ = (
        "allowed_types",
        "burst",
        "max_size",
        "period",
        "refill",
        "stamp",
        "tokens",
    )

    def __init__(
        self,
        allowed_types: frozenset[int] | None,
        max_size: int | None,
        rate: tuple[int, int, int] | None,
        now: int,
    ) -> None:
        self.allowed_types = allowed_types
        self.max_size = max_size
        # burst 0 means "no rate limit"; a real rate has burst >= 1.
        self.burst, self.refill, self.period = rate if rate is not None else (0, 0, 0)
        self.tokens = self.burst
        self.stamp = now


class KObject:
    """Base of the kernel objects: an id and the set of capabilities naming it."""

    __slots__ = ("caps", "closed", "id", "senders", "watchers")
    kind: str = ""

    def __init__(self, obj_id: int) -> None:
        self.id = obj_id
        # Every capability naming the object (its reference count, and what
        # the cycle check walks: CAP-RECLAIM, model/reclaim.py); buffers'
        # ownership transfer destroys them all (BUF-TRANSFER), and a port's
        # last usable RECEIVE is looked for when one goes (PORT-CLOSE,
        # model/orphans.py).
        self.caps: set[Cap] | None = None
        self.closed = False
        # Callbacks run (under the kernel lock) after the object's state changed;
        # the facade uses them to wake threads and tasks waiting on a channel.
        self.watchers: list[Callable[[], None]] | None = None
        # Processes blocked sending to a port or a channel, FIFO
        # (PORT-SEND-BLOCK, CHAN-SEND-BLOCK: model/blocking.py).
        self.senders: deque[Waiter] | None = None


class Port(KObject):
    """A bounded FIFO of messages and a FIFO of blocked receivers (PORT-*)."""

    __slots__ = ("capacity", "filter", "handed", "queue", "waiters")
    kind = PORT

    def __init__(self, obj_id: int, capacity: int) -> None:
        super().__init__(obj_id)
        self.capacity = capacity
        self.queue: deque[Message] | None = None
        self.waiters: deque[Waiter] | None = None
        # messages handed off to a woken process and not yet collected: each
        # keeps its slot in the capacity (PORT-HANDOFF)
        self.handed = 0
        self.filter: Filter | None = None
        self.caps = set()


class Channel(KObject):
    """A ring of ``capacity`` slots; message ``i`` is in slot ``i % capacity``."""

    __slots__ = ("capacity", "max_message", "read_idx", "slots", "write_idx")
    kind = CHANNEL

    def __init__(self, obj_id: int, capacity: int, max_message: int) -> None:
        super().__init__(obj_id)
        self.capacity = capacity
        self.max_message = max_message
        self.slots: list[bytes | None] = [None] * capacity
        self.read_idx = 0
        self.write_idx = 0
        self.caps = set()


class Buffer(KObject):
    """A shared buffer: ``size`` zero bytes of real memory (BUF-CREATE).

    The memory is allocated on first write or view (model/memory.py), so
    creating a buffer of any allowed size costs nothing.
    """

    __slots__ = ("mem", "size")
    kind = BUFFER

    def __init__(self, obj_id: int, size: int) -> None:
        super().__init__(obj_id)
        self.size = size
        # None once no capability to the buffer is left: nothing can reach the
        # memory again; a view still alive keeps it for itself alone.
        self.mem: Memory | None = Memory(size)
        self.caps = set()


class Mapping:
    """A buffer mapped into a process through capability ``cap`` (BUF-MAP).

    The memoryviews the facade hands out for a mapping are tracked by the
    buffer's ``Memory`` under the mapping; when the mapping goes (BUF-UNMAP,
    CAP-DROP, RIGHTS-REVOKE, BUF-TRANSFER, PROC-KILL) ``end_mapping`` releases
    them and cuts off any view derived from them (model/memory.py).
    """

    __slots__ = ("buf", "cap", "writable")

    def __init__(self, buf: Buffer, cap: Cap, writable: bool) -> None:
        self.buf = buf
        self.cap = cap
        self.writable = writable


def end_mapping(m: Mapping) -> None:
    """Mapping ``m`` is gone: no view handed out for it reaches the buffer."""
    mem = m.buf.mem
    if mem is not None:
        mem.end(m)


class SocketEntry:
    """A POSIX socket: its own port's capability, its peer's, its bound name."""

    __slots__ = ("fd", "name", "own", "peer")

    def __init__(self, fd: int, own: Cap) -> None:
        self.fd = fd
        self.own = own
        self.peer: Cap | None = None
        self.name: str | None = None


class Binding:
    """A namespace binding: a capability held by the namespace, a service type."""

    __slots__ = ("cap", "service_type")

    def __init__(self, cap: Cap, service_type: int) -> None:
        self.cap = cap
        self.service_type = service_type


class Waiter:
    """One receive blocked on ``port`` through ``cap`` (PORT-RECEIVE).

    ``result`` is None until the receive ends (PORT-HANDOFF, TIME-DEADLINE,
    PORT-CLOSE, RIGHTS-REVOKE); ``notify``, if set, is called then.
    """

    __slots__ = (
        "cap",
        "deadline",
        "handed",
        "notify",
        "port",
        "proc",
        "raw",
        "result",
    )

    def __init__(
        self,
        proc: Process,
        port: Port,
        cap: Cap,
        deadline: int | None,
        notify: Callable[[], None] | None = None,
        raw: bool = False,
    ) -> None:
        self.proc = proc
        self.port: Port | None = port
        self.cap: Cap | None = cap
        self.deadline = deadline
        # The outcome. A ``raw`` waiter (the facade's) that is handed a message
        # without capabilities gets the queued ``Message`` itself.
        self.result: Result | Message | None = None
        self.notify = notify
        self.raw = raw
        # the port whose hand-off ``result`` is, until collected (PORT-HANDOFF)
        self.handed: Port | None = None


class Process:
    """A thread, and the tables of its task: handle table, mappings, sockets,
    namespace authority (PROC-*, spec/tasks.py).

    A task's first thread is the record ``Spawn`` makes (``task`` is itself;
    ``threads`` lists every thread of the task, the first first). Another
    thread (PROC-THREAD) shares the first's ``handles``, ``mappings`` and
    ``fds`` dictionaries and its authority; its ``status`` and ``waiter``
    are its own. The counters ``next_handle`` and ``next_mapping`` are read
    and written on ``task`` only, and a capability held in a table or a
    socket records the task's record (``Cap.proc``).
    """

    __slots__ = (
        "alive",
        "fds",
        "handles",
        "mappings",
        "may_bind",
        "may_lookup",
        "next_handle",
        "next_mapping",
        "pid",
        "status",
        "task",
        "threads",
        "waiter",
    )

    def __init__(
        self, pid: int, may_bind: bool = True, may_lookup: bool = True
    ) -> None:
        self.pid = pid
        self.alive = True
        self.may_bind = may_bind  # namespace authority (NS-BIND, NS-LOOKUP)
        self.may_lookup = may_lookup
        self.handles: dict[int, Cap] = {}
        self.next_handle = 1
        self.mappings: dict[int, Mapping] = {}
        self.next_mapping = 1
        self.fds: dict[int, SocketEntry] = {}
        self.status = RUNNING
        self.waiter: Waiter | None = None  # WAITING / WOKEN: the blocked receive
        self.task: Process = self  # the task's first thread (PROC-THREAD)
        self.threads: list[Process] = [self]  # on ``task``: every thread

    def new_thread(self, pid: int) -> Process:
        """A new running thread ``pid`` of this thread's task (PROC-THREAD)."""
        task = self.task
        t = Process(pid, task.may_bind, task.may_lookup)
        t.handles = task.handles
        t.mappings = task.mappings
        t.fds = task.fds
        t.task = task
        t.threads = task.threads
        task.threads.append(t)
        return t


class State:
    """Every table of the system and the identifier counters."""

    __slots__ = (
        "clock",
        "config",
        "namespace",
        "next_obj",
        "next_pid",
        "objects",
        "processes",
        "sending",
        "suspects",
        "timed",
    )

    def __init__(self, processes: int, config: Config | None) -> None:
        self.config = config if config is not None else Config()
        self.clock = 0
        self.processes: dict[int, Process] = {
            pid: Process(pid) for pid in range(1, processes + 1)
        }
        self.next_pid = processes + 1
        self.objects: dict[int, KObject] = {}
        self.next_obj = 1
        self.namespace: dict[str, Binding] = {}
        # Waiters with a deadline (TIME-DEADLINE), in arrival order.
        self.timed: dict[Waiter, None] = {}
        # Objects that lost a capability (destroyed, or moved into a message)
        # during the current operation: once it is complete, model/orphans.py
        # abandons the ports among them nobody can receive from (PORT-CLOSE)
        # and model/reclaim.py destroys those nobody can reach (CAP-RECLAIM).
        self.suspects: set[KObject] = set()
        # Ports and channels with blocked senders (model/blocking.py).
        self.sending: dict[KObject, None] = {}


__all__ = [
    "AT_HANDLE",
    "BUFFER",
    "CHANNEL",
    "IN_BINDING",
    "IN_FLIGHT",
    "IN_SOCKET_OWN",
    "IN_SOCKET_PEER",
    "NOWHERE",
    "PORT",
    "RUNNING",
    "SENDING",
    "WAITING",
    "WOKEN",
    "Binding",
    "Buffer",
    "Cap",
    "Channel",
    "Filter",
    "KObject",
    "Mapping",
    "Message",
    "Port",
    "Process",
    "SocketEntry",
    "State",
    "Waiter",
    "end_mapping",
]
