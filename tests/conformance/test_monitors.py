"""Invariant monitors on observations: silent on the spec, named when broken."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from veridian_ipc.conformance.monitors import (
    FreshIds,
    observation_violations,
)
from veridian_ipc.conformance.mutants import (
    CloseKeepsBindings,
    FailedDeriveCreates,
    KillLeavesWaiter,
    OrphanPortStaysOpen,
)
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Kill,
    Lookup,
    MapBuffer,
    RateLimit,
    Receive,
    Send,
    SetFilter,
    Socket,
)

from .helpers import run_ops


def _busy() -> Data:
    s = initial_state(processes=2)
    for pid, op in [
        (1, CreatePort(2)),
        (1, Send(1, 0, 0, b"x")),
        (1, SetFilter(1, None, None, RateLimit(2, 1, 1))),
        (1, Bind(1, "svc", 0)),
        (1, CreateChannel(2, 4)),
        (1, CreateBuffer(8)),
        (1, MapBuffer(3, True)),
        (1, Socket(None)),
        (2, CreatePort(1)),
        (2, Receive(1, None)),
    ]:
        s, _ = step(s, pid, op)
    return observe(s)


def test_spec_observations_pass() -> None:
    assert observation_violations(_busy(), FreshIds()) == []


def _queue_over(o: Data) -> None:
    port = next(iter(o["ports"].values()))
    port["queue"] = port["queue"] * 3


def _waiter_gone(o: Data) -> None:
    gone = o["processes"].pop(2)
    o["processes"][1]["handles"][99] = gone["handles"][1]  # its port stays held


def _bad_rights(o: Data) -> None:
    o["processes"][1]["handles"][1]["rights"] |= 0x10


def _dangling_name(o: Data) -> None:
    o["namespace"]["svc"]["obj"] = 999


def _too_many_tokens(o: Data) -> None:
    for p in o["ports"].values():
        if p["filter"] is not None:
            p["filter"]["tokens"] = 99


def _ring_over(o: Data) -> None:
    ring = next(iter(o["channels"].values()))
    ring["items"] = ["00"] * 3


def _mapping_without_cap(o: Data) -> None:
    del o["processes"][1]["handles"][3]


def _socket_without_port(o: Data) -> None:
    o["processes"][1]["fds"][0]["peer"] = 999  # its own port stays receivable


def _unreachable_object(o: Data) -> None:
    """A channel nothing names (a target that never reclaims, CAP-RECLAIM)."""
    o["channels"][99] = dict(next(iter(o["channels"].values())))


CASES: dict[str, Callable[[Data], None]] = {
    "INV-QUEUE-BOUND": _queue_over,
    "INV-WAITERS": _waiter_gone,
    "INV-RIGHTS-KIND": _bad_rights,
    "INV-NAMESPACE-LIVE": _dangling_name,
    "INV-BUCKET-BOUND": _too_many_tokens,
    "INV-RING-BOUNDS": _ring_over,
    "INV-MAPPINGS-LIVE": _mapping_without_cap,
    "INV-SOCKETS-LIVE": _socket_without_port,
    "INV-CAP-LOCATION": _unreachable_object,
}


@pytest.mark.parametrize("inv", sorted(CASES))
def test_each_monitor_names_its_invariant(inv: str) -> None:
    o = copy.deepcopy(_busy())
    CASES[inv](o)
    assert [v.value for v in observation_violations(o)] == [inv]


def _bound_port_closed(o: Data) -> None:
    o["ports"][o["namespace"]["svc"]["obj"]]["closed"] = True
    o["ports"][o["namespace"]["svc"]["obj"]]["waiters"] = []


def _open_port_nobody_receives(o: Data) -> None:
    obj = o["processes"][2]["handles"][1]["obj"]
    o["processes"][2]["handles"][1]["rights"] = 0x1  # SEND only
    o["processes"][2]["status"] = "running"
    o["ports"][obj]["waiters"] = []


def _receivable_through_queue(o: Data) -> None:
    """Process 2 gives its only RECEIVE away in a message queued on process
    1's port: its port stays receivable (the least fixpoint)."""
    obj = o["processes"][2]["handles"][1]["obj"]
    del o["processes"][2]["handles"][1]
    o["processes"][2]["status"] = "running"
    o["ports"][obj]["waiters"] = []
    queued = o["ports"][o["namespace"]["svc"]["obj"]]["queue"][0]
    queued["caps"] = [{"obj": obj, "kind": "port", "rights": 0x2}]


def _receive_cycle(o: Data) -> None:
    """As ``_receivable_through_queue``, but the RECEIVE is queued on its own
    port: a cycle nobody can receive from."""
    obj = o["processes"][2]["handles"][1]["obj"]
    del o["processes"][2]["handles"][1]
    o["processes"][2]["status"] = "running"
    o["ports"][obj]["waiters"] = []
    o["ports"][obj]["queue"] = [
        {
            "sender": 2,
            "msg_type": 0,
            "flags": 0,
            "data": "",
            "caps": [{"obj": obj, "kind": "port", "rights": 0x2}],
        }
    ]


NEWER_CLAUSES: dict[str, tuple[Callable[[Data], None], list[str]]] = {
    "a closed port stays bound": (_bound_port_closed, ["INV-NAMESPACE-LIVE"]),
    "an open port nobody can receive from": (
        _open_port_nobody_receives,
        ["INV-WAITERS"],
    ),
    "a RECEIVE queued on a receivable port": (_receivable_through_queue, []),
    "a RECEIVE queued on its own port": (
        _receive_cycle,
        ["INV-WAITERS", "INV-CAP-LOCATION"],  # unreachable too (CAP-RECLAIM)
    ),
}


@pytest.mark.parametrize("case", sorted(NEWER_CLAUSES))
def test_newer_clauses_are_monitored(case: str) -> None:
    """INV-NAMESPACE-LIVE's open port and INV-WAITERS's receivable port
    (INV-PORT-RECEIVABLE, spec/orphans.py) fire on an observation that breaks
    them, and stay silent on one that keeps them."""
    o = copy.deepcopy(_busy())
    fake, expected = NEWER_CLAUSES[case]
    fake(o)
    assert [v.value for v in observation_violations(o)] == expected


def test_fresh_ids_remembers_what_disappeared() -> None:
    fresh = FreshIds()
    o = _busy()
    assert fresh.check(o)
    gone = copy.deepcopy(o)
    del gone["processes"][1]["handles"][2]
    assert fresh.check(gone)
    assert not fresh.check(o)


def test_broken_target_is_reported_by_invariant_name() -> None:
    _, div = run_ops(
        KillLeavesWaiter,
        [
            (1, CreatePort(1)),
            (1, Bind(1, "n", 0, 15)),  # every port right published
            (2, Lookup("n")),  # the port outlives the waiter (CAP-RECLAIM)
            (2, Receive(1, None)),
            (0, Kill(2)),
        ],
    )
    assert div is not None
    assert (div.step, div.kind, div.invariants) == (5, "observation", ["INV-WAITERS"])


def test_broken_targets_break_the_newer_clauses_by_name() -> None:
    """A target that keeps a closed port's binding is reported as breaking
    INV-NAMESPACE-LIVE; one that leaves open a port nobody can receive from
    as breaking INV-WAITERS (its receivable clause)."""
    _, div = run_ops(
        CloseKeepsBindings, [(1, CreatePort(1)), (1, Bind(1, "n")), (1, Close(1))]
    )
    assert div is not None
    assert (div.step, div.kind) == (3, "observation")
    assert "INV-NAMESPACE-LIVE" in div.invariants
    _, div = run_ops(
        OrphanPortStaysOpen, [(1, CreatePort(1)), (1, Derive(1, 1)), (1, Drop(1))]
    )
    assert div is not None
    assert (div.step, div.kind) == (3, "observation")
    assert div.invariants == ["INV-WAITERS"]


def test_failed_operation_changing_state_is_err_atomic() -> None:
    _, div = run_ops(
        FailedDeriveCreates, [(1, CreatePort(1)), (1, Derive(1, 1)), (1, Derive(2, 3))]
    )
    assert div is not None
    assert (div.step, div.kind, div.invariants) == (3, "observation", ["ERR-ATOMIC"])
