"""The capability part of the agreement check catches a drift in a spec helper.

The check ties the capability encoding to the spec; had it computed a guard
input with a spec helper (``check_offer``, ``valid_name``, ``abandoned``,
...), a drift of that helper would move the spec and the check together and
go unseen. Each test plants a drift in one helper, everywhere the helper is
named, and shows the capability part reporting the drifted step, and the
agreement pass over a scope reporting it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

import pytest

from veridian_ipc.proofs import agreement
from veridian_ipc.proofs.agree_explored import agree_scope
from veridian_ipc.proofs.explore_scopes import SCOPES
from veridian_ipc.spec import (
    KernelState,
    initial_state,
    messages,
    namespace,
    orphans,
    ports,
    step,
)
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config, Handle, ObjId, Pid
from veridian_ipc.vocabulary.rights import GRANT, SEND

CAPS = agreement.CHECKERS["caps"]


def _plant(monkeypatch: pytest.MonkeyPatch, original: object, drifted: object) -> None:
    """Replace ``original`` by ``drifted`` in every loaded module of the
    package that names it (the spec's callers, and any check that imports it)."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("veridian_ipc") or module is None:
            continue
        for attr, val in list(vars(module).items()):
            if val is original:
                monkeypatch.setattr(module, attr, drifted)


def _run(
    s: KernelState, ops: list[tuple[int, sc.Operation]]
) -> tuple[KernelState, int, sc.Operation, KernelState, object]:
    """Apply every op but the last; return the last step, recorded."""
    for pid, op in ops[:-1]:
        s, _ = step(s, Pid(pid), op)
    pid, op = ops[-1]
    after, result = step(s, Pid(pid), op)
    return s, pid, op, after, result


def _check(
    s: KernelState, ops: list[tuple[int, sc.Operation]]
) -> tuple[object, list[str]]:
    before, pid, op, after, result = _run(s, ops)
    return (result, after), CAPS(before, pid, op, after, result)


#: A full port (capacity 1), then a second send: PortFull.
FULL = [(1, sc.CreatePort(1)), (1, sc.Send(1, 0, 0, b"a")), (1, sc.Send(1, 0, 0, b"b"))]
#: A name longer than the configured limit (1 byte) that the encoding knows.
LONG_NAME = [(1, sc.CreatePort(1)), (1, sc.Bind(1, "r1", 0))]
#: A bound port whose only RECEIVE is dropped: abandoned, its binding goes.
ORPHAN = [(1, sc.CreatePort(1)), (1, sc.Bind(1, "a", 0)), (1, sc.Drop(1))]


def _start() -> KernelState:
    return initial_state(1, Config(max_port_capacity=1, max_name_length=1))


def _ignores_room(s: KernelState, obj: ObjId, msg_type: int, size: int) -> object:
    """Drifted ``check_offer``: a full port still takes the message."""
    pt = s.objects[obj]
    assert isinstance(pt, Port)
    roomy = replace(pt, capacity=pt.capacity + len(pt.queue) + 1)
    return CHECK_OFFER(
        replace(s, objects=s.objects.set(obj, roomy)), obj, msg_type, size
    )


def _any_length(s: KernelState, name: str) -> bool:
    """Drifted ``valid_name``: the configured length limit is ignored."""
    return name != "" and "\0" not in name


def _none_abandoned(s: KernelState) -> list[ObjId]:
    """Drifted ``abandoned``: no port is ever abandoned."""
    return []


def _second_without_grant(s: KernelState, pid: Pid, caps: tuple[int, ...]) -> object:
    """Drifted ``check_transfer``: GRANT is checked on the first carried
    capability only."""
    found = CHECK_TRANSFER(s, pid, caps[:1])
    if not isinstance(found, tuple) or len(caps) < 2:
        return found
    rest = [s.processes[pid].handles.get(Handle(h)) for h in caps[1:]]
    if any(c is None for c in rest):
        return IpcError.InvalidCapability
    return found + tuple(c for c in rest if c is not None)


CHECK_OFFER = ports.check_offer
CHECK_TRANSFER = messages.check_transfer

#: Two carried capabilities, the second without GRANT: InsufficientRights.
NO_GRANT = [
    (1, sc.CreatePort(1)),
    (1, sc.CreatePort(1)),
    (1, sc.Derive(2, GRANT | SEND)),
    (1, sc.Derive(2, SEND)),
    (1, sc.Send(1, 0, 0, b"", (3, 4))),
]

#: (helper, its drift, a step it changes, the spec's correct verdict).
DRIFTS: list[tuple[object, Callable[..., object], list[tuple[int, sc.Operation]]]] = [
    (ports.check_offer, _ignores_room, FULL),
    (namespace.valid_name, _any_length, LONG_NAME),
    (orphans.abandoned, _none_abandoned, ORPHAN),
    (messages.check_transfer, _second_without_grant, NO_GRANT),
]


@pytest.mark.parametrize(("helper", "drift", "ops"), DRIFTS)
def test_the_caps_part_agrees_with_the_real_helper(
    helper: object, drift: Callable[..., object], ops: list[tuple[int, sc.Operation]]
) -> None:
    """The real spec: the steps agree (the controls below are not vacuous)."""
    _, found = _check(_start(), ops)
    assert found == []


@pytest.mark.parametrize(("helper", "drift", "ops"), DRIFTS)
def test_a_drifted_spec_helper_is_reported_by_the_caps_part(
    monkeypatch: pytest.MonkeyPatch,
    helper: object,
    drift: Callable[..., object],
    ops: list[tuple[int, sc.Operation]],
) -> None:
    """The drifted spec takes the step differently; the capability part,
    which computes nothing with the helper, disagrees."""
    real, _ = _check(_start(), ops)
    _plant(monkeypatch, helper, drift)
    drifted, found = _check(_start(), ops)
    assert real != drifted  # the drift changes the step's result or state
    assert found, f"the drift of {getattr(helper, '__name__', helper)} went unseen"


def test_the_agreement_pass_reports_a_drifted_check_offer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over the whole ``core`` scope, a ``check_offer`` that lets a full port
    take a message is reported by the capability part (the only part run)."""
    parts = {"caps": CAPS}
    assert agree_scope(SCOPES["core"], parts=parts).ok
    _plant(monkeypatch, ports.check_offer, _ignores_room)
    r = agree_scope(SCOPES["core"], parts=parts)
    assert r.search.violation is not None
    assert r.search.violation.id == "AGREE/caps"
    assert isinstance(r.search.violation.trace, tuple | list)


@pytest.mark.parametrize("last", [(1, sc.SockClose(0)), (0, sc.Kill(1))])
def test_a_socket_connected_to_its_own_name_closes_in_agreement(
    last: tuple[int, sc.Operation],
) -> None:
    """The revoke through a socket's own capability already destroys a peer
    capability derived from its own binding: the close (or the kill of its
    process) destroys it once, as the spec does (found at depth 4 of the
    ``posix`` scope)."""
    ops: list[tuple[int, sc.Operation]] = [
        (1, sc.Socket(1)),
        (1, sc.SockBind(0, "n")),
        (1, sc.SockConnect(0, "n")),
        last,
    ]
    result, found = _check(initial_state(1), ops)
    assert found == [], (result, found)
