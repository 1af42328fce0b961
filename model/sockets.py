"""The POSIX layer: datagram sockets as file descriptors over ports (POSIX-*).

Every socket call is a native operation plus fd bookkeeping; its error is the
native ``IpcError``, reported to POSIX callers as the errno of ``errno_of``
(POSIX-ERRNO), whose table is shared vocabulary
(``veridian_ipc.vocabulary.errors``).
"""

from __future__ import annotations

from veridian_ipc.vocabulary.errors import ERRNO_NAMES, ERRNO_VALUES, IpcError
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
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
from .ports import check_offer, commit_offer, new_port
from .state import IN_SOCKET_OWN, IN_SOCKET_PEER, Port, Process, SocketEntry, State
from .store import (
    E_ALREADY_CONNECTED,
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_NAME_IN_USE,
    E_NOT_CONNECTED,
    E_OUT_OF_MEMORY,
    E_PORT_NOT_FOUND,
    E_TOO_LARGE,
    E_WOULD_BLOCK,
    FAIL,
    OK_NONE,
)
from .waiting import notify

#: POSIX-ERRNO: the errno of every error (Linux numbering).
ERRNO: dict[IpcError, int] = {e: ERRNO_VALUES[name] for e, name in ERRNO_NAMES.items()}


def errno_of(error: IpcError) -> int:
    """POSIX-ERRNO: the errno a POSIX caller sees for ``error``."""
    return ERRNO[error]


def socket(st: State, p: Process, op: Socket) -> Result:
    """POSIX-SOCKET: a new port owned by a new fd (the lowest free).

    Errors, in precedence order: ``InvalidArgument``, ``OutOfMemory``.
    """
    capacity = st.config.default_socket_capacity if op.capacity is None else op.capacity
    if capacity < 1:
        return E_INVALID_ARGUMENT
    if capacity > st.config.max_port_capacity:
        return E_OUT_OF_MEMORY
    if (quota := quotas.check_objects(st)) is not None:
        return quota
    fd = 0
    fds = p.fds
    while fd in fds:
        fd += 1
    own = new_cap(new_port(st, capacity), PORT_RIGHTS, None)
    entry = SocketEntry(fd, own)
    own.where = IN_SOCKET_OWN
    own.proc = p.task
    own.sock = entry
    fds[fd] = entry
    return Ok(fd)


def sock_bind(st: State, p: Process, op: SockBind) -> Result:
    """POSIX-BIND: publish the socket's port, SEND only, service type 0.

    Errors, in precedence order: ``InsufficientRights`` (no ``may_bind``),
    ``InvalidCapability``, ``InvalidArgument`` (already bound, bad name),
    ``NameInUse``.
    """
    if not p.may_bind:
        return E_INSUFFICIENT_RIGHTS
    entry = p.fds.get(op.fd)
    if entry is None:
        return E_INVALID_CAPABILITY
    if entry.name is not None or not valid_name(st, op.name):
        return E_INVALID_ARGUMENT
    if op.name in st.namespace:
        return E_NAME_IN_USE
    publish(st, entry.own, SEND, op.name, 0)
    entry.name = op.name
    return OK_NONE


def sock_connect(st: State, p: Process, op: SockConnect) -> Result:
    """POSIX-CONNECT: keep a SEND capability derived from the binding as peer.

    Errors, in precedence order: ``InsufficientRights`` (no ``may_lookup``),
    ``InvalidCapability``, ``AlreadyConnected``, ``InvalidArgument``,
    ``PortNotFound``, ``InsufficientRights``.
    """
    if not p.may_lookup:
        return E_INSUFFICIENT_RIGHTS
    entry = p.fds.get(op.fd)
    if entry is None:
        return E_INVALID_CAPABILITY
    if entry.peer is not None:
        return E_ALREADY_CONNECTED
    if not valid_name(st, op.name):
        return E_INVALID_ARGUMENT
    binding = st.namespace.get(op.name)
    if binding is None:
        return E_PORT_NOT_FOUND
    bc = binding.cap
    if not bc.rights & SEND:
        return E_INSUFFICIENT_RIGHTS
    peer = new_cap(bc.obj, SEND, bc)
    peer.where = IN_SOCKET_PEER
    peer.proc = p.task
    peer.sock = entry
    entry.peer = peer
    return OK_NONE


def sock_send(st: State, p: Process, op: SockSend) -> Result:
    """POSIX-SEND: a message of type 0, flags 0, to the peer. Result: bytes sent.

    Errors, in precedence order: ``InvalidCapability``, ``NotConnected``,
    ``MessageTooLarge``, then the port-side checks of PORT-SEND.
    """
    entry = p.fds.get(op.fd)
    if entry is None:
        return E_INVALID_CAPABILITY
    peer = entry.peer
    if peer is None:
        return E_NOT_CONNECTED
    n = len(op.data)
    if check_limits(0, 0, n, (), -1) is not None:  # MSG-LIMITS: the size
        return E_TOO_LARGE
    port = peer.obj
    assert isinstance(port, Port)
    err = check_offer(st, port, 0, n)
    if err is not None:
        return FAIL[err]
    if (quota := quotas.check_queued(st, p.pid, port, n)) is not None:
        return quota
    commit_offer(st, p.pid, port, 0, 0, op.data, None)
    return Ok(n)


def sock_recv(st: State, p: Process, op: SockRecv) -> Result:
    """POSIX-RECV: the oldest message, with the handles installed for the
    capabilities it carried (SCM_RIGHTS); never waits; too long stays queued.

    Errors, in precedence order: ``InvalidCapability``, ``InvalidArgument``,
    ``WouldBlock``, ``MessageTooLarge``.
    """
    entry = p.fds.get(op.fd)
    if entry is None:
        return E_INVALID_CAPABILITY
    if op.bufsize < 0:
        return E_INVALID_ARGUMENT
    port = entry.own.obj
    assert isinstance(port, Port)
    q = port.queue
    if not q:
        return E_WOULD_BLOCK
    if len(q[0].data) > op.bufsize:
        return E_TOO_LARGE
    if (quota := quotas.check_delivery(st, p, q[0])) is not None:
        return quota
    msg = q.popleft()
    if port.watchers:
        notify(port)
    return Ok(take_delivery(p, msg))


def sock_close(st: State, p: Process, op: SockClose) -> Result:
    """POSIX-CLOSE: revoke what was derived from the socket's port, close the
    port, discard its queue. Result: messages discarded.

    Errors, in precedence order: ``InvalidCapability``.
    """
    entry = p.fds.get(op.fd)
    if entry is None:
        return E_INVALID_CAPABILITY
    return close_socket(st, entry)


def close_socket(st: State, entry: SocketEntry) -> Result:
    """The effects of ``close()`` (also PROC-KILL's)."""
    own = entry.own
    for c in reversed(descendants(own)):
        destroy(st, c)
    port = own.obj
    assert isinstance(port, Port)
    port.closed = True
    queued = list(port.queue) if port.queue else []
    if port.queue:
        port.queue.clear()
    for msg in queued:
        for carried in msg.caps:
            if carried is not None:
                destroy(st, carried)
    if port.watchers:
        notify(port)
    if entry.peer is not None:
        destroy(st, entry.peer)
    destroy(st, own)
    return Ok(len(queued))
