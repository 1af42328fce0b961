"""The facade's objects cannot be forged or re-targeted (CAP-HANDLE, MSG-SENDER).

A ``Process`` object is a process's authority in the in-process API: only
``System.spawn`` makes one. Handle objects (``Port``, ``Channel``,
``SharedBuffer``, ``Handle``), ``Socket`` and ``Namespace`` are made by the
facade only; their identity (``process``, ``pid``, ``handle``, ``fd``) is
read-only and they take no new attributes. So a process cannot act as another
through the API, and the sender stamped on a message is always the real one.
"""

from __future__ import annotations

from typing import Any

import pytest

from veridian_ipc.model import (
    Channel,
    Handle,
    IpcException,
    Namespace,
    Port,
    Process,
    SharedBuffer,
    Socket,
    System,
)
from veridian_ipc.vocabulary.errors import IpcError


def victim_and_attacker() -> tuple[System, Process, Process, Port]:
    """A victim holding a port bound as "svc"; an attacker with SEND to it."""
    system = System()
    victim, attacker = system.spawn(), system.spawn()
    port = victim.create_port(4)
    port.bind("svc")
    return system, victim, attacker, port


def test_a_process_object_cannot_be_built_for_another_pid() -> None:
    system, victim, _, _ = victim_and_attacker()
    with pytest.raises(TypeError, match=r"System\.spawn"):
        Process(system, victim.pid)
    with pytest.raises(TypeError, match=r"System\.spawn"):
        Process(system, victim.pid, object())  # a token of one's own


@pytest.mark.parametrize("cls", [Handle, Port, Channel, SharedBuffer])
def test_handle_objects_cannot_be_built(cls: type[Handle]) -> None:
    _, victim, attacker, _ = victim_and_attacker()
    for proc in (victim, attacker):
        with pytest.raises(TypeError, match="made by"):
            cls(proc, 1)
    with pytest.raises(TypeError, match="made by"):
        cls(attacker, True)  # ill-typed handles neither


def test_sockets_and_namespaces_cannot_be_built() -> None:
    _, victim, _, _ = victim_and_attacker()
    with pytest.raises(TypeError, match="made by"):
        Socket(victim, 0)
    with pytest.raises(TypeError, match="made by"):
        Namespace(victim)


def test_identities_are_read_only() -> None:
    _, victim, attacker, port = victim_and_attacker()
    out = attacker.namespace.lookup("svc")
    sock = attacker.socket()
    cases: list[tuple[Any, str, object]] = [
        (out, "process", victim),
        (out, "handle", port.handle),
        (attacker, "pid", victim.pid),
        (attacker, "system", System()),
        (sock, "process", victim),
        (sock, "fd", 3),
    ]
    for obj, name, value in cases:
        with pytest.raises(AttributeError):
            setattr(obj, name, value)
    with pytest.raises(AttributeError):
        out.extra = 1  # type: ignore[attr-defined]  # no new attributes (slots)
    assert out.process is attacker
    assert attacker.pid != victim.pid


def test_the_sender_is_always_the_real_one() -> None:
    system, victim, attacker, port = victim_and_attacker()
    out = attacker.namespace.lookup("svc")
    # The forgery of issue 8: acting as the victim through a Process object
    # built for its pid.
    with pytest.raises(TypeError):
        Port(Process(system, victim.pid), port.handle).send_nowait(b"forged")
    out.send_nowait(b"a")
    out.send(b"b", timeout=0)
    assert [port.receive_nowait().sender for _ in range(2)] == [attacker.pid] * 2
    with pytest.raises(IpcException) as e:
        port.receive_nowait()
    assert e.value.error is IpcError.WouldBlock  # nothing forged was queued


def test_handle_object_wraps_only_the_process_own_live_handles() -> None:
    _, victim, attacker, port = victim_and_attacker()
    ch = victim.create_channel(2, 8)
    got = victim.handle_object(port.handle)
    assert type(got) is Port
    assert got.process is victim
    assert type(victim.handle_object(ch.handle)) is Channel
    for bad in (99, -1, True, "1"):
        with pytest.raises(IpcException) as e:
            victim.handle_object(bad)  # type: ignore[arg-type]
        assert e.value.error is IpcError.InvalidCapability
    with pytest.raises(IpcException):  # the attacker holds no such handle
        attacker.handle_object(ch.handle + 1)
