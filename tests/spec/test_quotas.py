"""Resource quotas (spec/quotas.py): handles per process, objects per system,
queued bytes per process. Exhaustion is ``OutOfMemory``, checked after every
rights and argument check, and changes nothing (ERR-ATOMIC: ``World`` checks
it on every step); the model gives the same results on the same steps."""

from __future__ import annotations

import pytest

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Config, Delivered, Err, IpcError, Ok, Result
from veridian_ipc.spec.quotas import handles_used, queued_bytes
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, READ, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Connect,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
    Socket,
)

from .conftest import World

OOM = Err(IpcError.OutOfMemory)


def test_handle_quota_is_reached_by_every_install(world: type[World]) -> None:
    """Create, derive, lookup and connect each need a free handle; a refused
    derive's errors come first (InsufficientRights before OutOfMemory)."""
    w = world(2, Config(max_handles=2))
    port = w.handle(1, CreatePort(2))
    w.ok(1, Bind(port, "n", 0, PORT_RIGHTS))
    reader = w.handle(1, Derive(port, SEND))
    assert handles_used(w.s, Pid(1)) == 2
    for op in (
        CreatePort(1),
        CreateChannel(1, 1),
        CreateBuffer(1),
        Derive(port, SEND),
        Lookup("n"),
        Connect("n", 0),
    ):
        w.err(1, op, IpcError.OutOfMemory)
    w.err(1, Derive(reader, READ), IpcError.InsufficientRights)
    w.err(1, Lookup("unbound"), IpcError.PortNotFound)
    w.ok(1, Drop(reader))
    w.handle(1, Lookup("n"))


def test_object_quota_counts_every_object(world: type[World]) -> None:
    """Ports, channels, buffers and sockets draw on one system-wide quota."""
    w = world(2, Config(max_objects=3))
    w.handle(1, CreatePort(1))
    w.handle(2, CreateChannel(1, 1))
    w.handle(1, Socket(None))
    for op in (CreatePort(1), CreateChannel(1, 1), CreateBuffer(1), Socket(None)):
        w.err(2, op, IpcError.OutOfMemory)
    w.err(2, CreatePort(0), IpcError.InvalidArgument)  # arguments first


def test_queued_bytes_quota_counts_until_collected(world: type[World]) -> None:
    """Queued data counts against its sender until received; a message handed
    to a waiting receiver counts until it is collected; a full port says
    PortFull first."""
    w = world(2, Config(max_queued_bytes=4))
    port = w.handle(2, CreatePort(3))
    w.ok(2, Bind(port, "in", 0, PORT_RIGHTS))
    to2 = w.handle(1, Lookup("in"))
    w.ok(1, Send(to2, 0, 0, b"abc", ()))
    w.err(1, Send(to2, 0, 0, b"de", ()), IpcError.OutOfMemory)
    w.ok(1, Send(to2, 0, 0, b"d", ()))
    assert queued_bytes(w.s, Pid(1)) == 4
    w.ok(1, Send(to2, 0, 0, b"", ()))  # no data: nothing to charge
    w.err(1, Send(to2, 0, 0, b"e", ()), IpcError.PortFull)
    for _ in range(3):
        w.delivered(2, Receive(port, 0))
    w.ok(2, Receive(port, None))  # blocks
    w.err(1, Send(to2, 0, 0, b"hello", ()), IpcError.OutOfMemory)  # waiter or not
    w.ok(1, Send(to2, 0, 0, b"hell", ()))  # handed off: counted until collected
    assert queued_bytes(w.s, Pid(1)) == 4
    assert w.delivered(2, Resume()).data == b"hell"
    assert queued_bytes(w.s, Pid(1)) == 0


def test_receive_that_does_not_fit_leaves_the_message_queued(
    world: type[World],
) -> None:
    """A receive whose capabilities do not fit fails and the message stays
    first in the queue; a waiter that cannot take them is woken with
    OutOfMemory and the message queued (nothing lost)."""
    w = world(2, Config(max_handles=2))
    port = w.handle(2, CreatePort(2))
    w.ok(2, Bind(port, "in", 0, PORT_RIGHTS))
    to2 = w.handle(1, Lookup("in"))
    spare = w.handle(1, CreatePort(1))
    w.handle(2, CreatePort(1))  # process 2's table is full now
    w.ok(1, Send(to2, 5, 0, b"x", (spare,)))
    w.err(2, Receive(port, 0), IpcError.OutOfMemory)
    before = w.s
    w.err(2, Receive(port, 0), IpcError.OutOfMemory)
    assert w.s == before
    w.ok(2, Drop(2))
    got = w.delivered(2, Receive(port, 0))
    assert got.msg_type == 5
    assert got.caps[0] is not None
    # hand-off: the only waiter cannot take the capability
    w.ok(2, Receive(port, None))
    again = w.handle(1, Derive(to2, SEND | GRANT))
    w.ok(1, Send(to2, 6, 0, b"", (again,)))
    w.err(2, Resume(), IpcError.OutOfMemory)
    w.ok(2, Drop(got.caps[0]))
    assert w.delivered(2, Receive(port, 0)).msg_type == 6


def _both(config: Config, steps: list[tuple[int, Operation]]) -> list[Result]:
    """Run ``steps`` on the spec and on the model; their results agree."""
    from veridian_ipc.spec import initial_state, step

    s, k = initial_state(2, config), Kernel(2, config)
    out: list[Result] = []
    for pid, op in steps:
        s, want = step(s, pid, op)
        got = k.apply(pid, op)
        assert got == want, (op, got, want)
        out.append(want)
    return out


#: The steps of ``test_model_follows_every_quota`` that exhaust a quota.
EXPECTED_OOM = [5, 7, 10, 12]


def test_model_follows_every_quota() -> None:
    """Handles (derive, receive), queued bytes (send) and objects (socket)."""
    rs = _both(
        Config(max_handles=3, max_objects=5, max_queued_bytes=3),
        [
            (2, CreatePort(2)),
            (2, Bind(1, "in", 0, PORT_RIGHTS)),
            (1, Lookup("in")),
            (1, CreatePort(1)),
            (1, Derive(2, PORT_RIGHTS)),
            (1, Derive(2, SEND)),  # 5: handles
            (1, Send(1, 0, 0, b"ab", (3,))),
            (1, Send(1, 0, 0, b"cd", ())),  # 7: queued bytes
            (2, CreatePort(1)),
            (2, CreatePort(1)),
            (2, Receive(1, 0)),  # 10: the capability does not fit
            (2, Socket(None)),
            (1, Socket(None)),  # 12: objects
        ],
    )
    assert [i for i, r in enumerate(rs) if r == OOM] == EXPECTED_OOM


def test_model_hands_off_only_to_a_waiter_with_room() -> None:
    """PORT-HANDOFF: a waiter without room is woken with OutOfMemory and the
    message is queued, in the model as in the spec."""
    rs = _both(
        Config(max_handles=2),
        [
            (2, CreatePort(2)),
            (2, Bind(1, "in", 0, PORT_RIGHTS)),
            (1, Lookup("in")),
            (1, CreatePort(1)),
            (2, CreatePort(1)),
            (2, Receive(1, None)),
            (1, Send(1, 6, 0, b"", (2,))),
            (2, Resume()),
            (2, Drop(2)),
            (2, Receive(1, 0)),
        ],
    )
    assert rs[7] == OOM
    assert isinstance(rs[9], Ok)
    assert isinstance(rs[9].value, Delivered)


@pytest.mark.parametrize("field", ["max_handles", "max_objects", "max_queued_bytes"])
def test_quota_fields_are_bounded(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Config(**{field: 0})
