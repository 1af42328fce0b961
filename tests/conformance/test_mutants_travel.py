"""The mutants for the behaviours a short random walk seldom reaches
(``mutants_tree``, ``mutants_travel``, ``mutants_waits`` and the newer ones
of the group modules), one direct scenario each.

Each scenario runs the same operations on the spec and on the mutant: the
spec gives the answer its rules state (asserted here, so a scenario that
stopped exercising the rule would fail), and the mutant gives another one at
the step named, from the same state. A scenario is a list of ``(pid,
operation)``; pid 0 issues the environment's operations (``AdvanceClock``).
"""

from __future__ import annotations

from collections.abc import Sequence

from veridian_ipc.conformance import mutants
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.monitors import observation_violations
from veridian_ipc.conformance.mutants import MUTANTS, Mutant
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import InvId
from veridian_ipc.spec import IpcError as E
from veridian_ipc.vocabulary.results import BLOCKED, CapInfo, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.rights import (
    BUFFER_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    RECEIVE,
    SEND,
)
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    Close,
    Connect,
    CreateBuffer,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Operation,
    RateLimit,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockBind,
    Socket,
    SockRecv,
    Spawn,
    TransferBuffer,
    Unbind,
)

from .test_mutants_blocking import SCENARIOS as BLOCKING
from .test_mutants_resources import SCENARIOS as RESOURCES
from .test_mutants_threads import SCENARIOS as THREADS

Scenario = Sequence[tuple[int, Operation]]

#: The names of the mutants added for the hard behaviours (issue 11).
HARD = [m.__name__ for m in MUTANTS[49:]]


def run(target: type, scenario: Scenario) -> list[Result]:
    """The results of ``scenario`` on a fresh ``target`` with 3 processes."""
    t = target(3, SMALL_CONFIG)
    return [t.apply(pid, op) for pid, op in scenario]


def port_info(rights: int) -> Ok[CapInfo]:
    """What ``Inspect`` reports for a port capability with ``rights``."""
    return Ok(CapInfo("port", rights))


#: P1 creates port 1 (P1's handle 1) and publishes it as "svc"; P2 looks it
#: up (P2's handle 1, every port right): the port is now shared.
SHARED: Scenario = [
    (1, CreatePort(2)),
    (1, Bind(1, "svc", 0, PORT_RIGHTS)),  # every right, published explicitly
    (2, Lookup("svc")),
]


def diverges(
    mutant: type[Mutant], scenario: Scenario, at: int, spec_says: Result
) -> Result:
    """Run ``scenario`` on the spec and on ``mutant``: they agree before step
    ``at``; there the spec gives ``spec_says`` and the mutant something else,
    which is returned."""
    spec = run(SpecTarget, scenario)
    bent = run(mutant, scenario)
    at = at % len(scenario)
    assert spec[at] == spec_says
    assert bent[:at] == spec[:at]
    assert bent[at] != spec[at]
    return bent[at]


def test_every_new_mutant_has_a_scenario() -> None:
    assert len(HARD) >= 15
    assert sorted(HARD) == sorted(SCENARIOS)
    for name in HARD:
        assert getattr(mutants, name).rules


# -- the derivation tree and revocation -------------------------------------------


def test_derive_keeps_grant() -> None:
    ops = [(1, CreatePort(2)), (1, Derive(1, SEND)), (1, Inspect(2))]
    got = diverges(mutants.DeriveKeepsGrant, ops, -1, port_info(SEND))
    assert got == port_info(SEND | GRANT)


def test_deep_derive_is_root() -> None:
    ops = [
        (1, CreatePort(2)),
        (1, Derive(1, PORT_RIGHTS)),
        (1, Derive(2, SEND)),  # depth 3
        (1, Revoke(1)),
        (1, Inspect(3)),
    ]
    assert diverges(mutants.DeepDeriveIsRoot, ops, 3, Ok(2)) == Ok(1)
    assert run(mutants.DeepDeriveIsRoot, ops)[-1] == port_info(SEND)


def test_derive_forgets_sibling() -> None:
    ops = [
        (1, CreatePort(2)),
        (1, Derive(1, SEND)),
        (1, Derive(1, RECEIVE)),
        (1, Revoke(1)),
        (1, Inspect(2)),
    ]
    assert diverges(mutants.DeriveForgetsSibling, ops, 3, Ok(2)) == Ok(1)
    assert run(SpecTarget, ops)[-1] == Err(E.InvalidCapability)
    assert run(mutants.DeriveForgetsSibling, ops)[-1] == port_info(SEND)


def test_drop_orphans_children() -> None:
    """Revoke reaches a descendant through a dropped intermediate."""
    ops = [
        (1, CreatePort(2)),
        (1, Derive(1, PORT_RIGHTS)),
        (1, Derive(2, SEND)),
        (1, Drop(2)),
        (1, Revoke(1)),
    ]
    assert diverges(mutants.DropOrphansChildren, ops, -1, Ok(1)) == Ok(0)


def test_revoke_spares_bindings() -> None:
    ops = [*SHARED[:2], (1, Revoke(1)), (2, Lookup("svc"))]
    assert diverges(mutants.RevokeSparesBindings, ops, 2, Ok(1)) == Ok(0)
    assert run(SpecTarget, ops)[-1] == Err(E.PortNotFound)
    assert run(mutants.RevokeSparesBindings, ops)[-1] == Ok(1)


def test_revoked_waiter_sees_closed() -> None:
    """P2 waits through a capability it looked up; P1 revokes it."""
    ops = [*SHARED, (2, Receive(1, None)), (1, Revoke(1)), (2, Resume())]
    got = diverges(mutants.RevokedWaiterSeesClosed, ops, -1, Err(E.InvalidCapability))
    assert got == Err(E.PortClosed)


# -- capabilities that travel, then are used --------------------------------------

#: P1 sends P2, over the shared port, a SEND|GRANT capability derived from its
#: own; P2 receives it as its handle 2.
SENT_DOWN: Scenario = [
    *SHARED,
    (1, Derive(1, SEND | GRANT)),
    (1, Send(1, 0, 0, b"", (2,))),
    (2, Receive(1, 0)),
]


def test_received_cap_parent_rights() -> None:
    assert run(SpecTarget, SENT_DOWN)[-1] == Ok(Delivered(1, 0, 0, b"", (2,)))
    ops = [*SENT_DOWN, (2, Inspect(2))]
    got = diverges(mutants.ReceivedCapParentRights, ops, -1, port_info(SEND | GRANT))
    assert got == port_info(PORT_RIGHTS)


def test_received_cap_loses_parent() -> None:
    """The binding, P2's looked-up handle and the capability P2 received all
    descend from P1's handle 1: a revoke of it takes all three back."""
    ops = [*SENT_DOWN, (1, Revoke(1)), (2, Inspect(2))]
    assert diverges(mutants.ReceivedCapLosesParent, ops, -2, Ok(3)) == Ok(2)
    assert run(SpecTarget, ops)[-1] == Err(E.InvalidCapability)
    assert run(mutants.ReceivedCapLosesParent, ops)[-1] == port_info(SEND | GRANT)


def test_sender_is_port_owner() -> None:
    """P2 sends through the handle it looked up; the message is P2's."""
    ops = [*SHARED, (2, Send(1, 7, 0, b"hi")), (1, Receive(1, 0))]
    got = diverges(
        mutants.SenderIsPortOwner, ops, -1, Ok(Delivered(2, 7, 0, b"hi", ()))
    )
    assert got == Ok(Delivered(1, 7, 0, b"hi", ()))


def test_fourth_cap_lost() -> None:
    ops = [
        *[(1, CreatePort(1)) for _ in range(5)],
        (1, Send(1, 0, 0, b"", (2, 3, 4, 5))),
        (1, Receive(1, 0)),
    ]
    spec_says = Ok(Delivered(1, 0, 0, b"", (6, 7, 8, 9)))
    got = diverges(mutants.FourthCapLost, ops, -1, spec_says)
    assert got == Ok(Delivered(1, 0, 0, b"", (6, 7, 8)))


def test_handoff_drops_caps() -> None:
    ops = [
        *SHARED,
        (2, Receive(1, None)),
        (1, CreatePort(1)),
        (1, Send(1, 0, 0, b"x", (2,))),
        (2, Resume()),
    ]
    spec_says = Ok(Delivered(1, 0, 0, b"x", (2,)))
    got = diverges(mutants.HandoffDropsCaps, ops, -1, spec_says)
    assert got == Ok(Delivered(1, 0, 0, b"x", (None,)))


def test_handoff_drops_caps_keeps_a_queued_message_whole() -> None:
    ops = [*SHARED, (1, CreatePort(1)), (1, Send(1, 0, 0, b"x", (2,)))]
    ops += [(2, Receive(1, 0))]
    assert run(mutants.HandoffDropsCaps, ops) == run(SpecTarget, ops)


# -- waiting, waking, time ----------------------------------------------------------


def test_handoff_wakes_all() -> None:
    """Two receivers blocked on one port, then two sends: one message each."""
    ops = [
        *SHARED,
        (1, Bind(1, "two", 0, PORT_RIGHTS)),
        (3, Lookup("two")),
        (2, Receive(1, None)),
        (3, Receive(1, None)),
        (1, Send(1, 0, 0, b"a")),
        (1, Send(1, 0, 0, b"b")),
        (3, Resume()),
    ]
    got = diverges(mutants.HandoffWakesAll, ops, -1, Ok(Delivered(1, 0, 0, b"b", ())))
    assert got == Err(E.WouldBlock)  # the spurious wake-up, P3 never got b


def test_closed_port_no_drain() -> None:
    """Close with a message queued: it is still received, then PortClosed."""
    ops = [
        (1, CreatePort(2)),
        (1, Send(1, 0, 0, b"a")),
        (1, Close(1)),
        (1, Receive(1, 0)),
    ]
    got = diverges(mutants.ClosedPortNoDrain, ops, -1, Ok(Delivered(1, 0, 0, b"a", ())))
    assert got == Err(E.PortClosed)


def test_resume_first_result() -> None:
    ops = [
        *SHARED,
        (1, Receive(1, 1)),
        (0, AdvanceClock(1)),
        (1, Resume()),
        (1, Receive(1, None)),
        (2, Send(1, 0, 0, b"m")),
        (1, Resume()),
    ]
    assert run(SpecTarget, ops)[5] == Err(E.Timeout)
    got = diverges(mutants.ResumeFirstResult, ops, -1, Ok(Delivered(2, 0, 0, b"m", ())))
    assert got == Err(E.Timeout)


def test_expiry_strict() -> None:
    """The clock lands exactly on the deadline."""
    ops = [(1, CreatePort(2)), (1, Receive(1, 2)), (0, AdvanceClock(2)), (1, Resume())]
    assert run(SpecTarget, ops)[1] == Ok(BLOCKED)
    got = diverges(mutants.ExpiryStrict, ops, -1, Err(E.Timeout))
    assert got == Err(E.WouldBlock)
    late = [*ops[:-1], (0, AdvanceClock(1)), (1, Resume())]
    assert run(mutants.ExpiryStrict, late)[-1] == Err(E.Timeout)


def test_advance_expires_one() -> None:
    ops = [
        *SHARED,
        (1, Receive(1, 1)),
        (2, Receive(1, 1)),
        (0, AdvanceClock(1)),
        (2, Resume()),
    ]
    got = diverges(mutants.AdvanceExpiresOne, ops, -1, Err(E.Timeout))
    assert got == Err(E.WouldBlock)


#: A port admitting one message per 2 ticks, drained at tick 0.
DRAINED: Scenario = [
    (1, CreatePort(3)),
    (1, SetFilter(1, rate=RateLimit(burst=1, refill=1, period=2))),
    (1, Send(1, 0, 0, b"")),
    (1, Send(1, 0, 0, b"")),
]


def test_rate_refill_every_tick() -> None:
    ops = [*DRAINED, (0, AdvanceClock(1)), (1, Send(1, 0, 0, b""))]
    assert run(SpecTarget, ops)[3] == Err(E.RateLimited)
    assert diverges(mutants.RateRefillEveryTick, ops, -1, Err(E.RateLimited)) == Ok(
        None
    )


def test_rate_refill_late() -> None:
    """A full period after the drain, the bucket holds a token again."""
    ops = [*DRAINED, (0, AdvanceClock(2)), (1, Send(1, 0, 0, b""))]
    assert diverges(mutants.RateRefillLate, ops, -1, Ok(None)) == Err(E.RateLimited)
    later = [*DRAINED, (0, AdvanceClock(3)), (1, Send(1, 0, 0, b""))]
    assert run(mutants.RateRefillLate, later)[-1] == Ok(None)


# -- namespace, buffers, sockets ------------------------------------------------------


def test_stale_lookup_after_unbind() -> None:
    """Unbind, then lookup."""
    ops = [*SHARED[:2], (1, Unbind(1, "svc")), (2, Lookup("svc"))]
    got = diverges(mutants.StaleLookupAfterUnbind, ops, -1, Err(E.PortNotFound))
    assert got == Ok(1)


def test_stale_lookup_connects_with_the_cached_type() -> None:
    ops = [*SHARED[:2], (1, Unbind(1, "svc")), (2, Connect("svc", 0))]
    ops += [(2, Connect("svc", 5))]
    assert run(SpecTarget, ops)[-2:] == [Err(E.PortNotFound)] * 2
    bent = run(mutants.StaleLookupAfterUnbind, ops)[-2:]
    assert bent == [Ok(1), Err(E.TypeMismatch)]


def test_stale_lookup_ends_when_the_name_is_bound_again() -> None:
    """Bind drops the cache entry: once the new binding goes (revoked, not
    unbound), the name resolves to nothing."""
    ops = [*SHARED[:2], (1, Unbind(1, "svc")), (1, Derive(1, PORT_RIGHTS))]
    ops += [(1, Bind(2, "svc")), (1, Revoke(1)), (2, Lookup("svc"))]
    assert run(mutants.StaleLookupAfterUnbind, ops) == run(SpecTarget, ops)
    assert run(SpecTarget, ops)[-1] == Err(E.PortNotFound)


def test_unbind_name_first() -> None:
    """Unbind of an unbound name through a SEND-only handle: the missing
    MANAGE comes first (RIGHTS-REQUIRED)."""
    ops = [(1, CreatePort(1)), (1, Derive(1, SEND)), (1, Unbind(2, "nope"))]
    got = diverges(mutants.UnbindNameFirst, ops, -1, Err(E.InsufficientRights))
    assert got == Err(E.PortNotFound)
    bound = [*ops[:2], (1, Bind(1, "svc")), (1, Unbind(2, "svc"))]
    assert run(mutants.UnbindNameFirst, bound) == run(SpecTarget, bound)


def test_close_keeps_bindings() -> None:
    """Close a bound port, then look its name up and bind the name anew."""
    ops = [*SHARED[:2], (1, Close(1)), (2, Lookup("svc"))]
    got = diverges(mutants.CloseKeepsBindings, ops, -1, Err(E.PortNotFound))
    assert got == Ok(1)
    rebind = [*ops[:3], (2, CreatePort(1)), (2, Bind(1, "svc"))]
    got = diverges(mutants.CloseKeepsBindings, rebind, -1, Ok(None))
    assert got == Err(E.NameInUse)


def test_orphan_port_stays_open() -> None:
    """Kill the only process holding RECEIVE, then send: ``PortClosed``, not
    ``Ok`` (and later ``PortFull``)."""
    ops = [*SHARED[:2], (1, Derive(1, SEND)), (1, Drop(1)), (1, Send(2, 0, 0, b""))]
    got = diverges(mutants.OrphanPortStaysOpen, ops, -1, Err(E.PortClosed))
    assert got == Ok(None)
    killed = [*SHARED, (2, Derive(1, SEND)), (2, Drop(1)), (0, Kill(1))]
    killed += [(2, Send(2, 0, 0, b""))]
    got = diverges(mutants.OrphanPortStaysOpen, killed, -1, Err(E.PortClosed))
    assert got == Ok(None)


#: P2 waits on the shared port (capacity 2) and P1's message is handed to it.
HANDED: Scenario = [*SHARED, (2, Receive(1, None)), (1, Send(1, 0, 0, b"m"))]


def test_killed_receiver_loses_handoff() -> None:
    """P2 is killed before collecting the hand-off: the message goes back to
    the queue, where P1 receives it (PORT-HANDOFF, PROC-KILL)."""
    ops = [*HANDED, (0, Kill(2)), (1, Receive(1, 0))]
    spec_says = Ok(Delivered(1, 0, 0, b"m", ()))
    got = diverges(mutants.KilledReceiverLosesHandoff, ops, -1, spec_says)
    assert got == Err(E.WouldBlock)


def test_handoff_frees_slot() -> None:
    """The uncollected hand-off keeps its slot: one more message fills the
    port of capacity 2, the next is refused (PORT-SEND)."""
    ops = [*HANDED, (1, Send(1, 0, 0, b"q")), (1, Send(1, 0, 0, b"f"))]
    got = diverges(mutants.HandoffFreesSlot, ops, -1, Err(E.PortFull))
    assert got == Ok(None)


#: P1 holds a buffer through a MANAGE|GRANT capability only (handle 2), and a
#: port (handle 3) to transfer it on.
ATTENUATED_OWNER: Scenario = [
    (1, CreateBuffer(8)),
    (1, Derive(1, MANAGE | GRANT)),
    (1, Drop(1)),
    (1, CreatePort(1)),
]


def test_transfer_needs_read() -> None:
    """A transfer by a holder that lacks READ."""
    ops = [*ATTENUATED_OWNER, (1, TransferBuffer(2, 3))]
    got = diverges(mutants.TransferNeedsRead, ops, -1, Ok(None))
    assert got == Err(E.InsufficientRights)


def test_transfer_full_rights() -> None:
    ops = [*ATTENUATED_OWNER, (1, TransferBuffer(2, 3))]
    ops += [(1, Receive(3, 0)), (1, Inspect(4))]
    assert run(SpecTarget, ops)[-2] == Ok(Delivered(1, 0, 0, b"", (4,)))
    spec_says = Ok(CapInfo("buffer", MANAGE | GRANT))
    got = diverges(mutants.TransferFullRights, ops, -1, spec_says)
    assert got == Ok(CapInfo("buffer", BUFFER_RIGHTS))


def test_recv_drops_caps() -> None:
    """A native send carries a capability to a socket; ``recv()`` installs it."""
    ops = [
        (1, Socket()),
        (1, SockBind(0, "sock")),
        (2, Lookup("sock")),
        (2, CreatePort(1)),
        (2, Send(1, 0, 0, b"hi", (2,))),
        (1, SockRecv(0, 8)),
        (1, Inspect(1)),
    ]
    spec_says = Ok(Delivered(2, 0, 0, b"hi", (1,)))  # the handle, named (POSIX-RECV)
    got = diverges(mutants.RecvDropsCaps, ops, -2, spec_says)
    assert got == Ok(Delivered(2, 0, 0, b"hi", ()))
    assert run(mutants.RecvDropsCaps, ops)[-1] == Err(E.InvalidCapability)


def test_recv_hides_caps() -> None:
    """``recv()`` installs a carried capability; the result must name it."""
    ops = [
        (1, Socket()),
        (1, SockBind(0, "sock")),
        (2, Lookup("sock")),
        (2, CreatePort(1)),
        (2, Send(1, 0, 0, b"hi", (2,))),
        (1, SockRecv(0, 8)),
    ]
    got = diverges(mutants.RecvHidesCaps, ops, -1, Ok(Delivered(2, 0, 0, b"hi", (1,))))
    assert got == Ok(Delivered(2, 0, 0, b"hi", ()))


def test_bind_publishes_held_rights() -> None:
    """The seed's ``bind(name, port.capability)``: a client's lookup gets SEND."""
    ops = [
        (1, CreatePort(2)),
        (1, Bind(1, "svc")),
        (2, Lookup("svc")),
        (2, Inspect(1)),
    ]
    got = diverges(mutants.BindPublishesHeldRights, ops, -1, port_info(SEND))
    assert got == port_info(PORT_RIGHTS)


def test_ambient_namespace() -> None:
    """A process spawned without ``may_lookup`` cannot look a name up."""
    ops = [
        (1, CreatePort(2)),
        (1, Bind(1, "svc")),
        (3, Spawn(may_lookup=False)),
        (4, Lookup("svc")),
    ]
    got = diverges(mutants.AmbientNamespace, ops, -1, Err(E.InsufficientRights))
    assert got == Ok(1)


# -- reclamation and what a revoke does to messages in flight ---------------------


def test_never_reclaims() -> None:
    """The last capability dropped: the spec's observation loses the port
    (CAP-RECLAIM), the mutant's keeps it, and shows it unreachable."""
    ops: Scenario = [(1, CreatePort(1)), (1, Drop(1))]
    spec, bent = SpecTarget(3, SMALL_CONFIG), mutants.NeverReclaims(3, SMALL_CONFIG)
    for pid, op in ops:
        assert spec.apply(pid, op) == bent.apply(pid, op)
    assert spec.observe()["ports"] == {}
    kept = bent.observe()
    assert list(kept["ports"]) == [1]
    assert observation_violations(kept) == [InvId.CAP_LOCATION]


def test_self_cycle_kept() -> None:
    """The port's own RECEIVE sent into its queue through a SEND copy: the
    spec closes the port (nobody can reach it to receive), the mutant keeps
    taking messages."""
    ops = [
        (1, CreatePort(2)),
        (1, Derive(1, SEND)),
        (1, Send(2, 0, 0, b"", (1,))),
        (1, Send(2, 0, 0, b"")),
    ]
    assert diverges(mutants.SelfCycleKept, ops, -1, Err(E.PortClosed)) == Ok(None)


#: P2 sends P1 a message carrying P2's own new port through its looked-up
#: copy; P1 then revokes its root, which destroys that copy (and the
#: binding's), and receives.
QUEUED_THEN_REVOKED: Scenario = [
    *SHARED,
    (2, CreatePort(1)),
    (2, Send(1, 5, 0, b"m", (2,))),
    (1, Revoke(1)),
    (1, Receive(1, 0)),
]


def test_revoke_cancels_queued() -> None:
    spec_says = Ok(Delivered(2, 5, 0, b"m", (2,)))
    got = diverges(mutants.RevokeCancelsQueued, QUEUED_THEN_REVOKED, -1, spec_says)
    assert got == Err(E.WouldBlock)


def test_revoke_strips_carried() -> None:
    spec_says = Ok(Delivered(2, 5, 0, b"m", (2,)))
    got = diverges(mutants.RevokeStripsCarried, QUEUED_THEN_REVOKED, -1, spec_says)
    assert got == Ok(Delivered(2, 5, 0, b"m", (None,)))


SCENARIOS = {
    "UnbindNameFirst": test_unbind_name_first,
    "DeriveKeepsGrant": test_derive_keeps_grant,
    "DeepDeriveIsRoot": test_deep_derive_is_root,
    "DeriveForgetsSibling": test_derive_forgets_sibling,
    "DropOrphansChildren": test_drop_orphans_children,
    "RevokeSparesBindings": test_revoke_spares_bindings,
    "RevokedWaiterSeesClosed": test_revoked_waiter_sees_closed,
    "ReceivedCapParentRights": test_received_cap_parent_rights,
    "ReceivedCapLosesParent": test_received_cap_loses_parent,
    "SenderIsPortOwner": test_sender_is_port_owner,
    "FourthCapLost": test_fourth_cap_lost,
    "HandoffDropsCaps": test_handoff_drops_caps,
    "HandoffWakesAll": test_handoff_wakes_all,
    "ClosedPortNoDrain": test_closed_port_no_drain,
    "ResumeFirstResult": test_resume_first_result,
    "ExpiryStrict": test_expiry_strict,
    "AdvanceExpiresOne": test_advance_expires_one,
    "RateRefillEveryTick": test_rate_refill_every_tick,
    "RateRefillLate": test_rate_refill_late,
    "StaleLookupAfterUnbind": test_stale_lookup_after_unbind,
    "TransferNeedsRead": test_transfer_needs_read,
    "TransferFullRights": test_transfer_full_rights,
    "RecvDropsCaps": test_recv_drops_caps,
    "CloseKeepsBindings": test_close_keeps_bindings,
    "OrphanPortStaysOpen": test_orphan_port_stays_open,
    "BindPublishesHeldRights": test_bind_publishes_held_rights,
    "AmbientNamespace": test_ambient_namespace,
    "RecvHidesCaps": test_recv_hides_caps,
    "NeverReclaims": test_never_reclaims,
    "SelfCycleKept": test_self_cycle_kept,
    "RevokeCancelsQueued": test_revoke_cancels_queued,
    "RevokeStripsCarried": test_revoke_strips_carried,
    "KilledReceiverLosesHandoff": test_killed_receiver_loses_handoff,
    "HandoffFreesSlot": test_handoff_frees_slot,
    **RESOURCES,
    **THREADS,
    **BLOCKING,
}
