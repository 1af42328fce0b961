"""The operations: one frozen record per system call (the operation surface).

Every operation any implementation offers is one of these records; ``step``
(spec/step.py) applies any of them to any state. The record's class name is its
name on the wire (conformance protocol, traces, vectors). Fields are plain
values: ints, bytes, strings, tuples, so operations are easy to generate,
serialise and compare.

Each record is described once, here: its ``@operation(...)`` decorator gives
its feature group, its rule, the other rules it always exercises and what it
returns; its field annotations give each field's type, and mark the fields
holding implementation-chosen numbers (``HandleRef``, ``MapRef``, ``PidRef``; see
vocabulary/operations.py). Everything else that lists operations is derived from
this registry or checked against it.

Most operations are issued by a process (``step(state, pid, op)``). Four are
*environment* operations, issued by the world around the processes, not by one of
them: ``Spawn`` (a process is created), ``SpawnThread`` (a process gains a
thread), ``Kill`` (a process dies) and ``AdvanceClock`` (time passes). They
ignore ``pid``.

Handles, mapping ids and file descriptors in arguments are arbitrary ints: a
number that is not a live one of the caller gives ``InvalidCapability``, never an
exception (ERR-TOTAL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .ids import RuleId as R
from .names import CONFIG_BOUNDS, MAX_FLAGS, MAX_INLINE_DATA, MAX_MESSAGE_CAPS, MAX_U32
from .operations import (
    OP_SPECS,
    Domain,
    HandleRef,
    MapRef,
    PidRef,
    check_registered,
    operation,
)
from .operations import Operation as Operation
from .results import Blocked, CapInfo, Delivered
from .rights import ALL_RIGHTS, SEND

# -- field domains (declared once; the reference and the JSON schema read them) --

_B = CONFIG_BOUNDS


def _u32(error: str) -> Domain:
    return Domain(f"0..2**32-1; else {error}", minimum=0, maximum=MAX_U32)


def _positive(limit: str, bound: int) -> Domain:
    return Domain(
        f"1..Config.{limit}; below 1: InvalidArgument; above: OutOfMemory",
        minimum=1,
        maximum=bound,
    )


FD = Domain("any int; not an open fd of the caller: InvalidCapability (EBADF)")
NAME = Domain(
    "1..Config.max_name_length UTF-8 bytes, no NUL; else InvalidArgument",
    min_length=1,
    max_length=_B["max_name_length"],
)
INLINE = Domain(
    f"at most {MAX_INLINE_DATA} bytes; longer: MessageTooLarge",
    max_bytes=MAX_INLINE_DATA,
)
SEND_TIMEOUT = Domain(
    "0 (never wait: the full error), None (wait forever) or ticks > 0;"
    " negative: InvalidArgument",
    minimum=0,
)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Token bucket parameters: ``burst`` tokens at most, ``refill`` tokens added
    every ``period`` ticks; each admitted message takes one token."""

    burst: int
    refill: int
    period: int


# -- environment ----------------------------------------------------------------


@operation(group="caps", rule=R.PROC_SPAWN, returns=PidRef)
@dataclass(frozen=True, slots=True)
class Spawn(Operation):
    """Create a new, empty, running process (PROC-SPAWN); ``may_bind`` and
    ``may_lookup`` give it the namespace authority of NS-BIND / NS-LOOKUP."""

    environment: ClassVar[bool] = True
    may_bind: bool = True
    may_lookup: bool = True


@operation(group="caps", rule=R.PROC_KILL)
@dataclass(frozen=True, slots=True)
class Kill(Operation):
    """Process ``target`` ends (PROC-KILL)."""

    environment: ClassVar[bool] = True
    target: PidRef


@operation(
    group="timeouts",
    rule=R.TIME_ADVANCE,
    also=(R.TIME_DEADLINE,),
    returns=int,
    domains={"ticks": Domain("0 or more; negative: InvalidArgument", minimum=0)},
)
@dataclass(frozen=True, slots=True)
class AdvanceClock(Operation):
    """The logical clock moves forward by ``ticks`` (TIME-ADVANCE)."""

    environment: ClassVar[bool] = True
    ticks: int


# -- capabilities -----------------------------------------------------------------


@operation(group="caps", rule=R.CAP_INSPECT, also=(R.CAP_HANDLE,), returns=CapInfo)
@dataclass(frozen=True, slots=True)
class Inspect(Operation):
    """Kind and rights of a handle (CAP-INSPECT)."""

    handle: HandleRef


@operation(group="caps", rule=R.CAP_DROP, also=(R.CAP_HANDLE, R.CAP_RECLAIM))
@dataclass(frozen=True, slots=True)
class Drop(Operation):
    """Remove one handle from the caller's table (CAP-DROP)."""

    handle: HandleRef


@operation(
    group="rights",
    rule=R.RIGHTS_DERIVE,
    also=(R.CAP_HANDLE, R.RIGHTS_BITS),
    returns=HandleRef,
    domains={
        "rights": Domain(
            "a mask of the six rights bits; another bit: InvalidArgument;"
            " not a subset of the handle's rights: InsufficientRights",
            minimum=0,
            maximum=ALL_RIGHTS,
        )
    },
)
@dataclass(frozen=True, slots=True)
class Derive(Operation):
    """A new handle to the same object with a subset of the rights (RIGHTS-DERIVE)."""

    handle: HandleRef
    rights: int


@operation(group="rights", rule=R.RIGHTS_REVOKE, also=(R.CAP_HANDLE,), returns=int)
@dataclass(frozen=True, slots=True)
class Revoke(Operation):
    """Invalidate every capability derived from this one (RIGHTS-REVOKE)."""

    handle: HandleRef


# -- ports and messages -----------------------------------------------------------


@operation(
    group="ports",
    rule=R.PORT_CREATE,
    returns=HandleRef,
    domains={"capacity": _positive("max_port_capacity", _B["max_port_capacity"])},
)
@dataclass(frozen=True, slots=True)
class CreatePort(Operation):
    """A new port with a queue of ``capacity`` messages (PORT-CREATE)."""

    capacity: int


@operation(
    group="ports",
    rule=R.PORT_SEND,
    also=(
        R.MSG_LIMITS,
        R.MSG_TRANSFER,
        R.MSG_SENDER,
        R.RIGHTS_REQUIRED,
        R.PORT_SEND_BLOCK,
    ),
    returns=None | Blocked,
    domains={
        "msg_type": _u32("InvalidMessage"),
        "flags": Domain(
            "0..2**16-1; else InvalidMessage", minimum=0, maximum=MAX_FLAGS
        ),
        "data": INLINE,
        "caps": Domain(
            f"at most {MAX_MESSAGE_CAPS} live handles of the caller with GRANT;"
            " more: InvalidMessage; not live: InvalidCapability;"
            " without GRANT: InsufficientRights",
            max_items=MAX_MESSAGE_CAPS,
        ),
        "timeout": SEND_TIMEOUT,
    },
)
@dataclass(frozen=True, slots=True)
class Send(Operation):
    """Send a synchronous message on a port (PORT-SEND); to a full port,
    ``timeout`` 0 fails with ``PortFull``, None waits forever, n > 0 waits at
    most n ticks (PORT-SEND-BLOCK)."""

    handle: HandleRef
    msg_type: int
    flags: int
    data: bytes
    caps: tuple[HandleRef, ...] = ()
    timeout: int | None = 0


@operation(
    group="ports",
    rule=R.PORT_RECEIVE,
    also=(R.MSG_INFLIGHT_REVOKE, R.RIGHTS_REQUIRED),
    returns=Delivered | Blocked,
    domains={
        "timeout": Domain(
            "None (wait forever), 0 (never wait) or ticks > 0;"
            " negative: InvalidArgument",
            minimum=0,
        )
    },
)
@dataclass(frozen=True, slots=True)
class Receive(Operation):
    """Receive from a port; ``timeout`` None waits forever, 0 never waits
    (try-receive), n > 0 waits at most n ticks (PORT-RECEIVE)."""

    handle: HandleRef
    timeout: int | None = 0


@operation(group="ports", rule=R.PORT_RESUME, returns=Delivered | None)
@dataclass(frozen=True, slots=True)
class Resume(Operation):
    """Collect the outcome of a receive that blocked (PORT-RESUME)."""


@operation(group="ports", rule=None, also=(R.RIGHTS_REQUIRED,), returns=int)
@dataclass(frozen=True, slots=True)
class Close(Operation):
    """Close a port or a channel (PORT-CLOSE, CHAN-CLOSE)."""

    handle: HandleRef


@operation(
    group="filters",
    rule=R.FILTER_SET,
    also=(R.RIGHTS_REQUIRED,),
    domains={
        "allowed_types": Domain(
            "types in 0..2**32-1; else InvalidArgument",
            items=Domain("a type", minimum=0, maximum=MAX_U32),
        ),
        "max_size": Domain(
            f"0..{MAX_INLINE_DATA}; else InvalidArgument",
            minimum=0,
            maximum=MAX_INLINE_DATA,
        ),
        "rate": Domain("burst, refill and period each 1 or more; else InvalidArgument"),
    },
)
@dataclass(frozen=True, slots=True)
class SetFilter(Operation):
    """Set (or, with every field None, clear) a port's filter (FILTER-SET)."""

    handle: HandleRef
    allowed_types: frozenset[int] | None = None
    max_size: int | None = None
    rate: RateLimit | None = None


# -- namespace ----------------------------------------------------------------------


@operation(
    group="namespace",
    rule=R.NS_BIND,
    also=(R.RIGHTS_REQUIRED,),
    domains={
        "name": NAME,
        "service_type": _u32("InvalidArgument"),
        "rights": Domain(
            "the rights a lookup gets (default SEND); a bit outside the six"
            " rights: InvalidArgument; not a subset of the handle's rights:"
            " InsufficientRights",
            minimum=0,
            maximum=ALL_RIGHTS,
        ),
    },
)
@dataclass(frozen=True, slots=True)
class Bind(Operation):
    """Bind a well-known name to a port capability, publishing ``rights``
    (NS-BIND)."""

    handle: HandleRef
    name: str
    service_type: int = 0
    rights: int = SEND


@operation(
    group="namespace",
    rule=R.NS_UNBIND,
    domains={"name": Domain("any str; not bound: PortNotFound")},
)
@dataclass(frozen=True, slots=True)
class Unbind(Operation):
    """Remove a binding, by authority of a MANAGE capability (NS-UNBIND)."""

    handle: HandleRef
    name: str


@operation(
    group="namespace",
    rule=R.NS_LOOKUP,
    returns=HandleRef,
    domains={"name": NAME},
)
@dataclass(frozen=True, slots=True)
class Lookup(Operation):
    """A new handle to the port bound to ``name`` (NS-LOOKUP)."""

    name: str


@operation(
    group="namespace",
    rule=R.NS_CONNECT,
    returns=HandleRef,
    domains={"name": NAME, "service_type": _u32("InvalidArgument")},
)
@dataclass(frozen=True, slots=True)
class Connect(Operation):
    """Lookup that also checks the binding's service type (NS-CONNECT)."""

    name: str
    service_type: int


# -- asynchronous channels ----------------------------------------------------------


@operation(
    group="channels",
    rule=R.CHAN_CREATE,
    returns=HandleRef,
    domains={
        "capacity": _positive("max_channel_capacity", _B["max_channel_capacity"]),
        "max_message": _positive("max_channel_message", _B["max_channel_message"]),
    },
)
@dataclass(frozen=True, slots=True)
class CreateChannel(Operation):
    """A ring of ``capacity`` slots of ``max_message`` bytes (CHAN-CREATE)."""

    capacity: int
    max_message: int


@operation(
    group="channels",
    rule=R.CHAN_SEND,
    also=(R.RIGHTS_REQUIRED, R.CHAN_SEND_BLOCK),
    returns=None | Blocked,
    domains={
        "data": Domain(
            "at most the channel's max_message bytes; longer: MessageTooLarge"
        ),
        "timeout": SEND_TIMEOUT,
    },
)
@dataclass(frozen=True, slots=True)
class ChannelSend(Operation):
    """Append one message to a channel's ring (CHAN-SEND); to a full ring,
    ``timeout`` 0 fails with ``WouldBlock``, None waits forever, n > 0 waits
    at most n ticks (CHAN-SEND-BLOCK)."""

    handle: HandleRef
    data: bytes
    timeout: int | None = 0


@operation(
    group="channels",
    rule=R.CHAN_SEND_BATCH,
    also=(R.RIGHTS_REQUIRED,),
    returns=int,
    domains={
        "items": Domain(
            "1 or more messages of at most max_message bytes each;"
            " empty: InvalidArgument; longer: MessageTooLarge",
            min_items=1,
            items=Domain("a message", max_bytes=_B["max_channel_message"]),
        )
    },
)
@dataclass(frozen=True, slots=True)
class ChannelSendBatch(Operation):
    """Append several messages as one step, all or nothing (CHAN-SEND-BATCH)."""

    handle: HandleRef
    items: tuple[bytes, ...]


@operation(
    group="channels", rule=R.CHAN_RECEIVE, also=(R.RIGHTS_REQUIRED,), returns=bytes
)
@dataclass(frozen=True, slots=True)
class ChannelReceive(Operation):
    """Take the oldest message of a channel (CHAN-RECEIVE)."""

    handle: HandleRef


@operation(
    group="channels",
    rule=R.CHAN_RECEIVE_BATCH,
    also=(R.RIGHTS_REQUIRED,),
    returns=tuple[bytes, ...],
    domains={"max_count": Domain("1 or more; else InvalidArgument", minimum=1)},
)
@dataclass(frozen=True, slots=True)
class ChannelReceiveBatch(Operation):
    """Take up to ``max_count`` oldest messages (CHAN-RECEIVE-BATCH)."""

    handle: HandleRef
    max_count: int


# -- zero-copy shared buffers -------------------------------------------------------


@operation(
    group="buffers",
    rule=R.BUF_CREATE,
    returns=HandleRef,
    domains={"size": _positive("max_buffer_size", _B["max_buffer_size"])},
)
@dataclass(frozen=True, slots=True)
class CreateBuffer(Operation):
    """A new zero-filled shared buffer of ``size`` bytes (BUF-CREATE)."""

    size: int


@operation(group="buffers", rule=R.BUF_MAP, returns=MapRef)
@dataclass(frozen=True, slots=True)
class MapBuffer(Operation):
    """Map a buffer into the caller, read-only or writable (BUF-MAP)."""

    handle: HandleRef
    writable: bool


@operation(group="buffers", rule=R.BUF_UNMAP)
@dataclass(frozen=True, slots=True)
class Unmap(Operation):
    """Remove a mapping (BUF-UNMAP)."""

    mapping: MapRef


@operation(
    group="buffers",
    rule=R.BUF_READ,
    returns=bytes,
    domains={
        "offset": Domain("0..size; else OutOfBounds", minimum=0),
        "length": Domain(
            "0..Config.max_io, within the buffer; negative or above max_io:"
            " InvalidArgument; past the end: OutOfBounds",
            minimum=0,
            maximum=_B["max_io"],
        ),
    },
)
@dataclass(frozen=True, slots=True)
class ReadBuffer(Operation):
    """Read ``length`` bytes at ``offset`` through a mapping (BUF-READ)."""

    mapping: MapRef
    offset: int
    length: int


@operation(
    group="buffers",
    rule=R.BUF_WRITE,
    domains={
        "offset": Domain("0..size; else OutOfBounds", minimum=0),
        "data": Domain(
            "at most Config.max_io bytes, within the buffer; longer:"
            " InvalidArgument; past the end: OutOfBounds",
            max_bytes=_B["max_io"],
        ),
    },
)
@dataclass(frozen=True, slots=True)
class WriteBuffer(Operation):
    """Write ``data`` at ``offset`` through a writable mapping (BUF-WRITE)."""

    mapping: MapRef
    offset: int
    data: bytes


@operation(
    group="buffers",
    rule=R.BUF_TRANSFER,
    also=(R.MSG_LIMITS, R.MSG_SENDER, R.RIGHTS_REQUIRED),
    domains={"msg_type": _u32("InvalidMessage")},
)
@dataclass(frozen=True, slots=True)
class TransferBuffer(Operation):
    """Give a buffer's ownership away in a message on ``port`` (BUF-TRANSFER)."""

    handle: HandleRef
    port: HandleRef
    msg_type: int = 0


# -- POSIX layer --------------------------------------------------------------------


@operation(
    group="posix",
    rule=R.POSIX_SOCKET,
    returns=int,
    domains={
        "capacity": Domain(
            "None (Config.default_socket_capacity) or 1..Config.max_port_capacity;"
            " below 1: InvalidArgument; above: OutOfMemory",
            minimum=1,
            maximum=_B["max_port_capacity"],
        )
    },
)
@dataclass(frozen=True, slots=True)
class Socket(Operation):
    """``socket()``: a new socket over a new port (POSIX-SOCKET)."""

    capacity: int | None = None


@operation(
    group="posix",
    rule=R.POSIX_BIND,
    domains={"fd": FD, "name": NAME},
)
@dataclass(frozen=True, slots=True)
class SockBind(Operation):
    """``bind()``: publish the socket's port under ``name`` (POSIX-BIND)."""

    fd: int
    name: str


@operation(
    group="posix",
    rule=R.POSIX_CONNECT,
    domains={"fd": FD, "name": NAME},
)
@dataclass(frozen=True, slots=True)
class SockConnect(Operation):
    """``connect()``: make the port bound to ``name`` the peer (POSIX-CONNECT)."""

    fd: int
    name: str


@operation(
    group="posix",
    rule=R.POSIX_SEND,
    also=(R.MSG_LIMITS, R.MSG_SENDER),
    returns=int,
    domains={"fd": FD, "data": INLINE},
)
@dataclass(frozen=True, slots=True)
class SockSend(Operation):
    """``send()``: a message to the peer (POSIX-SEND)."""

    fd: int
    data: bytes


@operation(
    group="posix",
    rule=R.POSIX_RECV,
    also=(R.MSG_INFLIGHT_REVOKE,),
    returns=Delivered,
    domains={
        "fd": FD,
        "bufsize": Domain("0 or more; negative: InvalidArgument", minimum=0),
    },
)
@dataclass(frozen=True, slots=True)
class SockRecv(Operation):
    """``recv()``: the oldest message on the socket's port (POSIX-RECV)."""

    fd: int
    bufsize: int


@operation(
    group="posix",
    rule=R.POSIX_CLOSE,
    returns=int,
    domains={"fd": FD},
)
@dataclass(frozen=True, slots=True)
class SockClose(Operation):
    """``close()``: the socket ends (POSIX-CLOSE)."""

    fd: int


# -- threads (an environment operation, registered last: PROC-THREAD) ----------


@operation(group="caps", rule=R.PROC_THREAD, returns=PidRef)
@dataclass(frozen=True, slots=True)
class SpawnThread(Operation):
    """Create a new running thread in the task of ``process`` (PROC-THREAD):
    it shares that task's handle table, mappings, sockets and namespace
    authority, and blocks on its own."""

    environment: ClassVar[bool] = True
    process: PidRef


check_registered(globals())  # a record without its decorator fails here, by name

#: Every operation class, in the order above; the wire name is ``cls.__name__``.
OPERATIONS: tuple[type[Operation], ...] = tuple(spec.cls for spec in OP_SPECS)
OPERATIONS_BY_NAME: dict[str, type[Operation]] = {c.__name__: c for c in OPERATIONS}
