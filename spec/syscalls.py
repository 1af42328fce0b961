"""The operations: one frozen record per system call (the operation surface).

Every operation any implementation offers is one of these records; ``step``
(spec/step.py) applies any of them to any state. The record's class name is its
name on the wire (conformance protocol, traces, vectors). Fields are plain
values: ints, bytes, strings, tuples, so operations are easy to generate,
serialise and compare.

Most operations are issued by a process (``step(state, pid, op)``). Three are
*environment* operations, issued by the world around the processes, not by one of
them: ``Spawn`` (a process is created), ``Kill`` (a process dies) and
``AdvanceClock`` (time passes). They ignore ``pid``.

Handles, mapping ids and file descriptors in arguments are arbitrary ints: a
number that is not a live one of the caller gives ``InvalidCapability``, never an
exception (ERR-TOTAL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Token bucket parameters: ``burst`` tokens at most, ``refill`` tokens added
    every ``period`` ticks; each admitted message takes one token."""

    burst: int
    refill: int
    period: int


class Operation:
    """Base of every operation record."""

    __slots__ = ()
    environment: ClassVar[bool] = False


# -- environment ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spawn(Operation):
    """Create a new, empty, running process (PROC-SPAWN)."""

    environment: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Kill(Operation):
    """Process ``target`` ends (PROC-KILL)."""

    environment: ClassVar[bool] = True
    target: int


@dataclass(frozen=True, slots=True)
class AdvanceClock(Operation):
    """The logical clock moves forward by ``ticks`` (TIME-ADVANCE)."""

    environment: ClassVar[bool] = True
    ticks: int


# -- capabilities -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inspect(Operation):
    """Kind and rights of a handle (CAP-INSPECT)."""

    handle: int


@dataclass(frozen=True, slots=True)
class Drop(Operation):
    """Remove one handle from the caller's table (CAP-DROP)."""

    handle: int


@dataclass(frozen=True, slots=True)
class Derive(Operation):
    """A new handle to the same object with a subset of the rights (RIGHTS-DERIVE)."""

    handle: int
    rights: int


@dataclass(frozen=True, slots=True)
class Revoke(Operation):
    """Invalidate every capability derived from this one (RIGHTS-REVOKE)."""

    handle: int


# -- ports and messages -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePort(Operation):
    """A new port with a queue of ``capacity`` messages (PORT-CREATE)."""

    capacity: int


@dataclass(frozen=True, slots=True)
class Send(Operation):
    """Send a synchronous message on a port (PORT-SEND)."""

    handle: int
    msg_type: int
    flags: int
    data: bytes
    caps: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Receive(Operation):
    """Receive from a port; ``timeout`` None waits forever, 0 never waits
    (try-receive), n > 0 waits at most n ticks (PORT-RECEIVE)."""

    handle: int
    timeout: int | None = 0


@dataclass(frozen=True, slots=True)
class Resume(Operation):
    """Collect the outcome of a receive that blocked (PORT-RESUME)."""


@dataclass(frozen=True, slots=True)
class Close(Operation):
    """Close a port or a channel (PORT-CLOSE, CHAN-CLOSE)."""

    handle: int


@dataclass(frozen=True, slots=True)
class SetFilter(Operation):
    """Set (or, with every field None, clear) a port's filter (FILTER-SET)."""

    handle: int
    allowed_types: frozenset[int] | None = None
    max_size: int | None = None
    rate: RateLimit | None = None


# -- namespace ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bind(Operation):
    """Bind a well-known name to a port capability (NS-BIND)."""

    handle: int
    name: str
    service_type: int = 0


@dataclass(frozen=True, slots=True)
class Unbind(Operation):
    """Remove a binding, by authority of a MANAGE capability (NS-UNBIND)."""

    handle: int
    name: str


@dataclass(frozen=True, slots=True)
class Lookup(Operation):
    """A new handle to the port bound to ``name`` (NS-LOOKUP)."""

    name: str


@dataclass(frozen=True, slots=True)
class Connect(Operation):
    """Lookup that also checks the binding's service type (NS-CONNECT)."""

    name: str
    service_type: int


# -- asynchronous channels ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateChannel(Operation):
    """A ring of ``capacity`` slots of ``max_message`` bytes (CHAN-CREATE)."""

    capacity: int
    max_message: int


@dataclass(frozen=True, slots=True)
class ChannelSend(Operation):
    """Append one message to a channel's ring (CHAN-SEND)."""

    handle: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ChannelSendBatch(Operation):
    """Append several messages as one step, all or nothing (CHAN-SEND-BATCH)."""

    handle: int
    items: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ChannelReceive(Operation):
    """Take the oldest message of a channel (CHAN-RECEIVE)."""

    handle: int


@dataclass(frozen=True, slots=True)
class ChannelReceiveBatch(Operation):
    """Take up to ``max_count`` oldest messages (CHAN-RECEIVE-BATCH)."""

    handle: int
    max_count: int


# -- zero-copy shared buffers -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateBuffer(Operation):
    """A new zero-filled shared buffer of ``size`` bytes (BUF-CREATE)."""

    size: int


@dataclass(frozen=True, slots=True)
class MapBuffer(Operation):
    """Map a buffer into the caller, read-only or writable (BUF-MAP)."""

    handle: int
    writable: bool


@dataclass(frozen=True, slots=True)
class Unmap(Operation):
    """Remove a mapping (BUF-UNMAP)."""

    mapping: int


@dataclass(frozen=True, slots=True)
class ReadBuffer(Operation):
    """Read ``length`` bytes at ``offset`` through a mapping (BUF-READ)."""

    mapping: int
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class WriteBuffer(Operation):
    """Write ``data`` at ``offset`` through a writable mapping (BUF-WRITE)."""

    mapping: int
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TransferBuffer(Operation):
    """Give a buffer's ownership away in a message on ``port`` (BUF-TRANSFER)."""

    handle: int
    port: int
    msg_type: int = 0


# -- POSIX layer --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Socket(Operation):
    """``socket()``: a new socket over a new port (POSIX-SOCKET)."""

    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class SockBind(Operation):
    """``bind()``: publish the socket's port under ``name`` (POSIX-BIND)."""

    fd: int
    name: str


@dataclass(frozen=True, slots=True)
class SockConnect(Operation):
    """``connect()``: make the port bound to ``name`` the peer (POSIX-CONNECT)."""

    fd: int
    name: str


@dataclass(frozen=True, slots=True)
class SockSend(Operation):
    """``send()``: a message to the peer (POSIX-SEND)."""

    fd: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SockRecv(Operation):
    """``recv()``: the oldest message on the socket's port (POSIX-RECV)."""

    fd: int
    bufsize: int


@dataclass(frozen=True, slots=True)
class SockClose(Operation):
    """``close()``: the socket ends (POSIX-CLOSE)."""

    fd: int


Op = (
    Spawn
    | Kill
    | AdvanceClock
    | Inspect
    | Drop
    | Derive
    | Revoke
    | CreatePort
    | Send
    | Receive
    | Resume
    | Close
    | SetFilter
    | Bind
    | Unbind
    | Lookup
    | Connect
    | CreateChannel
    | ChannelSend
    | ChannelSendBatch
    | ChannelReceive
    | ChannelReceiveBatch
    | CreateBuffer
    | MapBuffer
    | Unmap
    | ReadBuffer
    | WriteBuffer
    | TransferBuffer
    | Socket
    | SockBind
    | SockConnect
    | SockSend
    | SockRecv
    | SockClose
)

#: Every operation class, in the order above; the wire name is ``cls.__name__``.
OPERATIONS: tuple[type[Operation], ...] = tuple(Op.__args__)
OPERATIONS_BY_NAME: dict[str, type[Operation]] = {c.__name__: c for c in OPERATIONS}
