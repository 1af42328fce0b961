"""The model's public API follows NS-BIND, NS-LOOKUP and POSIX-RECV: bindings
publish SEND unless told otherwise, namespace authority is given at spawn,
and a socket's ``recvmsg`` names the handles a datagram brought."""

from __future__ import annotations

import errno

import pytest

from veridian_ipc.model import IpcException, Port, System
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, RECEIVE, SEND


def test_the_seed_example_gives_clients_send_only() -> None:
    sys = System()
    server, client = sys.spawn(), sys.spawn()
    port = server.create_port(2)
    port.bind("com.app.service")
    service = client.namespace.lookup("com.app.service")
    assert service.rights == SEND
    service.send_nowait(b"hi")
    with pytest.raises(IpcException) as e:
        service.receive_nowait()
    assert e.value.error is IpcError.InsufficientRights
    assert port.receive_nowait().data == b"hi"
    port.bind("full", rights=PORT_RIGHTS)
    assert client.namespace.connect("full", 0).rights == PORT_RIGHTS


def test_spawn_can_withhold_namespace_authority() -> None:
    sys = System()
    server = sys.spawn()
    server.create_port(1).bind("svc", rights=SEND | RECEIVE)
    sandboxed = sys.spawn(may_bind=False, may_lookup=False)
    with pytest.raises(IpcException) as e:
        sandboxed.namespace.lookup("svc")
    assert e.value.error is IpcError.InsufficientRights
    with pytest.raises(IpcException) as e:
        sandboxed.create_port(1).bind("squat")
    assert e.value.error is IpcError.InsufficientRights
    sock = sandboxed.socket()
    with pytest.raises(OSError, match="Permission denied") as os_error:
        sock.connect("svc")
    assert os_error.value.errno == errno.EACCES
    reader = sys.spawn(may_bind=False)
    assert reader.namespace.lookup("svc").rights == SEND | RECEIVE


def test_recvmsg_names_the_handles_a_datagram_brought() -> None:
    sys = System()
    a, b = sys.spawn(), sys.spawn()
    sock = a.socket()
    sock.bind("s")
    to_sock = b.namespace.lookup("s")
    gift = b.create_port(1)
    reply = gift.derive(SEND | GRANT)
    to_sock.send(b"take", caps=[reply], timeout=0)
    to_sock.send_nowait(b"plain")
    got = sock.recvmsg(64, timeout=0)
    assert got.data == b"take"
    assert len(got.caps) == 1
    handle = got.caps[0]
    assert isinstance(handle, Port)
    assert handle.rights == SEND | GRANT
    assert handle.process is a
    assert sock.recv(64, timeout=0) == b"plain"
