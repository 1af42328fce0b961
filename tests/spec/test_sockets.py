"""POSIX layer: POSIX-*."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, Config, IpcError, errno_of
from veridian_ipc.vocabulary.errors import ERRNO_NAMES, ERRNO_VALUES
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import Delivered
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Inspect,
    Lookup,
    Send,
    SockBind,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
    Spawn,
)

from .conftest import World


def test_posix_socket_lowest_free_fd(world: type[World]) -> None:
    """POSIX-SOCKET: fds are the lowest free number; capacity validated."""
    w = world(1, Config(max_port_capacity=8, default_socket_capacity=8))
    assert w.ok(1, Socket()) == 0
    assert w.ok(1, Socket(2)) == 1
    assert w.ok(1, Socket(2)) == 2
    w.ok(1, SockClose(1))
    assert w.ok(1, Socket(2)) == 1
    w.err(1, Socket(0), IpcError.InvalidArgument)
    w.err(1, Socket(9), IpcError.OutOfMemory)
    assert len(w.s.processes[Pid(1)].handles) == 0  # fds hold their capabilities


def test_posix_bind(world: type[World]) -> None:
    """POSIX-BIND: publishes SEND only; EBADF, EINVAL, EADDRINUSE."""
    w = world(2)
    fd = w.handle(1, Socket())
    w.err(1, SockBind(5, "s"), IpcError.InvalidCapability)
    w.err(1, SockBind(fd, ""), IpcError.InvalidArgument)
    w.ok(1, SockBind(fd, "s"))
    w.err(1, SockBind(fd, "t"), IpcError.InvalidArgument)
    fd2 = w.handle(1, Socket())
    w.err(1, SockBind(fd2, "s"), IpcError.NameInUse)
    h = w.handle(2, Lookup("s"))
    assert w.info(2, Inspect(h)) == CapInfo("port", SEND)


def test_posix_connect_send_recv(world: type[World]) -> None:
    """POSIX-CONNECT / POSIX-SEND / POSIX-RECV: datagrams, no truncation."""
    w = world(2)
    server = w.handle(1, Socket(2))
    w.ok(1, SockBind(server, "srv"))
    client = w.handle(2, Socket())
    w.err(2, SockSend(client, b"x"), IpcError.NotConnected)
    w.err(2, SockConnect(client, "nope"), IpcError.PortNotFound)
    w.err(2, SockConnect(client, ""), IpcError.InvalidArgument)
    w.ok(2, SockConnect(client, "srv"))
    w.err(2, SockConnect(client, "srv"), IpcError.AlreadyConnected)
    assert w.ok(2, SockSend(client, b"hello")) == 5
    assert w.ok(2, SockSend(client, b"")) == 0
    w.err(2, SockSend(client, b"x"), IpcError.PortFull)
    w.err(2, SockSend(client, bytes(65)), IpcError.MessageTooLarge)
    w.err(1, SockRecv(server, -1), IpcError.InvalidArgument)
    w.err(1, SockRecv(server, 4), IpcError.MessageTooLarge)  # stays queued
    assert w.delivered(1, SockRecv(server, 5)) == Delivered(2, 0, 0, b"hello", ())
    assert w.delivered(1, SockRecv(server, 0)).data == b""
    w.err(1, SockRecv(server, 5), IpcError.WouldBlock)
    w.err(1, SockRecv(7, 5), IpcError.InvalidCapability)


def test_posix_recv_installs_carried_capabilities(world: type[World]) -> None:
    """POSIX-RECV: capabilities sent natively arrive as handles, and the result
    names them, in the sender's order (SCM_RIGHTS), next to the data."""
    from veridian_ipc.vocabulary.syscalls import CreatePort, Derive

    w = world(2)
    server = w.handle(1, Socket())
    w.ok(1, SockBind(server, "srv"))
    h = w.handle(2, Lookup("srv"))
    gift = w.handle(2, CreatePort(1))
    second = w.handle(2, Derive(gift, SEND | GRANT))
    w.ok(2, Send(h, 3, 1, b"gift", (second, gift)))
    got = w.delivered(1, SockRecv(server, 64))
    assert got == Delivered(2, 3, 1, b"gift", (1, 2))
    assert list(w.s.processes[Pid(1)].handles) == [1, 2]
    assert w.info(1, Inspect(1)) == CapInfo("port", SEND | GRANT)
    assert w.info(1, Inspect(2)) == CapInfo("port", PORT_RIGHTS)
    w.ok(2, Send(h, 0, 0, b"plain"))
    assert w.delivered(1, SockRecv(server, 64)).caps == ()


def test_posix_close_revokes_and_counts(world: type[World]) -> None:
    """POSIX-CLOSE: binding and peers revoked (ENOTCONN), queue discarded and
    counted, fd freed."""
    w = world(2)
    server = w.handle(1, Socket())
    w.ok(1, SockBind(server, "srv"))
    client = w.handle(2, Socket())
    w.ok(2, SockConnect(client, "srv"))
    w.ok(2, SockSend(client, b"1"))
    w.ok(2, SockSend(client, b"2"))
    assert w.ok(1, SockClose(server)) == 2
    w.err(1, SockClose(server), IpcError.InvalidCapability)
    w.err(2, SockSend(client, b"3"), IpcError.NotConnected)
    w.err(2, Lookup("srv"), IpcError.PortNotFound)
    assert w.ok(2, SockClose(client)) == 0


def test_posix_errno_total_and_linux_numbered() -> None:
    """POSIX-ERRNO: every error has one errno, Linux numbering."""
    assert set(ERRNO_NAMES) == set(IpcError)
    assert {errno_of(e) for e in IpcError} == set(ERRNO_VALUES.values())
    assert errno_of(IpcError.InvalidCapability) == 9  # EBADF
    assert errno_of(IpcError.WouldBlock) == 11  # EAGAIN
    assert errno_of(IpcError.InsufficientRights) == 13  # EACCES
    assert errno_of(IpcError.MessageTooLarge) == 90  # EMSGSIZE
    assert errno_of(IpcError.Timeout) == 110  # ETIMEDOUT
    import errno as host

    if host.EBADF == 9:  # on Linux hosts the numbers are the host's own
        for name, value in ERRNO_VALUES.items():
            assert getattr(host, name) == value, name


def test_posix_close_self_connected_socket(world: type[World]) -> None:
    """POSIX-CLOSE on a socket connected to its own name: the revocation takes
    its peer capability too, and the close still succeeds."""
    w = world(1)
    fd = w.handle(1, Socket())
    w.ok(1, SockBind(fd, "me"))
    w.ok(1, SockConnect(fd, "me"))
    assert w.ok(1, SockSend(fd, b"loop")) == 4
    assert w.ok(1, SockClose(fd)) == 1
    assert len(w.s.caps) == 0
    fd = w.handle(1, Socket())
    w.ok(1, SockBind(fd, "me"))
    w.ok(1, SockConnect(fd, "me"))
    from veridian_ipc.vocabulary.syscalls import Kill

    w.ok(0, Kill(1))
    assert len(w.s.caps) == 0


def test_posix_kill_with_a_socket_connected_to_a_sibling(
    world: type[World],
) -> None:
    """PROC-KILL closes every socket: the first close revokes the second
    socket's peer, and the second close still succeeds."""
    from veridian_ipc.vocabulary.syscalls import Kill

    w = world(1)
    w.ok(1, Socket())
    w.ok(1, SockBind(0, "a"))
    w.ok(1, Socket())
    w.ok(1, SockConnect(1, "a"))
    w.ok(0, Kill(1))
    assert len(w.s.caps) == 0


def test_posix_bind_and_connect_need_namespace_authority(world: type[World]) -> None:
    """POSIX-BIND needs NS-BIND's ``may_bind``, POSIX-CONNECT NS-LOOKUP's
    ``may_lookup`` (EACCES), checked before the fd."""
    w = world(1)
    fd = w.handle(1, Socket())
    w.ok(1, SockBind(fd, "srv"))
    sandboxed = w.ok(0, Spawn(may_bind=False, may_lookup=False))
    assert isinstance(sandboxed, int)
    own = w.handle(sandboxed, Socket())
    w.err(sandboxed, SockBind(own, "mine"), IpcError.InsufficientRights)
    w.err(sandboxed, SockBind(9, "mine"), IpcError.InsufficientRights)
    w.err(sandboxed, SockConnect(own, "srv"), IpcError.InsufficientRights)
    w.err(sandboxed, SockConnect(9, "none"), IpcError.InsufficientRights)
    assert errno_of(IpcError.InsufficientRights) == 13  # EACCES
    client = w.ok(0, Spawn(may_bind=False))
    assert isinstance(client, int)
    cfd = w.handle(client, Socket())
    w.ok(client, SockConnect(cfd, "srv"))
    w.err(client, SockBind(cfd, "mine"), IpcError.InsufficientRights)
