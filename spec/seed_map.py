"""The seed's calls mapped to the spec's operations (documentation only).

The seed (``ipc-design.md``) shows its API in code blocks; the spec has one
operation record per system call (vocabulary/syscalls.py). ``SEED_CALLS``
states, for each call of the seed, which operation or sequence of operations
it is, with which arguments; ``SECTIONS`` lists, for each heading of the seed,
the rules that define what it describes. What the spec deliberately leaves
out of the seed, or does differently, is in ``seed_register``. Nothing here is
executed by ``step``; tests check that every operation named exists in the
registry and every heading is accounted for.

Receiving, and the default timeout. The seed's ``port_receive(port)``
*blocks until a message is available*; its ``port_receive_timeout`` loops on
``port_try_receive`` until a deadline and then fails with ``Timeout``. In the
spec the three are one operation, ``Receive(handle, timeout)``:

- ``timeout=None``: wait with no deadline (the seed's ``port_receive``). If a
  message is queued it is returned at once (``Delivered``); otherwise the
  result is ``BLOCKED`` and the process issues only ``Resume``, which returns
  the message that a later send hands off (PORT-HANDOFF), or ``PortClosed``
  when the port is closed, or ``InvalidCapability`` when the capability is
  revoked (PORT-RESUME).
- ``timeout=t`` with ``t > 0``: the same, with the deadline ``clock + t``
  (the seed's ``port_receive_timeout``). When the clock reaches the deadline
  first, ``Resume`` returns ``Timeout`` (TIME-DEADLINE).
- ``timeout=0``: never wait (the seed's ``port_try_receive``): an empty port
  gives ``WouldBlock``, where the seed's ``port_try_receive`` gives ``None``.

The record's default is ``timeout=0`` (``Receive(h)`` polls), although the
seed's plain ``port_receive`` blocks. Decision: keep the default, and map the
seed's blocking receive to ``Receive(h, None)`` explicitly. The reasons: a
default that blocks would let a forgotten argument leave a process waiting
forever, while a poll fails visibly (``WouldBlock``); the default is part of
the contract (the conformance protocol lets a request leave ``timeout`` out,
meaning 0, conformance/OPERATIONS.md), so changing it would silently change
what existing callers do; and the kernels the spec follows separate the two
as well (seL4 has ``seL4_Recv`` and ``seL4_NBRecv``; Zircon's
``zx_channel_read`` never waits, waiting is ``zx_object_wait_one``).

The seed has no call/reply pair (no ``call`` or ``reply`` in its code); a
client that wants a reply sends a port capability (with GRANT) in its request
and receives on that port.
"""

from __future__ import annotations

from dataclasses import dataclass

from veridian_ipc.vocabulary.ids import RuleId as R


@dataclass(frozen=True, slots=True)
class SeedCall:
    """One call of the seed's code and the spec operations it is."""

    section: str
    call: str
    operations: tuple[str, ...]
    how: str


SEED_CALLS: tuple[SeedCall, ...] = (
    SeedCall(
        "Three-Layer Design",
        "port_send",
        ("Send",),
        "the native layer's send; see Synchronous Message Passing",
    ),
    SeedCall(
        "Three-Layer Design",
        "channel_receive",
        ("ChannelReceive", "ChannelReceiveBatch"),
        "ChannelReceive(handle): the oldest message, or WouldBlock when empty",
    ),
    SeedCall(
        "Synchronous Message Passing",
        "port_send",
        ("Send",),
        "Send(handle, msg_type, flags, data, caps): data up to 64 bytes, up to"
        " 4 capabilities moved with the message; the sender is stamped by the"
        " system (MSG-SENDER). A full port is PortFull with timeout 0 (the"
        " default); with another timeout the sender blocks (PORT-SEND-BLOCK)"
        " and Resume collects the outcome",
    ),
    SeedCall(
        "Synchronous Message Passing",
        "port_receive",
        ("Receive", "Resume"),
        "Receive(handle, None): blocks until a message arrives; Resume()"
        " collects it (or PortClosed, InvalidCapability)",
    ),
    SeedCall(
        "Asynchronous Channels",
        "Channel::send",
        ("ChannelSend",),
        "ChannelSend(handle, data, None): waits for a free slot, as the seed's"
        " send does (CHAN-SEND-BLOCK; Resume collects the outcome); with"
        " timeout 0, the default, a full ring is WouldBlock",
    ),
    SeedCall(
        "Zero-Copy Shared Memory",
        "SharedBuffer::create",
        ("CreateBuffer",),
        "CreateBuffer(size); the seed's 1 MiB is within Config.max_buffer_size",
    ),
    SeedCall(
        "Zero-Copy Shared Memory",
        "map_shared",
        ("MapBuffer", "ReadBuffer", "WriteBuffer", "Unmap"),
        "MapBuffer(handle, writable) gives a mapping id (the spec's stand-in"
        " for an address); ReadBuffer/WriteBuffer access memory through it",
    ),
    SeedCall(
        "Zero-Copy Shared Memory",
        "transfer_buffer",
        ("TransferBuffer",),
        "TransferBuffer(handle, port, msg_type): the receiver is whoever"
        " receives on that port; every other capability to the buffer ends",
    ),
    SeedCall(
        "Port Creation and Binding",
        "Port::create",
        ("CreatePort",),
        "CreatePort(capacity): the queue's capacity is an argument",
    ),
    SeedCall(
        "Port Creation and Binding",
        "namespace.bind",
        ("Bind",),
        "Bind(handle, name, service_type, rights): needs the caller's may_bind"
        " and GRANT; a bound name is NameInUse. Lookups get exactly ``rights``,"
        " SEND by default: the seed's bind(name, port.capability) is"
        " Bind(port, name), so its clients can send but neither receive nor"
        " manage the port (NS-BIND); RECEIVE or MANAGE only when published",
    ),
    SeedCall(
        "Port Creation and Binding",
        "namespace.lookup",
        ("Lookup",),
        "Lookup(name): needs the caller's may_lookup; a new handle derived from"
        " the binding's, with the rights it publishes (SEND for the seed's"
        " example)",
    ),
    SeedCall(
        "Port Rights",
        "derive",
        ("Derive",),
        "Derive(handle, rights): rights must be a subset of the handle's",
    ),
    SeedCall(
        "Fast Path for Small Messages",
        "handle_port_send_fast",
        ("Send",),
        "the kernel side of Send: a waiting receiver gets the message directly"
        " (PORT-HANDOFF), else it is queued",
    ),
    SeedCall(
        "Batched Operations",
        "BatchedChannel::send",
        (),
        "a library-side buffer: no system call until flush",
    ),
    SeedCall(
        "Batched Operations",
        "BatchedChannel::flush",
        ("ChannelSendBatch",),
        "ChannelSendBatch(handle, items): one call, all or nothing",
    ),
    SeedCall(
        "CPU Cache Optimization",
        "create_channel_on_node",
        ("CreateChannel",),
        "CreateChannel(capacity, max_message): no node argument (placement is"
        " left out, see seed_register)",
    ),
    SeedCall(
        "Capability Integration",
        "connect",
        ("Connect",),
        "Connect(name, service_type): the seed's T::SERVICE_ID is the"
        " service_type; a mismatch is TypeMismatch",
    ),
    SeedCall(
        "Message Filtering",
        "set_filter",
        ("SetFilter",),
        "SetFilter(handle, allowed_types, max_size, rate): needs MANAGE",
    ),
    SeedCall(
        "Message Filtering",
        "accept_message",
        ("Send", "TransferBuffer", "SockSend"),
        "the filter check inside every send (FILTER-CHECK, FILTER-RATE)",
    ),
    SeedCall(
        "Timeout Support",
        "port_receive_timeout",
        ("Receive", "AdvanceClock", "Resume"),
        "Receive(handle, t) with t > 0 blocks with a deadline; when the clock"
        " (AdvanceClock) reaches it, Resume() gives Timeout",
    ),
    SeedCall(
        "Timeout Support",
        "port_try_receive",
        ("Receive",),
        "Receive(handle, 0): a message, or WouldBlock when the port is empty",
    ),
    SeedCall(
        "Socket Emulation",
        "socket",
        ("Socket",),
        "Socket(capacity): domain, type and protocol are not modelled",
    ),
    SeedCall(
        "Socket Emulation",
        "send",
        ("SockSend",),
        "SockSend(fd, data): a message of type 0 to the connected peer; the"
        " result is len(data)",
    ),
)


#: Each heading of the seed (without its numbering) and the rules that define
#: what it describes. Headings whose content the spec leaves out entirely are
#: in ``seed_register.REGISTER`` instead.
SECTIONS: dict[str, tuple[R, ...]] = {
    "Architecture Overview": (R.POSIX_SOCKET, R.PORT_SEND, R.CHAN_RECEIVE),
    "Three-Layer Design": (R.POSIX_SOCKET, R.POSIX_SEND, R.POSIX_ERRNO),
    "IPC Primitives": (R.PORT_SEND, R.CHAN_SEND, R.BUF_TRANSFER),
    "Synchronous Message Passing": (
        R.MSG_LIMITS,
        R.MSG_SENDER,
        R.MSG_TRANSFER,
        R.PORT_SEND,
        R.PORT_RECEIVE,
    ),
    "Asynchronous Channels": (
        R.CHAN_CREATE,
        R.CHAN_SEND,
        R.CHAN_RECEIVE,
        R.CHAN_CLOSE,
    ),
    "Zero-Copy Shared Memory": (
        R.BUF_CREATE,
        R.BUF_MAP,
        R.BUF_READ,
        R.BUF_WRITE,
        R.BUF_UNMAP,
        R.BUF_TRANSFER,
    ),
    "Port System": (R.PORT_CREATE, R.PORT_CLOSE, R.PORT_RESUME),
    "Port Creation and Binding": (
        R.PORT_CREATE,
        R.NS_BIND,
        R.NS_UNBIND,
        R.NS_LOOKUP,
    ),
    "Port Rights": (
        R.RIGHTS_BITS,
        R.RIGHTS_REQUIRED,
        R.RIGHTS_DERIVE,
        R.RIGHTS_REVOKE,
    ),
    "Performance Optimizations": (R.PORT_HANDOFF, R.CHAN_SEND_BATCH),
    "Fast Path for Small Messages": (R.PORT_HANDOFF,),
    "Batched Operations": (R.CHAN_SEND_BATCH, R.CHAN_RECEIVE_BATCH),
    "Security Features": (R.CAP_HANDLE, R.FILTER_SET),
    "Capability Integration": (
        R.CAP_HANDLE,
        R.CAP_INSPECT,
        R.CAP_DROP,
        R.NS_CONNECT,
    ),
    "Message Filtering": (R.FILTER_SET, R.FILTER_CHECK, R.FILTER_RATE),
    "Error Handling": (R.ERR_ENUM, R.ERR_PRECEDENCE, R.ERR_ATOMIC, R.ERR_TOTAL),
    "IPC Errors": (R.ERR_ENUM,),
    "Timeout Support": (R.TIME_ADVANCE, R.TIME_DEADLINE, R.PORT_RECEIVE),
    "POSIX Compatibility Layer": (R.POSIX_ERRNO,),
    "Socket Emulation": (
        R.POSIX_SOCKET,
        R.POSIX_BIND,
        R.POSIX_CONNECT,
        R.POSIX_SEND,
        R.POSIX_RECV,
        R.POSIX_CLOSE,
    ),
}
