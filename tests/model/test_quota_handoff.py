"""The model's queued-bytes quota counts a hand-off until it is collected
(model/quotas.py, spec/quotas.py): the two ways past ``max_queued_bytes``
that a free hand-off allowed, on the model alone."""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.model.quotas import queued_bytes
from veridian_ipc.spec import Config, Err, IpcError, Ok
from veridian_ipc.vocabulary.results import BLOCKED
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    Receive,
    Resume,
    Send,
)

OOM = Err(IpcError.OutOfMemory)


def _kernel(config: Config) -> Kernel:
    """Process 2's port (handle 1, capacity 2) bound as "in"; process 1 holds
    a SEND capability to it (handle 1) and a port of its own (handle 2)."""
    k = Kernel(2, config)
    for pid, op in (
        (2, CreatePort(2)),
        (2, Bind(1, "in", 0, PORT_RIGHTS)),
        (1, Lookup("in")),
        (1, CreatePort(1)),
    ):
        assert isinstance(k.apply(pid, op), Ok), op
    return k


def test_a_send_to_an_unfit_waiter_is_charged() -> None:
    """Bug 1: the only waiter has no room for the capability; a send over the
    quota fails before the waiter is refused (it keeps waiting), one within it
    wakes the waiter with OutOfMemory and is queued."""
    k = _kernel(Config(max_handles=2, max_queued_bytes=1))
    assert isinstance(k.apply(2, Derive(1, SEND)), Ok)
    assert k.apply(2, Receive(1, None)) == Ok(BLOCKED)
    assert k.apply(1, Send(1, 0, 0, b"ab", (2,))) == OOM
    assert queued_bytes(k.state, 1) == 0
    assert k.apply(1, Send(1, 0, 0, b"a", (2,))) == Ok(None)
    assert k.apply(2, Resume()) == OOM
    assert queued_bytes(k.state, 1) == 1


def test_a_handoff_counts_until_collected_and_after_a_kill() -> None:
    """Bug 2: the hand-off's bytes count in its kept slot, so a second send is
    refused; the kill that gives it back to the queue moves counted bytes."""
    k = _kernel(Config(max_queued_bytes=1))
    assert k.apply(2, Receive(1, None)) == Ok(BLOCKED)
    assert k.apply(1, Send(1, 0, 0, b"a", ())) == Ok(None)
    assert queued_bytes(k.state, 1) == 1
    assert k.apply(1, Send(1, 0, 0, b"b", ())) == OOM
    assert isinstance(k.apply(1, Kill(2)), Ok)
    assert queued_bytes(k.state, 1) == 1
    assert k.apply(1, Send(1, 0, 0, b"b", ())) == OOM


def test_collecting_a_handoff_gives_its_bytes_back() -> None:
    k = _kernel(Config(max_queued_bytes=1))
    assert k.apply(2, Receive(1, None)) == Ok(BLOCKED)
    assert k.apply(1, Send(1, 0, 0, b"a", ())) == Ok(None)
    assert isinstance(k.apply(2, Resume()), Ok)
    assert queued_bytes(k.state, 1) == 0
    assert k.apply(1, Send(1, 0, 0, b"b", ())) == Ok(None)
