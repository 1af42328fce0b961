"""Asynchronous channels (group "channels"): bounded rings of byte messages.

Seed section "Asynchronous Channels": a ring buffer in shared memory with
producer and consumer indices (``write_idx``, ``read_idx``), usable without
blocking, with batching to amortise the system-call cost ("Batched
Operations"). The spec's ring has ``capacity`` slots; message ``i`` lives in slot
``i % capacity``; ``write_idx - read_idx`` is the number of messages held, never
above ``capacity`` (INV-RING-BOUNDS).

Decisions:

- Channels carry bytes only, up to the ``max_message`` fixed at creation
  (capabilities travel on ports). Rights are the port rights: SEND to send,
  RECEIVE to receive, MANAGE to close.
- *Full and empty.* A full ring gives ``WouldBlock`` to a sender whose
  ``timeout`` is 0 (the default) and to every batch; a ``ChannelSend`` with
  another timeout blocks until a slot frees, in FIFO order with other blocked
  senders (CHAN-SEND-BLOCK, spec/blocking.py: the seed's ``send`` waits on an
  event). An empty ring gives ``WouldBlock`` to a receiver: receives on a
  channel never block.
- *Batches.* A batched send is **all or nothing**: it succeeds only if every
  message is valid and all fit; otherwise nothing is sent. The seed's argument
  for batching is cost, not atomicity: ``BatchedChannel::flush`` makes a single
  ``SYS_CHANNEL_SEND_BATCH`` system call for the whole batch, to amortise the
  system-call overhead (seed "Batched Operations", "Best Practices"). The same
  argument made Linux's ``sendmmsg(2)`` (several datagrams in one call) and
  io_uring (many submissions per ``io_uring_enter(2)``). Neither of those is
  all or nothing: ``sendmmsg`` sends as many messages as it can and returns the
  count, and no Zircon call writes more than one message
  (``zx_channel_write_etc`` writes one message, with per-handle dispositions).
  All or nothing is the spec's decision: a flush either happened or did not
  (ERR-ATOMIC), so the caller never has to work out which part of a batch to
  resend. A batched receive takes the longest available prefix, up to
  ``max_count`` (like ``recvmmsg(2)``: taking fewer loses nothing).
- *Storage.* A ring stores the messages it holds, not ``capacity`` empty slots
  (spec/storage.py): creating a ring of any allowed capacity costs nothing.
- *Close* needs MANAGE; afterwards sends give ``PortClosed``, and receivers drain
  what is left, then get ``PortClosed`` (as for ports, PORT-CLOSE).
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Err, Ok
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    CreateChannel,
)

from . import blocking, quotas
from .caps import authorize, new_handle
from .state import Channel, KernelState, Kind
from .store import Step, channel, fail, new_object, put_obj, wake


@rule(RuleId.CHAN_CREATE)
def create_channel(s: KernelState, pid: Pid, op: CreateChannel) -> Step:
    """A new open, empty channel of ``capacity`` slots of ``max_message`` bytes.

    The creator gets a handle with SEND, RECEIVE, MANAGE and GRANT. Result: the
    handle.

    Errors, in precedence order:

    - ``InvalidArgument``: ``capacity`` or ``max_message`` below 1.
    - ``OutOfMemory``: ``capacity`` above ``Config.max_channel_capacity`` or
      ``max_message`` above ``Config.max_channel_message``.
    - ``OutOfMemory``: the object or handle quota is spent (spec/quotas.py).
    """
    if op.capacity < 1 or op.max_message < 1:
        return fail(s, IpcError.InvalidArgument)
    if (
        op.capacity > s.config.max_channel_capacity
        or op.max_message > s.config.max_channel_message
    ):
        return fail(s, IpcError.OutOfMemory)
    if (err := quotas.check_create(s, pid)) is not None:
        return fail(s, err)
    ring = Channel(op.capacity, op.max_message)  # no slot is allocated ahead
    s, obj = new_object(s, ring)
    s, handle = new_handle(s, pid, obj, Kind.CHANNEL, PORT_RIGHTS, None)
    return s, Ok(handle)


def _endpoint(
    s: KernelState, pid: Pid, handle: int, right: int
) -> tuple[ObjId, Channel] | IpcError:
    """Resolve a channel handle and check one right."""
    found = authorize(s, pid, handle, Kind.CHANNEL, right)
    if isinstance(found, IpcError):
        return found
    return found[1].obj, channel(s, found[1].obj)


def push(ring: Channel, items: tuple[bytes, ...]) -> Channel:
    """The ring with ``items`` appended at ``write_idx`` (room is checked)."""
    return replace(ring, held=ring.held + items, write_idx=ring.write_idx + len(items))


def pop(ring: Channel, count: int) -> tuple[Channel, tuple[bytes, ...]]:
    """The ring without its ``count`` oldest messages, and those messages."""
    out = ring.held[:count]
    assert len(out) == count, "the messages between read_idx and write_idx are held"
    rest = replace(ring, held=ring.held[count:], read_idx=ring.read_idx + count)
    return rest, out


@rule(RuleId.CHAN_SEND)
def channel_send(s: KernelState, pid: Pid, op: ChannelSend) -> Step:
    """Append one message at ``write_idx``; FIFO with every other send.

    Result: ``None``; or, when the ring is full and ``timeout`` is not 0,
    ``Ok(BLOCKED)``: the sender waits for a free slot (CHAN-SEND-BLOCK,
    collected by PORT-RESUME).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a channel capability is needed).
    - ``InsufficientRights``: no SEND.
    - ``InvalidArgument``: negative ``timeout``.
    - ``MessageTooLarge``: ``data`` longer than the channel's ``max_message``.
    - ``PortClosed``: the channel is closed.
    - ``WouldBlock``: the ring is full and ``timeout`` is 0.
    """
    found = authorize(s, pid, op.handle, Kind.CHANNEL, SEND)
    if isinstance(found, IpcError):
        return fail(s, found)
    if op.timeout is not None and op.timeout < 0:
        return fail(s, IpcError.InvalidArgument)
    step = _send_items(s, pid, op.handle, (op.data,), batch=False)
    if step[1] == Err(IpcError.WouldBlock) and op.timeout != 0:
        return blocking.block_channel(s, pid, found[1].obj, found[0], op)
    return step


@rule(RuleId.CHAN_SEND_BATCH)
def channel_send_batch(s: KernelState, pid: Pid, op: ChannelSendBatch) -> Step:
    """Append several messages in one step, in order, all or nothing.

    Result: the number of messages sent (all of them).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a channel capability is needed).
    - ``InsufficientRights``: no SEND.
    - ``InvalidArgument``: an empty batch.
    - ``MessageTooLarge``: some message longer than ``max_message``.
    - ``PortClosed``: the channel is closed.
    - ``WouldBlock``: the whole batch does not fit in the free slots.
    """
    return _send_items(s, pid, op.handle, op.items, batch=True)


def _send_items(
    s: KernelState, pid: Pid, handle: int, items: tuple[bytes, ...], *, batch: bool
) -> Step:
    found = _endpoint(s, pid, handle, SEND)
    if isinstance(found, IpcError):
        return fail(s, found)
    obj, ring = found
    if not items:
        return fail(s, IpcError.InvalidArgument)
    if any(len(d) > ring.max_message for d in items):
        return fail(s, IpcError.MessageTooLarge)
    if ring.closed:
        return fail(s, IpcError.PortClosed)
    if ring.write_idx - ring.read_idx + len(items) > ring.capacity:
        return fail(s, IpcError.WouldBlock)
    s = put_obj(s, obj, push(ring, items))
    return s, Ok(len(items) if batch else None)


@rule(RuleId.CHAN_RECEIVE)
def channel_receive(s: KernelState, pid: Pid, op: ChannelReceive) -> Step:
    """Take the oldest message, at ``read_idx``. Result: its bytes.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a channel capability is needed).
    - ``InsufficientRights``: no RECEIVE.
    - ``PortClosed``: the channel is closed and empty.
    - ``WouldBlock``: the ring is empty.
    """
    step = _receive_items(s, pid, op.handle, 1)
    s, result = step
    if isinstance(result, Ok) and isinstance(result.value, tuple):
        return s, Ok(result.value[0])
    return step


@rule(RuleId.CHAN_RECEIVE_BATCH)
def channel_receive_batch(s: KernelState, pid: Pid, op: ChannelReceiveBatch) -> Step:
    """Take the oldest ``min(max_count, held)`` messages, in order.

    Result: a tuple of their bytes (never empty).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a channel capability is needed).
    - ``InsufficientRights``: no RECEIVE.
    - ``InvalidArgument``: ``max_count`` below 1.
    - ``PortClosed``: the channel is closed and empty.
    - ``WouldBlock``: the ring is empty.
    """
    return _receive_items(s, pid, op.handle, op.max_count)


def _receive_items(s: KernelState, pid: Pid, handle: int, max_count: int) -> Step:
    found = _endpoint(s, pid, handle, RECEIVE)
    if isinstance(found, IpcError):
        return fail(s, found)
    obj, ring = found
    if max_count < 1:
        return fail(s, IpcError.InvalidArgument)
    held = ring.write_idx - ring.read_idx
    if held == 0:
        return fail(s, IpcError.PortClosed if ring.closed else IpcError.WouldBlock)
    ring, items = pop(ring, min(max_count, held))
    return put_obj(s, obj, ring), Ok(items)


@rule(RuleId.CHAN_CLOSE)
def close_channel(s: KernelState, obj: ObjId) -> Step:
    """Close a channel: no more sends; what is held stays to be drained.

    ``Close`` on a channel handle; needs MANAGE. Result: the number of messages
    left to drain.

    Every blocked sender (CHAN-SEND-BLOCK) is woken with ``PortClosed``.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port or channel capability).
    - ``InsufficientRights``: no MANAGE.
    - ``PortClosed``: the channel was already closed.
    """
    ring = channel(s, obj)
    if ring.closed:
        return fail(s, IpcError.PortClosed)
    for sender in ring.senders:
        s = wake(s, sender, Err(IpcError.PortClosed))
    ring = channel(s, obj)
    held = ring.write_idx - ring.read_idx
    return put_obj(s, obj, replace(ring, closed=True)), Ok(held)
