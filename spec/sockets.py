"""The POSIX layer (group "posix"): sockets as file descriptors over ports.

Seed section "POSIX Compatibility Layer": ``socket()`` creates a port and puts it
in the process's fd table; ``send(fd, buf, len)`` becomes a ``port_send`` of a
message whose data is ``buf``. The translation layer adds nothing of its own:
every socket call is a native operation plus fd bookkeeping, and its error is
the native ``IpcError``, reported to POSIX callers as the errno of POSIX-ERRNO.

The model is a datagram socket in the ``AF_UNIX`` manner:

- ``Socket`` creates a port the socket owns (its capability lives in the fd
  entry, not in the handle table: native ``Drop`` cannot pull it away); file
  descriptors are the lowest free number, as POSIX requires.
- ``SockBind`` publishes the port in the namespace with SEND only, so a peer can
  send but never receive (NS-BIND's binding, made by the system); like
  ``Bind`` it needs the caller's namespace right ``may_bind``.
- ``SockConnect`` looks a name up and keeps a SEND capability as the peer; like
  ``Lookup`` it needs the caller's namespace right ``may_lookup``.
- ``SockSend`` sends a message of type 0 with the data; ``SockRecv`` takes the
  oldest message without waiting (``EAGAIN``) and returns its data together
  with the handles installed for the capabilities it carried, in order
  (``recvmsg`` with an ``SCM_RIGHTS`` control message); a message longer than the
  caller's buffer stays queued and the call fails with ``EMSGSIZE`` (nothing is
  truncated silently; Zircon's ``ZX_ERR_BUFFER_TOO_SMALL`` leaves the message
  likewise).
- ``SockClose`` revokes every capability derived from the socket's port (the
  binding and every connected peer: they see ``ENOTCONN``), closes the port and
  discards its queue, reporting how many messages were discarded.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import ERRNO_NAMES, ERRNO_VALUES, IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Fd, Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND, has
from veridian_ipc.vocabulary.syscalls import (
    SockBind,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
)

from . import quotas
from .caps import descendants, destroy, new_cap
from .messages import check_limits, take_delivery
from .namespace import publish, valid_name
from .ports import check_offer, commit_offer
from .state import InSocket, KernelState, Kind, Port
from .state import Socket as SocketEntry
from .store import Step, fail, new_object, port, put_obj
from .tasks import put_table, table_of, task_of


@rule(RuleId.POSIX_ERRNO)
def errno_of(error: IpcError) -> int:
    """Every ``IpcError`` has exactly one errno (Linux numbering).

    The mapping is total (every error), and conservative where POSIX has no
    exact word: "try again later" conditions (``PortFull``, ``WouldBlock``,
    ``RateLimited``) are all ``EAGAIN``, so POSIX callers retry all three the
    same way; a bad handle or fd is ``EBADF``; a closed peer ``EPIPE``; a name
    that is not bound ``ENOENT`` (as for an ``AF_UNIX`` path). The table is
    ``ERRNO_NAMES``; numbers are ``ERRNO_VALUES``.
    """
    return ERRNO_VALUES[ERRNO_NAMES[error]]


def _lowest_free_fd(s: KernelState, pid: Pid) -> Fd:
    fds = table_of(s, pid).fds
    fd = 0
    while Fd(fd) in fds:
        fd += 1
    return Fd(fd)


def _socket(s: KernelState, pid: Pid, fd: int) -> SocketEntry | IpcError:
    entry = table_of(s, pid).fds.get(Fd(fd))
    return IpcError.InvalidCapability if entry is None else entry


@rule(RuleId.POSIX_SOCKET)
def socket(s: KernelState, pid: Pid, op: Socket) -> Step:
    """``socket()``: a new port owned by a new fd (the lowest free). Result: fd.

    ``capacity`` None takes ``Config.default_socket_capacity``.

    Errors, in precedence order:

    - ``InvalidArgument``: ``capacity`` below 1.
    - ``OutOfMemory``: ``capacity`` above ``Config.max_port_capacity``.
    - ``OutOfMemory``: the object quota is spent (spec/quotas.py).
    """
    capacity = s.config.default_socket_capacity if op.capacity is None else op.capacity
    if capacity < 1:
        return fail(s, IpcError.InvalidArgument)
    if capacity > s.config.max_port_capacity:
        return fail(s, IpcError.OutOfMemory)
    if (err := quotas.check_objects(s)) is not None:
        return fail(s, err)
    fd = _lowest_free_fd(s, pid)
    s, obj = new_object(s, Port(capacity=capacity))
    s, own = new_cap(
        s, obj, Kind.PORT, PORT_RIGHTS, None, InSocket(task_of(s, pid), fd, False)
    )
    p = table_of(s, pid)
    s = put_table(s, pid, replace(p, fds=p.fds.set(fd, SocketEntry(own, None, None))))
    return s, Ok(fd)


@rule(RuleId.POSIX_BIND)
def sock_bind(s: KernelState, pid: Pid, op: SockBind) -> Step:
    """``bind()``: publish the socket's port under ``name``, SEND only, service
    type 0. Result: ``None``.

    Errors, in precedence order:

    - ``InsufficientRights``: the caller may not bind (NS-BIND's ``may_bind``;
      ``EACCES``).
    - ``InvalidCapability``: not an open fd (``EBADF``).
    - ``InvalidArgument``: the socket is already bound, or the name is invalid.
    - ``NameInUse``: the name is bound (``EADDRINUSE``).
    """
    if not table_of(s, pid).may_bind:
        return fail(s, IpcError.InsufficientRights)
    entry = _socket(s, pid, op.fd)
    if isinstance(entry, IpcError):
        return fail(s, entry)
    if entry.name is not None or not valid_name(s, op.name):
        return fail(s, IpcError.InvalidArgument)
    if op.name in s.namespace:
        return fail(s, IpcError.NameInUse)
    s = publish(s, entry.own, SEND, op.name, 0)
    p = table_of(s, pid)
    s = put_table(
        s, pid, replace(p, fds=p.fds.set(Fd(op.fd), replace(entry, name=op.name)))
    )
    return s, Ok(None)


@rule(RuleId.POSIX_CONNECT)
def sock_connect(s: KernelState, pid: Pid, op: SockConnect) -> Step:
    """``connect()``: the port bound to ``name`` becomes the socket's peer.

    The socket keeps a SEND capability derived from the binding's (so the peer's
    close, which revokes, disconnects it). Result: ``None``.

    Errors, in precedence order:

    - ``InsufficientRights``: the caller may not look up (NS-LOOKUP's
      ``may_lookup``; ``EACCES``).
    - ``InvalidCapability``: not an open fd (``EBADF``).
    - ``AlreadyConnected``: the socket has a peer (``EISCONN``).
    - ``InvalidArgument``: an invalid name.
    - ``PortNotFound``: the name is not bound (``ENOENT``).
    - ``InsufficientRights``: the binding does not allow SEND (``EACCES``).
    """
    if not table_of(s, pid).may_lookup:
        return fail(s, IpcError.InsufficientRights)
    entry = _socket(s, pid, op.fd)
    if isinstance(entry, IpcError):
        return fail(s, entry)
    if entry.peer is not None:
        return fail(s, IpcError.AlreadyConnected)
    if not valid_name(s, op.name):
        return fail(s, IpcError.InvalidArgument)
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    bc = s.caps[binding.cap]
    if not has(bc.rights, SEND):
        return fail(s, IpcError.InsufficientRights)
    at = InSocket(task_of(s, pid), Fd(op.fd), True)
    s, peer = new_cap(s, bc.obj, bc.kind, SEND, binding.cap, at)
    p = table_of(s, pid)
    s = put_table(
        s, pid, replace(p, fds=p.fds.set(Fd(op.fd), replace(entry, peer=peer)))
    )
    return s, Ok(None)


@rule(RuleId.POSIX_SEND)
def sock_send(s: KernelState, pid: Pid, op: SockSend) -> Step:
    """``send()``: a message of type 0, flags 0, data ``op.data``, to the peer.

    Result: the number of bytes sent (all of them; a datagram is never split).

    Errors, in precedence order:

    - ``InvalidCapability``: not an open fd (``EBADF``).
    - ``NotConnected``: no peer (``ENOTCONN``).
    - ``MessageTooLarge``: MSG-LIMITS (``EMSGSIZE``).
    - ``PortClosed``: the peer's port is closed (``EPIPE``).
    - ``Filtered``: FILTER-CHECK (``EPERM``).
    - ``MessageTooLarge``: FILTER-CHECK (``EMSGSIZE``).
    - ``RateLimited``: FILTER-RATE (``EAGAIN``).
    - ``PortFull``: the peer's queue is full (``EAGAIN``).
    - ``OutOfMemory``: queuing the data would take the sender over
      ``Config.max_queued_bytes`` (spec/quotas.py; ``ENOMEM``).
    """
    entry = _socket(s, pid, op.fd)
    if isinstance(entry, IpcError):
        return fail(s, entry)
    if entry.peer is None:
        return fail(s, IpcError.NotConnected)
    err = check_limits(0, 0, op.data, (), -1)
    if err is not None:
        return fail(s, err)
    obj = s.caps[entry.peer].obj
    admitted = check_offer(s, obj, 0, len(op.data))
    if isinstance(admitted, IpcError):
        return fail(s, admitted)
    if (err := quotas.check_queued(s, pid, obj, len(op.data))) is not None:
        return fail(s, err)
    return commit_offer(s, pid, obj, admitted, (0, 0, op.data), ()), Ok(len(op.data))


@rule(RuleId.POSIX_RECV)
def sock_recv(s: KernelState, pid: Pid, op: SockRecv) -> Step:
    """``recvmsg()``: the oldest message on the socket's port.

    Never waits. Capabilities the message carries (sent natively, MSG-TRANSFER)
    are installed as handles of the caller and returned with the data, in the
    sender's order (a capability revoked in flight is ``None``,
    MSG-INFLIGHT-REVOKE): the ``SCM_RIGHTS`` control message of ``recvmsg``,
    so the caller learns every handle it was given. Result: the ``Delivered``
    message (sender, type, flags, data, handles), as ``Receive`` gives it.

    Errors, in precedence order:

    - ``InvalidCapability``: not an open fd (``EBADF``).
    - ``InvalidArgument``: negative ``bufsize`` (``EINVAL``).
    - ``WouldBlock``: no message (``EAGAIN``).
    - ``MessageTooLarge``: the oldest message is longer than ``bufsize``; it
      stays queued (``EMSGSIZE``).
    - ``OutOfMemory``: the message carries more capabilities than the caller's
      handle table has room for (spec/quotas.py); it stays queued (``ENOMEM``).
    """
    entry = _socket(s, pid, op.fd)
    if isinstance(entry, IpcError):
        return fail(s, entry)
    if op.bufsize < 0:
        return fail(s, IpcError.InvalidArgument)
    obj = s.caps[entry.own].obj
    pt = port(s, obj)
    if not pt.queue:
        return fail(s, IpcError.WouldBlock)
    if len(pt.queue[0].data) > op.bufsize:
        return fail(s, IpcError.MessageTooLarge)
    if (err := quotas.check_delivery(s, pid, pt.queue[0])) is not None:
        return fail(s, err)
    s = put_obj(s, obj, replace(pt, queue=pt.queue[1:]))
    s, delivered = take_delivery(s, pid, pt.queue[0])
    return s, Ok(delivered)


@rule(RuleId.POSIX_CLOSE)
def sock_close(s: KernelState, pid: Pid, op: SockClose) -> Step:
    """``close()``: the socket ends and its fd becomes free.

    Every capability derived from the socket's port is revoked (the binding
    disappears, connected peers become unconnected), the port is closed, its
    queued messages are discarded with the capabilities they carry, and the
    socket's own and peer capabilities are destroyed. Result: the number of
    messages discarded, so no loss is silent.

    Errors, in precedence order:

    - ``InvalidCapability``: not an open fd (``EBADF``).
    """
    entry = _socket(s, pid, op.fd)
    if isinstance(entry, IpcError):
        return fail(s, entry)
    return close_socket(s, pid, Fd(op.fd))


def close_socket(s: KernelState, pid: Pid, fd: Fd) -> Step:
    """The effects of ``close()`` on open socket ``fd`` of ``pid`` (also used
    by PROC-KILL). The revocation may empty the socket's own peer slot (a
    socket connected to its own name), so the entry is read again after it."""
    own = table_of(s, pid).fds[fd].own
    for cap_id in reversed(descendants(s, own)):
        s = destroy(s, cap_id)
    entry = table_of(s, pid).fds[fd]
    obj = s.caps[entry.own].obj
    pt = port(s, obj)
    s = put_obj(s, obj, replace(pt, closed=True, queue=()))
    for msg in pt.queue:
        for carried in msg.caps:
            if carried is not None:
                s = destroy(s, carried)
    if entry.peer is not None:
        s = destroy(s, entry.peer)
    return destroy(s, entry.own), Ok(len(pt.queue))
