"""The capability encoding follows a hand-off to the waiter that has room.

At agreement depth 4 the ``quota`` scope reaches two steps the capability
part once projected wrongly (neither is reached within depth 3):

- a send to a port whose first waiter's table has no room for the carried
  capability: the spec wakes that waiter with ``OutOfMemory`` and queues the
  message (spec/quotas.py), while the projection delivered the capability to
  the waiter anyway (``nh[1]``: encoding 4, spec 3). The projection now picks
  the first waiter whose table has room by the quota encoding's own
  ``handles_fit``;
- the kill of a receiver woken by a hand-off it never collected: the spec
  gives the message back to its port, its capabilities back in flight
  (PORT-HANDOFF), while the projection destroyed them with the table. The
  encoding now has ``take_back`` (proved to keep its invariant), and the port
  the message went back to may then be abandoned (PORT-CLOSE).

Each test replays the shortest trace the depth-4 pass reported and checks
the one transition; they fail on the projection before the fix.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.proofs import agreement
from veridian_ipc.proofs.agree_explored import AGREE_SCOPES, PARTS, agree_depth
from veridian_ipc.proofs.enc_caps import SYSTEM
from veridian_ipc.proofs.explore_scopes import SCOPES
from veridian_ipc.spec import KernelState, initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import GRANT, RECEIVE, SEND

Trace = list[tuple[int, sc.Operation]]

#: Process 2's port, bound and looked up by process 1 (the ``quota`` setup).
SETUP: Trace = [
    (2, sc.CreatePort(1)),
    (2, sc.Bind(1, "n", 0, SEND | RECEIVE)),
    (1, sc.Lookup("n")),
]


def _run(trace: Trace) -> KernelState:
    scope = SCOPES["quota"]
    s = initial_state(scope.processes, scope.config)
    for pid, op in trace:
        s, _ = step(s, Pid(pid), op)
    return s


def _caps_disagreements(trace: Trace, pid: int, op: sc.Operation) -> list[str]:
    s = _run(trace)
    after, result = step(s, Pid(pid), op)
    return agreement.CHECKERS["caps"](s, pid, op, after, result)


def test_a_send_skips_a_waiter_without_handle_room() -> None:
    """Process 1's table is full (two handles): the message is queued."""
    trace = [
        *SETUP,
        (1, sc.CreatePort(1)),
        (1, sc.Receive(1, None)),
        (2, sc.Derive(1, SEND | GRANT)),
    ]
    send = sc.Send(1, 1, 0, b"a", (2,), 0)
    assert _caps_disagreements(trace, 2, send) == []


def test_a_killed_receiver_gives_its_uncollected_capability_back() -> None:
    trace = [
        *SETUP,
        (2, sc.Receive(1, None)),
        (1, sc.CreatePort(1)),
        (1, sc.Send(1, 1, 0, b"a", (2,), 0)),
    ]
    assert _caps_disagreements(trace, 0, sc.Kill(2)) == []


def test_a_give_back_can_abandon_the_port_it_went_back_to() -> None:
    """The capability given back is the port's own root, in flight on the
    port: nobody can receive from it, so the port is abandoned and the
    capability destroyed (its child moves up)."""
    trace = [
        *SETUP,
        (1, sc.Receive(1, None)),
        (2, sc.Derive(1, SEND | GRANT)),
        (2, sc.Send(2, 1, 0, b"a", (1,), 0)),
    ]
    assert _caps_disagreements(trace, 0, sc.Kill(1)) == []


def test_the_take_back_transition_is_the_encodings() -> None:
    assert "take_back" in {t.name for t in SYSTEM.transitions}


def test_the_quota_scope_is_searched_to_depth_4() -> None:
    """Depth 3 reaches neither case above: the ``quota`` scope's agreement
    depth is 4."""
    assert agree_depth(AGREE_SCOPES["quota"]) == 4


def test_a_drifted_give_back_is_caught() -> None:
    """A ``take_back`` that leaves the capability in the table disagrees."""
    t = SYSTEM.transition("take_back")
    stays = replace(t, apply=lambda s, a: (t.apply(s, a)[0], s))
    swapped = tuple(stays if x.name == t.name else x for x in SYSTEM.transitions)
    bad = replace(SYSTEM, transitions=swapped)
    trace = [
        *SETUP,
        (2, sc.Receive(1, None)),
        (1, sc.CreatePort(1)),
        (1, sc.Send(1, 1, 0, b"a", (2,), 0)),
    ]
    s = _run(trace)
    kill = sc.Kill(2)
    after, result = step(s, Pid(0), kill)
    assert agreement.CHECKERS["caps"](s, 0, kill, after, result, bad) != []


def test_a_given_back_message_skips_a_waiter_without_room() -> None:
    """Three processes: 1 and 2 wait on process 3's port, 2's table full;
    3's send carrying a capability is handed to 1, and 1 is killed. The
    message must go to a waiter with room (none: the queue head), as
    PORT-HANDOFF says. The spec used to hand it to 2, over its handle quota:
    the capability encoding (which follows the rule) and the quota
    encoding's invariant both disagreed, which is how the defect was found
    (spec/ports.py's ``give_back`` now refuses unfit waiters first)."""
    config = replace(SCOPES["quota"].config, max_objects=4)
    s = initial_state(3, config)
    trace: Trace = [
        (3, sc.CreatePort(1)),
        (3, sc.Bind(1, "n", 0, SEND | RECEIVE)),
        (1, sc.Lookup("n")),
        (2, sc.Lookup("n")),
        (2, sc.CreatePort(1)),
        (1, sc.Receive(1, None)),
        (2, sc.Receive(1, None)),
        (3, sc.Derive(1, SEND | GRANT)),
        (3, sc.Send(1, 1, 0, b"", (2,))),
    ]
    for pid, op in trace:
        s, _ = step(s, Pid(pid), op)
    kill = sc.Kill(1)
    after, result = step(s, Pid(3), kill)
    assert PARTS["quota"].invariant_failures(after) == []
    assert agreement.CHECKERS["caps"](s, 3, kill, after, result) == []
