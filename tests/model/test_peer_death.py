"""Peer death in the model: it follows the spec's decisions step for step.

Each scenario is a list of (pid, operation, expected result); it is applied to
``Kernel.apply`` and to ``spec.step`` and both must give exactly the expected
results (NS-BIND, PORT-CLOSE).
"""

from __future__ import annotations

import threading

import pytest

from veridian_ipc.model import IpcException, System
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Err, IpcError, Ok, Result, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.results import BLOCKED, CapInfo, Delivered
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, RECEIVE, SEND

Scenario = list[tuple[int, sc.Operation, Result]]

NOT_FOUND = Err(IpcError.PortNotFound)
WAIT = 10.0  # seconds: an upper bound for any wait, never reached when correct

#: A closed port's names go; they can be bound again (NS-BIND, PORT-CLOSE).
CLOSE_UNBINDS: Scenario = [
    (1, sc.CreatePort(2), Ok(1)),
    (1, sc.Bind(1, "svc", 7), Ok(None)),
    (2, sc.Lookup("svc"), Ok(1)),
    (1, sc.Close(1), Ok(0)),
    (2, sc.Lookup("svc"), NOT_FOUND),
    (2, sc.Connect("svc", 7), NOT_FOUND),
    (1, sc.Bind(1, "other", 7), Err(IpcError.PortClosed)),
    (2, sc.CreatePort(1), Ok(2)),
    (2, sc.Bind(2, "svc", 7), Ok(None)),
    (1, sc.Connect("svc", 7), Ok(2)),
]


#: P1 serves a port; P2 holds SEND only (through a name) and queues a message
#: carrying its own port's only capability; P1 is killed: the port closes, its
#: queue and the carried capability are destroyed, and P2's other port with
#: them; the name is gone (PORT-CLOSE, spec/orphans.py).
KILL_CLOSES: Scenario = [
    (1, sc.CreatePort(2), Ok(1)),
    (1, sc.Derive(1, SEND | GRANT), Ok(2)),
    (1, sc.Bind(2, "svc", 0), Ok(None)),
    (2, sc.Lookup("svc"), Ok(1)),
    (2, sc.CreatePort(1), Ok(2)),
    (2, sc.Send(1, 0, 0, b"a", (2,)), Ok(None)),
    (0, sc.Kill(1), Ok(None)),
    (2, sc.Send(1, 0, 0, b"b", ()), Err(IpcError.PortClosed)),
    (2, sc.Lookup("svc"), NOT_FOUND),
]

#: The last RECEIVE is dropped, then one goes into its own port's queue.
DROP_AND_CYCLE: Scenario = [
    (1, sc.CreatePort(2), Ok(1)),
    (1, sc.Derive(1, SEND), Ok(2)),
    (1, sc.Derive(1, RECEIVE | GRANT), Ok(3)),
    (1, sc.Drop(1), Ok(None)),
    (1, sc.Send(2, 0, 0, b"x", ()), Ok(None)),
    (1, sc.Send(2, 0, 0, b"loop", (3,)), Ok(None)),
    (1, sc.Send(2, 0, 0, b"y", ()), Err(IpcError.PortClosed)),
    (1, sc.CreatePort(1), Ok(4)),
    (1, sc.Derive(4, SEND), Ok(5)),
    (1, sc.Revoke(5), Ok(0)),
    (1, sc.Drop(4), Ok(None)),
    (1, sc.Send(5, 0, 0, b"", ()), Err(IpcError.PortClosed)),
]

#: P1 blocks in a receive; P2's message carrying a capability is handed to it;
#: P1 is killed before ``Resume``: the message goes back to the queue head in
#: the slot it kept (the port stays full), and P3 receives it, capability and
#: all (PORT-HANDOFF, PROC-KILL).
HANDOFF_KILLED_TO_QUEUE: Scenario = [
    (1, sc.CreatePort(1), Ok(1)),
    (1, sc.Bind(1, "svc", 0, PORT_RIGHTS), Ok(None)),
    (2, sc.Lookup("svc"), Ok(1)),
    (3, sc.Lookup("svc"), Ok(1)),
    (2, sc.CreatePort(2), Ok(2)),
    (1, sc.Receive(1, None), Ok(BLOCKED)),
    (2, sc.Send(1, 4, 0, b"m", (2,)), Ok(None)),
    (2, sc.Send(1, 5, 0, b"n", ()), Err(IpcError.PortFull)),
    (0, sc.Kill(1), Ok(None)),
    (2, sc.Send(1, 5, 0, b"n", ()), Err(IpcError.PortFull)),
    (3, sc.Receive(1, 0), Ok(Delivered(2, 4, 0, b"m", (2,)))),
    (3, sc.Inspect(2), Ok(CapInfo("port", PORT_RIGHTS))),
]

#: The same with another receiver waiting: the message goes to it at once.
HANDOFF_KILLED_TO_NEXT: Scenario = [
    (1, sc.CreatePort(2), Ok(1)),
    (1, sc.Bind(1, "svc", 0, PORT_RIGHTS), Ok(None)),
    (2, sc.Lookup("svc"), Ok(1)),
    (3, sc.Lookup("svc"), Ok(1)),
    (1, sc.Receive(1, None), Ok(BLOCKED)),
    (3, sc.Receive(1, None), Ok(BLOCKED)),
    (2, sc.Send(1, 4, 0, b"m", ()), Ok(None)),
    (0, sc.Kill(1), Ok(None)),
    (3, sc.Resume(), Ok(Delivered(2, 4, 0, b"m", ()))),
]


def run(scenario: Scenario, processes: int = 2) -> None:
    """Apply ``scenario`` to the model and the spec; both give its results."""
    k = Kernel(processes)
    s = initial_state(processes)
    for pid, op, expected in scenario:
        s, want = step(s, pid, op)
        got = k.apply(pid, op)
        assert (got, want) == (expected, expected), op
        assert k.observe() == observe(s), op


def test_close_unbinds_in_the_model() -> None:
    run(CLOSE_UNBINDS)


def test_kill_of_the_only_receiver_closes_in_the_model() -> None:
    run(KILL_CLOSES, processes=3)


def test_drop_and_cycle_close_in_the_model() -> None:
    run(DROP_AND_CYCLE)


def test_a_hand_off_to_a_killed_receiver_goes_back_to_the_queue_head() -> None:
    run(HANDOFF_KILLED_TO_QUEUE, processes=3)


def test_a_hand_off_to_a_killed_receiver_goes_to_the_next_waiter() -> None:
    run(HANDOFF_KILLED_TO_NEXT, processes=3)


def test_a_sender_blocked_for_room_gets_port_closed_when_the_receiver_dies() -> None:
    """The threaded facade: a thread blocked in ``send`` on a full port is
    woken with ``PortClosed`` when the only process that could receive is
    killed, and so is every later send (not ``PortFull``)."""
    system = System()
    server, client = system.spawn(), system.spawn()
    port = server.create_port(1)
    server.namespace.bind("svc", port.derive(SEND | GRANT))
    to_server = client.namespace.lookup("svc")
    to_server.send_nowait(b"1")
    out: list[object] = []

    def blocked_send() -> None:
        try:
            to_server.send(b"2", timeout=WAIT)
        except IpcException as e:
            out.append(e.error)

    t = threading.Thread(target=blocked_send, daemon=True)
    t.start()
    ev = threading.Event()
    for _ in range(10_000):  # bounded spin until the sender waits for room
        with to_server._lock:
            if to_server._kp.handles[to_server.handle].obj.senders:
                break
        ev.wait(0.001)
    server.kill()
    t.join(WAIT)
    assert out == [IpcError.PortClosed]
    with pytest.raises(IpcException) as e:
        to_server.send_nowait(b"3")
    assert e.value.error is IpcError.PortClosed
