"""Asynchronous channels: rings of byte messages, batched (CHAN-*).

The ring is a preallocated list; ``write_idx`` and ``read_idx`` count messages
ever sent and received, message ``i`` lives in slot ``i % capacity``. A batch
is copied in at most two slice assignments (before and after the wrap), so its
cost per message is that of a list copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from veridian_ipc.spec.errors import IpcError
from veridian_ipc.spec.results import Ok, Result
from veridian_ipc.spec.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.spec.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    CreateChannel,
)

from .caps import install, new_cap
from .state import Channel, Process, State
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_PORT_CLOSED,
    E_WOULD_BLOCK,
    FAIL,
    OK_NONE,
    new_object,
)

E_OUT_OF_MEMORY = FAIL[IpcError.OutOfMemory]
E_TOO_LARGE = FAIL[IpcError.MessageTooLarge]


def create_channel(st: State, p: Process, op: CreateChannel) -> Result:
    """CHAN-CREATE: a new open, empty ring; the creator gets every port right.

    Errors, in precedence order: ``InvalidArgument``, ``OutOfMemory``.
    """
    if op.capacity < 1 or op.max_message < 1:
        return E_INVALID_ARGUMENT
    cfg = st.config
    if (
        op.capacity > cfg.max_channel_capacity
        or op.max_message > cfg.max_channel_message
    ):
        return E_OUT_OF_MEMORY
    ring = Channel(st.next_obj, op.capacity, op.max_message)
    new_object(st, ring)
    return Ok(install(p, new_cap(ring, PORT_RIGHTS, None)))


def channel_send(st: State, p: Process, op: ChannelSend) -> Result:
    """CHAN-SEND: append one message.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``MessageTooLarge``, ``PortClosed``, ``WouldBlock``.
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & SEND:
        return E_INSUFFICIENT_RIGHTS
    ring = cap.obj
    if len(op.data) > ring.max_message:
        return E_TOO_LARGE
    if ring.closed:
        return E_PORT_CLOSED
    w = ring.write_idx
    if w - ring.read_idx >= ring.capacity:
        return E_WOULD_BLOCK
    ring.slots[w % ring.capacity] = op.data
    ring.write_idx = w + 1
    if ring.watchers:
        notify(ring)
    return OK_NONE


def channel_send_batch(st: State, p: Process, op: ChannelSendBatch) -> Result:
    """CHAN-SEND-BATCH: append every message, in order, or none.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``InvalidArgument`` (empty), ``MessageTooLarge``, ``PortClosed``,
    ``WouldBlock`` (the whole batch does not fit).
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & SEND:
        return E_INSUFFICIENT_RIGHTS
    err = push_all(cap.obj, op.items)
    if err is not None:
        return err
    return Ok(len(op.items))


def push_all(ring: Channel, items: Sequence[bytes]) -> Result | None:
    """Check and append a batch (the rule's checks after the capability's)."""
    n = len(items)
    if not n:
        return E_INVALID_ARGUMENT
    limit = ring.max_message
    if max(map(len, items)) > limit:
        return E_TOO_LARGE
    if ring.closed:
        return E_PORT_CLOSED
    w = ring.write_idx
    cap = ring.capacity
    if w - ring.read_idx + n > cap:
        return E_WOULD_BLOCK
    start = w % cap
    end = start + n
    slots = ring.slots
    if end <= cap:
        slots[start:end] = items
    else:
        first = cap - start
        slots[start:] = items[:first]
        slots[: n - first] = items[first:]
    ring.write_idx = w + n
    if ring.watchers:
        notify(ring)
    return None


def channel_receive(st: State, p: Process, op: ChannelReceive) -> Result:
    """CHAN-RECEIVE: take the oldest message. Result: its bytes.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``PortClosed`` (closed and empty), ``WouldBlock`` (empty).
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & RECEIVE:
        return E_INSUFFICIENT_RIGHTS
    ring = cap.obj
    r = ring.read_idx
    if ring.write_idx == r:
        return E_PORT_CLOSED if ring.closed else E_WOULD_BLOCK
    idx = r % ring.capacity
    data = ring.slots[idx]
    ring.slots[idx] = None
    ring.read_idx = r + 1
    if ring.watchers:
        notify(ring)
    return Ok(data)


def channel_receive_batch(st: State, p: Process, op: ChannelReceiveBatch) -> Result:
    """CHAN-RECEIVE-BATCH: take up to ``max_count`` oldest messages, in order.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``InvalidArgument`` (``max_count`` below 1), ``PortClosed``, ``WouldBlock``.
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & RECEIVE:
        return E_INSUFFICIENT_RIGHTS
    if op.max_count < 1:
        return E_INVALID_ARGUMENT
    got = pop_some(cap.obj, op.max_count)
    if isinstance(got, list):
        return Ok(tuple(got))
    return got


def pop_some(ring: Channel, max_count: int) -> list[bytes] | Result:
    """Take ``min(max_count, held)`` messages, or the empty ring's error."""
    r = ring.read_idx
    held = ring.write_idx - r
    if not held:
        return E_PORT_CLOSED if ring.closed else E_WOULD_BLOCK
    n = min(held, max_count)
    cap = ring.capacity
    start = r % cap
    end = start + n
    slots = ring.slots
    if end <= cap:
        out = slots[start:end]
        slots[start:end] = [None] * n
    else:
        out = slots[start:]
        out += slots[: end - cap]
        slots[start:] = [None] * (cap - start)
        slots[: end - cap] = [None] * (end - cap)
    ring.read_idx = r + n
    if ring.watchers:
        notify(ring)
    return out  # type: ignore[return-value]  # every slot in range holds bytes


def close_channel(st: State, ring: Channel) -> Result:
    """CHAN-CLOSE: no more sends; what is held stays. Result: messages held.

    Errors, in precedence order: ``PortClosed`` (already closed).
    """
    if ring.closed:
        return E_PORT_CLOSED
    ring.closed = True
    if ring.watchers:
        notify(ring)
    return Ok(ring.write_idx - ring.read_idx)


def notify(ring: Channel) -> None:
    """Run the ring's watchers (the facade's waiting senders and receivers)."""
    assert ring.watchers is not None
    for cb in ring.watchers:
        cb()
