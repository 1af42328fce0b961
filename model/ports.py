"""Ports: bounded queues with direct hand-off (PORT-*).

A send hands the message to the first waiting receiver if there is one
(PORT-HANDOFF), else appends it to the queue (PORT-SEND); a receive takes the
oldest message or blocks (PORT-RECEIVE) until a hand-off, a deadline, a close or
a revoke ends it (PORT-RESUME collects the outcome).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, RECEIVE, SEND
from veridian_ipc.vocabulary.syscalls import CreatePort, Receive, Resume, Send

from . import blocking, quotas
from .caps import install, new_cap
from .filters import check_filter, take_token
from .messages import (
    check_limits,
    check_transfer,
    put_in_flight,
    take_back,
    take_delivery,
)
from .namespace import unbind_port
from .state import RUNNING, WAITING, WOKEN, Cap, Message, Port, Process, State, Waiter
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_OUT_OF_MEMORY,
    E_PORT_CLOSED,
    E_PORT_FULL,
    E_WOULD_BLOCK,
    FAIL,
    OK_NONE,
    finish,
    new_object,
    unwait,
    wake,
)
from .waiting import notify

new_tuple = tuple.__new__


def create_port(st: State, p: Process, op: CreatePort) -> Result:
    """PORT-CREATE: a new open port; the creator gets every port right.

    Errors, in precedence order: ``InvalidArgument``, ``OutOfMemory``.
    """
    if op.capacity < 1:
        return E_INVALID_ARGUMENT
    if op.capacity > st.config.max_port_capacity:
        return E_OUT_OF_MEMORY
    if (quota := quotas.check_create(st, p)) is not None:
        return quota
    return Ok(install(p, new_cap(new_port(st, op.capacity), PORT_RIGHTS, None)))


def new_port(st: State, capacity: int) -> Port:
    """A new port object under a fresh id."""
    port = Port(st.next_obj, capacity)
    new_object(st, port)
    return port


def send(
    st: State, p: Process, op: Send, notify: Callable[[], None] | None = None
) -> Result:
    """PORT-SEND: check the message whole, then the port; then hand off or queue.

    Errors: those of ``admit_send``, in its order, with ``InvalidArgument``
    (negative ``timeout``) after the rights; a full port with a non-zero
    ``timeout`` blocks the sender instead of ``PortFull`` (PORT-SEND-BLOCK;
    ``notify``: a thread of the facade blocks, model/parking.py).
    """
    cap = p.handles.get(op.handle)
    timeout = op.timeout
    if timeout is not None and timeout < 0:
        if cap is None or type(cap.obj) is not Port:
            return E_INVALID_CAPABILITY
        return E_INVALID_ARGUMENT if cap.rights & SEND else E_INSUFFICIENT_RIGHTS
    moved = admit_send(st, p, cap, op.handle, op.msg_type, op.flags, op.data, op.caps)
    if isinstance(moved, Err):
        if moved is E_PORT_FULL and timeout != 0:
            assert cap is not None
            assert type(cap.obj) is Port
            return blocking.block(st, p, cap.obj, cap, op, notify)
        return moved
    assert cap is not None
    assert type(cap.obj) is Port
    commit_offer(st, p.pid, cap.obj, op.msg_type, op.flags, op.data, moved)
    return OK_NONE


def admit_send(
    st: State,
    p: Process,
    cap: Cap | None,
    via: int,
    msg_type: int,
    flags: int,
    data: bytes,
    caps: tuple[int, ...],
) -> Err | list[Cap] | None:
    """Every check of PORT-SEND, in its precedence order: the error of a send by
    ``p`` through ``cap`` (what ``p`` holds under the handle ``via``), or, when
    it is admitted, the capabilities it moves (None for none).

    Both the rule (``send``) and the facade's fast paths (``Port.send_nowait``,
    ``Port.send``) decide by this; ``commit_offer`` then makes the effects.
    The arguments are well typed (ERR-TOTAL) and ``p`` is running
    (PROC-STATUS): the callers see to that. The clock is up to date (a filter's
    rate limit reads it, FILTER-RATE).

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``MessageTooLarge``, ``InvalidMessage`` (MSG-LIMITS), ``InvalidCapability``,
    ``InsufficientRights`` (MSG-TRANSFER), ``PortClosed``, ``Filtered``,
    ``MessageTooLarge``, ``RateLimited`` (FILTER-*), ``PortFull``.
    """
    if cap is None or type(cap.obj) is not Port:
        return E_INVALID_CAPABILITY
    if not cap.rights & SEND:
        return E_INSUFFICIENT_RIGHTS
    err = check_limits(msg_type, flags, len(data), caps, via)
    if err is not None:
        return FAIL[err]
    moved: list[Cap] | None = None
    if caps:
        found = check_transfer(p, caps)
        if not isinstance(found, list):
            return FAIL[found]
        moved = found
    err = check_offer(st, cap.obj, msg_type, len(data))
    if err is not None:
        return FAIL[err]
    return quotas.check_queued(st, p.pid, cap.obj, len(data)) or moved


def check_offer(st: State, port: Port, msg_type: int, size: int) -> IpcError | None:
    """The port-side checks of every send: open, filter, room.

    Errors, in precedence order: ``PortClosed``, ``Filtered``,
    ``MessageTooLarge``, ``RateLimited``, ``PortFull``.
    """
    if port.closed:
        return IpcError.PortClosed
    f = port.filter
    if f is not None:
        err = check_filter(f, msg_type, size, st.clock)
        if err is not None:
            return err
    q = port.queue
    if (len(q) if q else 0) + port.handed >= port.capacity:
        return IpcError.PortFull
    return None


def commit_offer(
    st: State,
    sender: int,
    port: Port,
    msg_type: int,
    flags: int,
    data: bytes,
    caps: list[Cap] | None,
) -> None:
    """The effects of an admitted send: a token is taken, the capabilities move
    into the message, and the message is handed off or queued.

    ``caps`` (a list the caller gives up) becomes the message's list."""
    f = port.filter
    if f is not None:
        take_token(f, st.clock)
    if caps:
        msg = new_tuple(Message, (sender, msg_type, flags, data, caps))
        put_in_flight(st, caps, msg, port)
    else:
        msg = new_tuple(Message, (sender, msg_type, flags, data, ()))
    quotas.refuse_unfit_waiters(st, port, msg)
    if port.waiters:
        hand_off(st, port, msg)
        return
    q = port.queue
    if q is None:
        q = port.queue = deque()
    q.append(msg)
    if port.watchers:
        notify(port)


def hand_off(st: State, port: Port, msg: Message) -> None:
    """PORT-HANDOFF: the first waiter (FIFO) gets the message as its result.

    A process's waiter (not the threaded facade's, whose thread takes the
    message at once) keeps the message's slot in the port's capacity until
    ``Resume`` collects it; ``give_back`` returns it if the process dies first.
    """
    assert port.waiters
    w = port.waiters.popleft()
    if w.raw and not msg.caps:
        finish(st, w, msg)
        return
    if w.notify is None:
        w.handed = port
        port.handed += 1
    finish(st, w, Ok(take_delivery(w.proc, msg)))


def give_back(st: State, p: Process) -> None:
    """PORT-HANDOFF: the uncollected hand-off of ``p`` (about to die) goes back
    to its port as the oldest message: to the next waiter with room for its
    capabilities (those without are woken with ``OutOfMemory``, as at the
    send), else to the head of the queue, in the slot it kept. Nothing to do
    unless ``p`` was woken by a hand-off."""
    w = handoff_of(p)
    if w is None:
        return
    port = w.handed
    assert port is not None
    result = w.result
    assert type(result) is Ok
    assert type(result.value) is Delivered
    w.handed = None
    w.result = None
    port.handed -= 1
    p.waiter = None
    p.status = RUNNING
    if st.objects.get(port.id) is not port:  # reclaimed (CAP-RECLAIM)
        return
    msg = take_back(st, p, result.value, port)
    quotas.refuse_unfit_waiters(st, port, msg)  # as at the send
    if port.waiters:
        hand_off(st, port, msg)
        return
    if port.queue is None:
        port.queue = deque()
    port.queue.appendleft(msg)
    if port.watchers:
        notify(port)


def handoff_of(p: Process) -> Waiter | None:
    """The waiter of ``p`` while it holds a hand-off not yet collected
    (PORT-HANDOFF): woken, its ``handed`` naming the port whose slot the
    message keeps until ``Resume``; else None."""
    w = p.waiter
    if w is None or p.status != WOKEN or w.handed is None:
        return None
    return w


def handoffs(st: State) -> Iterator[Waiter]:
    """Every hand-off not yet collected (PORT-HANDOFF), in pid order: the
    waiter of each woken receiver holding one (``handoff_of``). The sender's
    queued bytes count these (model/quotas.py), as ``give_back`` returns one
    to its port when its receiver dies."""
    for p in st.processes.values():
        w = handoff_of(p)
        if w is not None:
            yield w


def receive(st: State, p: Process, op: Receive) -> Result:
    """PORT-RECEIVE: the oldest message, or block (``Ok(BLOCKED)``).

    Errors: those of ``admit_receive``, in its order.
    """
    cap = p.handles.get(op.handle)
    timeout = op.timeout
    got = admit_receive(cap, timeout, st, p)
    if got is None:  # the receive blocks
        assert cap is not None
        assert type(cap.obj) is Port
        deadline = None if timeout is None else st.clock + timeout
        w = block(st, p, cap.obj, cap, deadline)
        p.status = WAITING
        p.waiter = w
        return Ok(BLOCKED)
    if isinstance(got, Err):
        return got
    return Ok(take_delivery(p, got))


def admit_receive(
    cap: Cap | None,
    timeout: int | None,
    st: State | None = None,
    p: Process | None = None,
) -> Message | Err | None:
    """Every check of PORT-RECEIVE, in its precedence order, and the taking of
    the oldest queued message: the message, taken off the queue as it was
    queued (its capabilities still in flight: the caller delivers them,
    ``take_delivery``); or the error; or None: the receive blocks (``cap`` is
    then a port capability with RECEIVE, its port open and empty).

    Both the rule (``receive``) and the facade's receives
    (``Port.receive_nowait``, ``Port.receive``) decide by this; a timeout of 0
    asks not to wait. ``cap`` is what the caller holds under the handle.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``,
    ``InvalidArgument`` (negative timeout), ``PortClosed`` (closed and empty),
    ``WouldBlock`` (empty, timeout 0), ``OutOfMemory`` (the oldest message's
    capabilities do not fit ``p``'s handle quota: it stays queued; checked
    when the caller gives ``st`` and ``p``).
    """
    if cap is None:
        return E_INVALID_CAPABILITY
    port = cap.obj
    if type(port) is not Port:
        return E_INVALID_CAPABILITY
    if not cap.rights & RECEIVE:
        return E_INSUFFICIENT_RIGHTS
    if timeout is not None and timeout < 0:
        return E_INVALID_ARGUMENT
    q = port.queue
    if q:
        if p is not None and st is not None and q[0].caps:
            quota = quotas.check_delivery(st, p, q[0])
            if quota is not None:
                return quota
        msg: Message = q.popleft()
        if port.watchers:
            notify(port)
        return msg
    if port.closed:
        return E_PORT_CLOSED
    if timeout == 0:
        return E_WOULD_BLOCK
    return None


def block(
    st: State,
    p: Process,
    port: Port,
    cap: Cap,
    deadline: int | None,
    notify: Callable[[], None] | None = None,
) -> Waiter:
    """Queue a new waiter for ``p`` on ``port`` through ``cap`` (a revoke of
    ``cap`` finds it on the port's waiter queue). A waiter with a ``notify``
    callback is the threaded facade's: it takes a message without
    capabilities as it was queued (``Waiter.raw``)."""
    w = Waiter(p, port, cap, deadline, notify, notify is not None)
    if port.waiters is None:
        port.waiters = deque()
    port.waiters.append(w)
    if deadline is not None:
        st.timed[w] = None
    return w


def resume(st: State, p: Process, op: Resume) -> Result:
    """PORT-RESUME: collect the blocked receive's outcome; the process runs.

    Errors, in precedence order: ``InvalidArgument`` (running),
    ``WouldBlock`` (still waiting).
    """
    status = p.status
    if status == RUNNING:
        return E_INVALID_ARGUMENT
    if status != WOKEN:
        return E_WOULD_BLOCK
    w = p.waiter
    assert w is not None
    result = w.result
    assert result is not None
    assert not isinstance(result, Message)  # only facade waiters get raw ones
    p.status = RUNNING
    p.waiter = None
    port = w.handed
    if port is not None:  # the hand-off is collected: its slot frees
        w.handed = None
        port.handed -= 1
        if port.watchers:
            notify(port)
    return result


def close_port(st: State, port: Port) -> Result:
    """PORT-CLOSE: every waiter is woken with ``PortClosed``, every binding of
    the port goes (NS-BIND); the queue stays to be drained. Result: the
    number of queued messages.

    Errors, in precedence order: ``PortClosed`` (already closed).
    """
    if port.closed:
        return E_PORT_CLOSED
    if port.waiters:
        closed: Err = E_PORT_CLOSED
        for w in list(port.waiters):
            wake(st, w, closed)
    if port.senders:  # PORT-SEND-BLOCK: blocked senders end too
        blocking.wake_all(st, port, E_PORT_CLOSED)
    unbind_port(st, port)
    port.closed = True
    if port.watchers:
        notify(port)
    return Ok(len(port.queue) if port.queue else 0)


def withdraw(st: State, w: Waiter, port: Port) -> None:
    """The thread behind the facade waiter ``w`` on ``port`` stopped waiting
    before it took its outcome (an exception: a signal handler raised,
    ``KeyboardInterrupt``). Nothing is lost:

    - not ended yet: ``w`` leaves the port's waiter queue (and the deadlines),
      so no later send is handed to it;
    - ended with a message (PORT-HANDOFF): the message goes back to the port as
      if it had not been received. It is the port's oldest message, so it goes
      to the next waiting receiver (PORT-HANDOFF) or to the head of the queue
      (which may hold one message more than its capacity until it is drained:
      a send is not refused for room it was promised). Capabilities already
      installed in the receiver's table go back in flight in it (a handle the
      receiver no longer holds is ``None``, MSG-INFLIGHT-REVOKE);
    - ended with an error (``Timeout``, ``PortClosed`` ...): nothing to do.
    """
    result = w.result
    if result is None:
        unwait(st, w)
        return
    if type(result) is Message:
        msg = result
    elif type(result) is Ok and type(result.value) is Delivered:
        msg = take_back(st, w.proc, result.value, port)
    else:
        return
    w.result = None
    if port.waiters:
        hand_off(st, port, msg)
        return
    if port.queue is None:
        port.queue = deque()
    port.queue.appendleft(msg)
    if port.watchers:
        notify(port)
