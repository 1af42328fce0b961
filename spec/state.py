"""The state of the whole system: one immutable value (``KernelState``).

Everything an operation can observe or change is here, in frozen records and
persistent maps (``immutables.Map``, a hash array mapped trie): an operation
builds a new state that shares every untouched part with the old one, so a step
costs O(log n) and old states stay valid (the conformance checker keeps several).

*Objects* (``objects``): ports, channels and shared buffers, by ``ObjId``.

*Capabilities* (``caps``): every capability in the system is one node of the
derivation tree, by ``CapId``. A node records its object, its rights, its parent
and children (who was derived from whom) and **where it is held**: in a process's
handle table (``AtHandle``), in a message queued on a port (``InFlight``), in a
namespace binding (``InBinding``) or in a socket's file-descriptor entry
(``InSocket``). A capability is in exactly one place (INV-CAP-LOCATION): moving it
changes its location, never duplicates it.

*Processes* (``processes``): each record is a thread, with a status: running,
waiting in a receive, waiting in a send, or woken with an outcome to collect.
Threads form tasks (spec/tasks.py): a task's handle table (handle -> CapId),
buffer mappings and file descriptors are held by its first thread's record
and shared by all.

*Namespace* (``namespace``): name -> binding. *Clock*: the logical clock, moved
only by ``AdvanceClock``. Identifier counters (``next_*``) only grow: no
identifier is ever reused (INV-IDS-FRESH).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from immutables import Map

from veridian_ipc.vocabulary.names import CapId, Config, Fd, Handle, MapId, ObjId, Pid
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import ChannelSend, RateLimit, Send

from .storage import Chunks, NonZeroBytes, RingSlots


class Kind(StrEnum):
    """The kinds of kernel object a capability can name."""

    PORT = "port"
    CHANNEL = "channel"
    BUFFER = "buffer"


# -- where a capability is held -------------------------------------------------


@dataclass(frozen=True, slots=True)
class AtHandle:
    """In process ``pid``'s handle table, under ``handle``."""

    pid: Pid
    handle: Handle


@dataclass(frozen=True, slots=True)
class InFlight:
    """Carried by a message queued on port ``port``."""

    port: ObjId


@dataclass(frozen=True, slots=True)
class InBinding:
    """Held by the namespace binding of ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class InSocket:
    """Held by socket ``fd`` of process ``pid``: its own port, or its peer's."""

    pid: Pid
    fd: Fd
    peer: bool


Location = AtHandle | InFlight | InBinding | InSocket


@dataclass(frozen=True, slots=True)
class Cap:
    """One capability: a node of the derivation tree."""

    obj: ObjId
    kind: Kind
    rights: int
    parent: CapId | None
    children: frozenset[CapId]
    at: Location


# -- objects --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message waiting in a port's queue; its capabilities are in flight."""

    sender: Pid
    msg_type: int
    flags: int
    data: bytes
    caps: tuple[CapId | None, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """A port's message filter and its token bucket (seed "Message Filtering").

    ``allowed_types`` None admits every type; ``max_size`` None admits every
    size; ``rate`` None is no rate limit. ``tokens`` and ``stamp`` are the
    bucket's content as of tick ``stamp``.
    """

    allowed_types: frozenset[int] | None
    max_size: int | None
    rate: RateLimit | None
    tokens: int
    stamp: int


@dataclass(frozen=True, slots=True)
class Port:
    """A port: a bounded FIFO of messages, a FIFO of blocked receivers and a
    FIFO of blocked senders (PORT-SEND-BLOCK)."""

    capacity: int
    queue: tuple[QueuedMessage, ...] = ()
    waiters: tuple[Pid, ...] = ()
    closed: bool = False
    filter: Filter | None = None
    senders: tuple[Pid, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    """An asynchronous channel: a ring of ``capacity`` slots.

    ``read_idx`` and ``write_idx`` count messages ever received and sent (the
    seed's ``AtomicUsize`` indices); slot ``i % capacity`` holds message ``i``.
    ``held`` is the messages between the indices, oldest first: the ring costs
    what it holds, not its capacity (spec/storage.py); ``slots`` presents it as
    the ring of ``capacity`` slots.
    """

    capacity: int
    max_message: int
    held: tuple[bytes, ...] = ()
    read_idx: int = 0
    write_idx: int = 0
    closed: bool = False
    senders: tuple[Pid, ...] = ()  # blocked senders, FIFO (CHAN-SEND-BLOCK)

    @property
    def slots(self) -> RingSlots:
        """The ring's slots: message ``i`` in slot ``i % capacity``, else None."""
        return RingSlots(self.capacity, self.held, self.read_idx)


@dataclass(frozen=True, slots=True)
class Buffer:
    """A shared buffer of ``size`` bytes, stored in chunks (spec/storage.py).

    ``chunks`` maps chunk number -> its bytes; an all-zero chunk is absent, so a
    fresh buffer of any size costs nothing. ``contents`` presents the bytes as
    the map offset -> non-zero byte.
    """

    size: int
    chunks: Chunks = field(default_factory=Map)

    @property
    def contents(self) -> NonZeroBytes:
        """The map offset -> byte of the buffer's non-zero bytes."""
        return NonZeroBytes(self.chunks)


KernelObject = Port | Channel | Buffer


# -- processes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mapping:
    """A buffer mapped into a process through capability ``cap``."""

    buf: ObjId
    cap: CapId
    writable: bool


@dataclass(frozen=True, slots=True)
class Socket:
    """A POSIX socket: its own port's capability, its peer's, its bound name."""

    own: CapId
    peer: CapId | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Running:
    """The process can issue operations."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """Blocked in a receive on ``port`` through capability ``cap``."""

    port: ObjId
    cap: CapId
    deadline: int | None


@dataclass(frozen=True, slots=True)
class Sending:
    """Blocked in a send on port or channel ``obj`` through capability ``cap``
    (PORT-SEND-BLOCK, CHAN-SEND-BLOCK). ``op`` is the send, attempted again
    as issued once there is room; until then its message and the capabilities
    it carries stay with the sender (spec/blocking.py)."""

    obj: ObjId
    cap: CapId
    op: Send | ChannelSend
    deadline: int | None


@dataclass(frozen=True, slots=True)
class Woken:
    """Woken from a receive; ``Resume`` collects ``result``. ``handed`` is the
    port whose message a hand-off delivered (PORT-HANDOFF): the message keeps
    its slot there until collected, and goes back if the process dies first."""

    result: Result
    handed: ObjId | None = None


Status = Running | Waiting | Sending | Woken
RUNNING = Running()


@dataclass(frozen=True, slots=True)
class Process:
    """One thread, and if it is its task's first thread, the task's tables.

    ``status`` is the thread's own (PROC-STATUS). The handle table, mappings,
    file descriptors and namespace authority (NS-BIND, NS-LOOKUP, fixed at
    PROC-SPAWN) are the task's: they live on the first thread's record
    (``task`` None); another thread's record has ``task``, its first
    thread's pid, and empty tables never read (spec/tasks.py, PROC-THREAD)."""

    handles: Map[Handle, CapId] = field(default_factory=Map)
    next_handle: int = 1
    mappings: Map[MapId, Mapping] = field(default_factory=Map)
    next_mapping: int = 1
    fds: Map[Fd, Socket] = field(default_factory=Map)
    status: Status = RUNNING
    may_bind: bool = True
    may_lookup: bool = True
    task: Pid | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """A namespace binding: a capability (held by the namespace) and a type."""

    cap: CapId
    service_type: int


@dataclass(frozen=True, slots=True)
class KernelState:
    """The whole system."""

    config: Config
    clock: int = 0
    processes: Map[Pid, Process] = field(default_factory=Map)
    caps: Map[CapId, Cap] = field(default_factory=Map)
    objects: Map[ObjId, KernelObject] = field(default_factory=Map)
    namespace: Map[str, Binding] = field(default_factory=Map)
    next_pid: int = 1
    next_obj: int = 1
    next_cap: int = 1


def initial_state(processes: int = 2, config: Config | None = None) -> KernelState:
    """A fresh system: ``processes`` running processes (pids 1..n), nothing else."""
    procs: Map[Pid, Process] = Map({Pid(p): Process() for p in range(1, processes + 1)})
    return KernelState(
        config=config or Config(), processes=procs, next_pid=processes + 1
    )
