"""CAP-RECLAIM: an object no capability can reach is destroyed (spec/reclaim.py),
with the capabilities its queue carries; cycles of ports included (issue 12,
items 1 and 3). And what a revoke does to capabilities in flight and to
messages queued through a revoked SEND capability (RIGHTS-REVOKE,
MSG-INFLIGHT-REVOKE; item 6)."""

from __future__ import annotations

from veridian_ipc.spec import CapInfo, InvId, IpcError, violations
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.reclaim import reachable, reclaim, unreachable
from veridian_ipc.spec.state import Port
from veridian_ipc.spec.step import apply_rule
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelSend,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Receive,
    Revoke,
    Send,
    Unbind,
)

from .conftest import World


def _objects(w: World) -> dict[str, list[int]]:
    o = observe(w.s)
    return {k: sorted(o[k]) for k in ("ports", "channels", "buffers")}


def test_dropping_the_last_capability_destroys_each_kind(world: type[World]) -> None:
    """CAP-RECLAIM: the last capability of a port, a channel or a buffer
    dropped, the object leaves the observation; its stale handle gives
    InvalidCapability (CAP-HANDLE)."""
    w = world(1)
    p = w.handle(1, CreatePort(2))
    c = w.handle(1, CreateChannel(2, 4))
    w.ok(1, ChannelSend(c, b"x"))
    b = w.handle(1, CreateBuffer(8))
    extra = w.handle(1, Derive(p, SEND))
    w.ok(1, Drop(p))
    assert _objects(w) == {"ports": [1], "channels": [2], "buffers": [3]}
    for h in (extra, c, b):
        w.ok(1, Drop(h))
    assert _objects(w) == {"ports": [], "channels": [], "buffers": []}
    assert len(w.s.objects) == 0
    assert len(w.s.caps) == 0
    w.err(1, Inspect(c), IpcError.InvalidCapability)
    assert w.handle(1, CreatePort(1)) > b  # numbers are never reused
    assert sorted(observe(w.s)["ports"]) == [4]


def test_a_self_cycle_is_reclaimed(world: type[World]) -> None:
    """Item 3: Derive(root, SEND), send root through the derived handle, drop
    it: the port held only by its own queue is destroyed, and what the queue
    carried with it (a channel here), recursively."""
    w = world(1)
    root = w.handle(1, CreatePort(2))
    chan = w.handle(1, CreateChannel(1, 1))
    via = w.handle(1, Derive(root, SEND))
    w.ok(1, Send(via, 0, 0, b"", (root, chan)))
    w.ok(1, Drop(via))
    assert _objects(w) == {"ports": [], "channels": [], "buffers": []}
    assert len(w.s.caps) == 0


def test_a_two_port_ring_is_reclaimed(world: type[World]) -> None:
    """Item 3: each of two ports holds the only RECEIVE of the other."""
    w = world(1)
    a = w.handle(1, CreatePort(2))
    b = w.handle(1, CreatePort(2))
    to_a = w.handle(1, Derive(a, SEND))
    to_b = w.handle(1, Derive(b, SEND))
    w.ok(1, Send(to_b, 0, 0, b"", (a,)))
    w.ok(1, Send(to_a, 0, 0, b"", (b,)))
    w.ok(1, Drop(to_a))
    assert _objects(w)["ports"] == [2]
    w.ok(1, Drop(to_b))
    assert _objects(w)["ports"] == []


def test_reclaim_alone_settles_a_cycle_with_its_cargo(world: type[World]) -> None:
    """The rule by itself, without PORT-CLOSE's abandoning first: a port whose
    only capabilities are in its own queue is unreachable, and destroying it
    destroys what it carries, recursively (a channel only it held). The state
    before is caught by INV-NO-UNREACHABLE (a clause of INV-CAP-LOCATION)."""
    w = world(1)
    root = w.handle(1, CreatePort(2))
    chan = w.handle(1, CreateChannel(1, 1))
    via = w.handle(1, Derive(root, SEND | GRANT))
    s, _ = apply_rule(w.s, Pid(1), Send(via, 0, 0, b"", (root, chan)))
    s, _ = apply_rule(s, Pid(1), Drop(via))
    assert unreachable(s) == [ObjId(1), ObjId(2)]
    assert reachable(s) == frozenset()
    assert InvId.CAP_LOCATION in violations(s)
    after = reclaim(s)
    assert len(after.objects) == 0
    assert len(after.caps) == 0
    assert violations(after) == []
    assert reclaim(after) is after  # nothing left to do: the same state


def test_a_reachable_port_in_a_queue_stays(world: type[World]) -> None:
    """A port whose only capability is in flight on a reachable port is
    reachable: it is kept, and received later."""
    w = world(1)
    inbox = w.handle(1, CreatePort(2))
    other = w.handle(1, CreatePort(2))
    w.ok(1, Send(inbox, 0, 0, b"", (other,)))
    assert _objects(w)["ports"] == [1, 2]
    (got,) = w.delivered(1, Receive(inbox, 0)).caps
    assert got is not None
    assert w.info(1, Inspect(got)) == CapInfo("port", PORT_RIGHTS)


def test_kill_and_unbind_reclaim_what_they_held(world: type[World]) -> None:
    """A killed process's objects and a binding's port go with their last
    capability."""
    w = world(2)
    w.handle(2, CreatePort(1))
    named = w.handle(1, CreatePort(1))
    w.ok(1, Bind(named, "n"))
    w.ok(1, Kill(2))
    assert _objects(w)["ports"] == [2]
    looked = w.handle(1, Lookup("n"))
    w.ok(1, Drop(looked))
    w.ok(1, Unbind(named, "n"))
    assert _objects(w)["ports"] == [2]
    w.ok(1, Drop(named))
    assert _objects(w)["ports"] == []


def test_a_revoke_keeps_messages_queued_through_the_revoked_send(
    world: type[World],
) -> None:
    """Item 6 (RIGHTS-REVOKE, MSG-INFLIGHT-REVOKE): revoking the SEND
    capability a message was sent through does not cancel the message, and
    the capabilities it carries that do not descend from the revoked one are
    installed at delivery; one that descends from it arrives as None."""
    w = world(2)
    server = w.handle(1, CreatePort(2))
    client_send = w.handle(1, Derive(server, SEND | GRANT))
    w.ok(1, Bind(client_send, "s", 0, SEND | GRANT))
    c = w.handle(2, Lookup("s"))
    own = w.handle(2, CreatePort(1))
    relay = w.handle(2, Derive(c, SEND | GRANT))
    w.ok(2, Send(c, 7, 0, b"hi", (own, relay)))
    # its derived handle, the binding's copy, c, and relay (in flight)
    assert w.ok(1, Revoke(server)) == 4
    w.err(2, Send(c, 0, 0, b""), IpcError.InvalidCapability)
    got = w.delivered(1, Receive(server, 0))
    assert (got.sender, got.msg_type, got.data) == (2, 7, b"hi")
    kept, revoked = got.caps
    assert revoked is None
    assert kept is not None
    assert w.info(1, Inspect(kept)) == CapInfo("port", PORT_RIGHTS)
    assert isinstance(w.s.objects[ObjId(2)], Port)
