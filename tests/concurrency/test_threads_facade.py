"""PROC-THREAD through the threaded facade: each OS thread acts as its own
spec thread (``Process.spawn_thread``) of one process, and blocks on its own."""

from __future__ import annotations

import threading

import pytest

from veridian_ipc.model import IpcException, System
from veridian_ipc.model.state import Port as KPort


def _waiters(system: System, obj: int) -> int:
    with system.lock:
        port = system.kernel.state.objects[obj]
        assert isinstance(port, KPort)
        return len(port.waiters or ())


def _until(pred: object) -> None:
    event = threading.Event()
    for _ in range(2000):
        if pred():  # type: ignore[operator]
            return
        event.wait(0.005)
    raise AssertionError("condition not reached")


def test_two_threads_of_one_process_wait_on_one_port_served_fifo() -> None:
    system = System()
    a, b = system.spawn(), system.spawn()
    a2 = a.spawn_thread()
    port = a.create_port(4)
    port2 = a2.handle_object(port.handle)  # the same handle, shared table
    got: dict[str, bytes] = {}

    def take(name: str, p: object) -> None:
        got[name] = p.receive(5.0).data  # type: ignore[attr-defined]

    first = threading.Thread(target=take, args=("first", port))
    first.start()
    kobj = next(iter(system.kernel.state.objects))
    _until(lambda: _waiters(system, kobj) == 1)
    second = threading.Thread(target=take, args=("second", port2))
    second.start()
    _until(lambda: _waiters(system, kobj) == 2)
    sender = b.namespace
    port.bind("svc")
    to = sender.lookup("svc")
    to.send(b"one")
    to.send(b"two")
    first.join(5)
    second.join(5)
    assert got == {"first": b"one", "second": b"two"}


def test_a_thread_acts_while_its_sibling_blocks_and_kill_ends_both() -> None:
    system = System()
    a = system.spawn()
    a2 = a.spawn_thread()
    port = a.create_port(4)
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            port.receive(5.0)
        except IpcException as e:
            errors.append(e)

    t = threading.Thread(target=wait)
    t.start()
    kobj = next(iter(system.kernel.state.objects))
    _until(lambda: _waiters(system, kobj) == 1)
    copy = a2.handle_object(port.handle)
    assert len(a2.handles()) == 1
    assert copy.handle == port.handle
    a2.kill()  # the whole process: the blocked receive ends
    t.join(5)
    assert not t.is_alive()
    assert len(errors) == 1
    with pytest.raises(IpcException):
        a.create_port(1)
