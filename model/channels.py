"""Asynchronous channels: rings of byte messages, batched (CHAN-*).

The ring is a preallocated list; ``write_idx`` and ``read_idx`` count messages
ever sent and received, message ``i`` lives in slot ``i % capacity``. A batch
is copied in at most two slice assignments (before and after the wrap), so its
cost per message is that of a list copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from veridian_ipc.spec.results import Err, Ok, Result
from veridian_ipc.spec.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.spec.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    CreateChannel,
)

from .caps import install, new_cap
from .state import Cap, Channel, Process, State
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_OUT_OF_MEMORY,
    E_PORT_CLOSED,
    E_TOO_LARGE,
    E_WOULD_BLOCK,
    OK_NONE,
    new_object,
)
from .waiting import notify


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

    Errors: those of ``ring_of`` (SEND), then of ``push_one``, in order.
    """
    ring = ring_of(p.handles.get(op.handle), SEND)
    if isinstance(ring, Err):
        return ring
    return push_one(ring, op.data)


def ring_of(cap: Cap | None, right: int) -> Channel | Err:
    """The capability checks of every CHAN-* operation on a ring: the ring, if
    ``cap`` (what the caller holds under the handle) is a channel capability
    with ``right``, else the error. The rules and the facade's fast paths
    (``Channel.send_nowait`` ...) decide by this, then by the ring's own
    checks (``push_one``, ``push_all``, ``pop_one``, ``pop_some``).

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``.
    """
    if cap is None or type(cap.obj) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & right:
        return E_INSUFFICIENT_RIGHTS
    return cap.obj


def push_one(ring: Channel, data: bytes) -> Result:
    """CHAN-SEND's checks after the capability's, and its effect.

    Errors, in precedence order: ``MessageTooLarge``, ``PortClosed``,
    ``WouldBlock``.
    """
    if len(data) > ring.max_message:
        return E_TOO_LARGE
    if ring.closed:
        return E_PORT_CLOSED
    w = ring.write_idx
    if w - ring.read_idx >= ring.capacity:
        return E_WOULD_BLOCK
    ring.slots[w % ring.capacity] = data
    ring.write_idx = w + 1
    if ring.watchers:
        notify(ring)
    return OK_NONE


def channel_send_batch(st: State, p: Process, op: ChannelSendBatch) -> Result:
    """CHAN-SEND-BATCH: append every message, in order, or none.

    Errors: those of ``ring_of`` (SEND), then of ``push_all``, in order.
    """
    ring = ring_of(p.handles.get(op.handle), SEND)
    if isinstance(ring, Err):
        return ring
    err = push_all(ring, op.items)
    if err is not None:
        return err
    return Ok(len(op.items))


def push_all(ring: Channel, items: Sequence[bytes]) -> Err | None:
    """CHAN-SEND-BATCH's checks after the capability's, and its effect.

    Errors, in precedence order: ``InvalidArgument`` (empty),
    ``MessageTooLarge``, ``PortClosed``, ``WouldBlock`` (the whole batch does
    not fit).
    """
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

    Errors: those of ``ring_of`` (RECEIVE), then of ``pop_one``, in order.
    """
    ring = ring_of(p.handles.get(op.handle), RECEIVE)
    if isinstance(ring, Err):
        return ring
    got = pop_one(ring)
    if isinstance(got, Err):
        return got
    return Ok(got)


def pop_one(ring: Channel) -> bytes | Err:
    """CHAN-RECEIVE's checks after the capability's, and its effect: the
    oldest message's bytes, or the error.

    Errors, in precedence order: ``PortClosed`` (closed and empty),
    ``WouldBlock`` (empty).
    """
    r = ring.read_idx
    if ring.write_idx == r:
        return E_PORT_CLOSED if ring.closed else E_WOULD_BLOCK
    idx = r % ring.capacity
    data = ring.slots[idx]
    ring.slots[idx] = None
    ring.read_idx = r + 1
    if ring.watchers:
        notify(ring)
    assert data is not None  # every slot in range holds bytes
    return data


def channel_receive_batch(st: State, p: Process, op: ChannelReceiveBatch) -> Result:
    """CHAN-RECEIVE-BATCH: take up to ``max_count`` oldest messages, in order.

    Errors: those of ``ring_of`` (RECEIVE), then of ``pop_some``, in order.
    """
    ring = ring_of(p.handles.get(op.handle), RECEIVE)
    if isinstance(ring, Err):
        return ring
    got = pop_some(ring, op.max_count)
    if isinstance(got, Err):
        return got
    return Ok(tuple(got))


def pop_some(ring: Channel, max_count: int) -> list[bytes] | Err:
    """CHAN-RECEIVE-BATCH's checks after the capability's, and its effect:
    ``min(max_count, held)`` messages, or the error.

    Errors, in precedence order: ``InvalidArgument`` (``max_count`` below 1),
    ``PortClosed`` (closed and empty), ``WouldBlock`` (empty).
    """
    if max_count < 1:
        return E_INVALID_ARGUMENT
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
