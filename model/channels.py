"""Asynchronous channels: rings of byte messages, batched (CHAN-*).

The ring is a preallocated list; ``write_idx`` and ``read_idx`` count messages
ever sent and received, message ``i`` lives in slot ``i % capacity``. A batch
is copied in at most two slice assignments (before and after the wrap), so its
cost per message is that of a list copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    CreateChannel,
)

from . import blocking, quotas
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
    if (quota := quotas.check_create(st, p)) is not None:
        return quota
    ring = Channel(st.next_obj, op.capacity, op.max_message)
    new_object(st, ring)
    return Ok(install(p, new_cap(ring, PORT_RIGHTS, None)))


# Each rule below is its function of the same name with the capability looked
# up: ``push_one``, ``push_all``, ``pop_one`` and ``pop_some`` make every check
# of their rule, in its precedence order (``ring_of`` first), and its effects,
# for the rule and for the facade's fast paths (``Channel.send_nowait`` ...)
# alike. ``cap`` is what the caller holds under the handle (None: nothing).


def ring_of(cap: Cap | None, right: int) -> Channel | Err:
    """The capability checks of every CHAN-* operation on a ring: the ring, if
    ``cap`` is a channel capability with ``right``, else the error.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``.
    """
    if cap is None:
        return E_INVALID_CAPABILITY
    ring = cap.obj
    if type(ring) is not Channel:
        return E_INVALID_CAPABILITY
    if not cap.rights & right:
        return E_INSUFFICIENT_RIGHTS
    return ring


def channel_send(
    st: State, p: Process, op: ChannelSend, notify: Callable[[], None] | None = None
) -> Result:
    """CHAN-SEND: append one message (``push_one``); ``InvalidArgument`` for
    a negative ``timeout`` after the rights, and a full ring with a non-zero
    ``timeout`` blocks the sender instead of ``WouldBlock`` (CHAN-SEND-BLOCK;
    ``notify``: a thread of the facade blocks, model/parking.py).
    """
    cap = p.handles.get(op.handle)
    timeout = op.timeout
    if timeout is not None and timeout < 0:
        ring = ring_of(cap, SEND)
        return ring if isinstance(ring, Err) else E_INVALID_ARGUMENT
    err = push_one(cap, op.data)
    if err is None:
        return OK_NONE
    if err is E_WOULD_BLOCK and timeout != 0:
        assert cap is not None
        assert type(cap.obj) is Channel
        return blocking.block(st, p, cap.obj, cap, op, notify)
    return err


def push_one(cap: Cap | None, data: bytes) -> Err | None:
    """CHAN-SEND: append ``data``; the error, or None once appended.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``MessageTooLarge``, ``PortClosed``, ``WouldBlock``.
    """
    ring = ring_of(cap, SEND)
    if isinstance(ring, Err):
        return ring
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
    return None


def channel_send_batch(st: State, p: Process, op: ChannelSendBatch) -> Result:
    """CHAN-SEND-BATCH: append every message, in order, or none (``push_all``).
    Result: the count."""
    n = push_all(p.handles.get(op.handle), op.items)
    return n if isinstance(n, Err) else Ok(n)


def push_all(cap: Cap | None, items: Sequence[bytes]) -> int | Err:
    """CHAN-SEND-BATCH: append every message of ``items``, in order, or none;
    the count, or the error.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``InvalidArgument`` (empty), ``MessageTooLarge``, ``PortClosed``,
    ``WouldBlock`` (the whole batch does not fit).
    """
    ring = ring_of(cap, SEND)
    if isinstance(ring, Err):
        return ring
    n = len(items)
    if not n:
        return E_INVALID_ARGUMENT
    if max(map(len, items)) > ring.max_message:
        return E_TOO_LARGE
    if ring.closed:
        return E_PORT_CLOSED
    w = ring.write_idx
    size = ring.capacity
    if w - ring.read_idx + n > size:
        return E_WOULD_BLOCK
    start = w % size
    end = start + n
    slots = ring.slots
    if end <= size:
        slots[start:end] = items
    else:
        first = size - start
        slots[start:] = items[:first]
        slots[: n - first] = items[first:]
    ring.write_idx = w + n
    if ring.watchers:
        notify(ring)
    return n


def channel_receive(st: State, p: Process, op: ChannelReceive) -> Result:
    """CHAN-RECEIVE: take the oldest message (``pop_one``). Result: its bytes."""
    got = pop_one(p.handles.get(op.handle))
    return got if isinstance(got, Err) else Ok(got)


def pop_one(cap: Cap | None) -> bytes | Err:
    """CHAN-RECEIVE: take the oldest message; its bytes, or the error.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``PortClosed`` (closed and empty), ``WouldBlock`` (empty).
    """
    ring = ring_of(cap, RECEIVE)
    if isinstance(ring, Err):
        return ring
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
    """CHAN-RECEIVE-BATCH: take up to ``max_count`` oldest messages, in order
    (``pop_some``). Result: their bytes."""
    got = pop_some(p.handles.get(op.handle), op.max_count)
    return got if isinstance(got, Err) else Ok(tuple(got))


def pop_some(cap: Cap | None, max_count: int) -> list[bytes] | Err:
    """CHAN-RECEIVE-BATCH: take ``min(max_count, held)`` messages, oldest
    first; them, or the error.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``InvalidArgument`` (``max_count`` below 1), ``PortClosed`` (closed and
    empty), ``WouldBlock`` (empty).
    """
    ring = ring_of(cap, RECEIVE)
    if isinstance(ring, Err):
        return ring
    if max_count < 1:
        return E_INVALID_ARGUMENT
    r = ring.read_idx
    held = ring.write_idx - r
    if not held:
        return E_PORT_CLOSED if ring.closed else E_WOULD_BLOCK
    n = min(held, max_count)
    size = ring.capacity
    start = r % size
    end = start + n
    slots = ring.slots
    if end <= size:
        out = slots[start:end]
        slots[start:end] = [None] * n
    else:
        out = slots[start:]
        out += slots[: end - size]
        slots[start:] = [None] * (size - start)
        slots[: end - size] = [None] * (end - size)
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
    if ring.senders:  # CHAN-SEND-BLOCK: blocked senders end
        blocking.wake_all(st, ring, E_PORT_CLOSED)
    ring.closed = True
    if ring.watchers:
        notify(ring)
    return Ok(ring.write_idx - ring.read_idx)
