"""The agreement pass covers threads and blocked senders.

A thread's step is projected as its task's (the encodings keep one table per
task, PROC-THREAD; a kill of any thread is its task's kill); a blocked send is
a pending admission (the port and channel encodings' ``block``: every check
but room passes, nothing changes yet), and a send served once room freed is
an ordinary send (PORT-SEND-BLOCK, CHAN-SEND-BLOCK). These tests run the
``threads``, ``blocking`` and ``blocking-ring`` scopes, and show that a
projection that forgets tasks, or an encoding whose blocked send takes
effect at once, disagrees.
"""

from __future__ import annotations

import dataclasses

import pytest

from veridian_ipc.proofs import agreement, enc_channels, enc_ports
from veridian_ipc.proofs.agree_explored import AGREE_SCOPES, agree_scope
from veridian_ipc.proofs.faithful import served, task_pid
from veridian_ipc.proofs.induction import System, Transition
from veridian_ipc.spec import KernelState, initial_state, step
from veridian_ipc.spec.state import Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import ObjId, Pid


def _broken(system: System, t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in system.transitions)
    return dataclasses.replace(system, transitions=swapped)


def _violation(name: str, depth: int, **kw: System) -> str:
    r = agree_scope(AGREE_SCOPES[name], depth=depth, systems=kw)
    v = r.search.violation
    return "" if v is None else "\n".join(v.lines())


@pytest.mark.parametrize(
    ("name", "depth"), [("threads", 3), ("blocking", 3), ("blocking-ring", 4)]
)
def test_the_threads_and_blocking_scopes_agree(name: str, depth: int) -> None:
    assert _violation(name, depth) == ""


def _setup(name: str) -> KernelState:
    scope = AGREE_SCOPES[name]
    s = initial_state(scope.processes, scope.config)
    for pid, op in scope.setup:
        s, _ = step(s, Pid(pid), op)
    return s


def test_a_thread_acts_on_its_tasks_table() -> None:
    """Thread 3 of task 1 sends through the task's handle 2: the capability
    encoding sees task 1's send (the thread's own record has no table)."""
    s = _setup("threads")
    assert task_pid(s, 3) == 1
    send = sc.Send(2, 1, 0, b"", (), 0)
    after, result = step(s, Pid(3), send)
    for name, part in agreement.CHECKERS.items():
        assert part(s, 3, send, after, result) == [], name


def test_without_tasks_a_thread_step_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projection that reads a thread's own (empty) record: the pass over
    ``threads`` finds a disagreement."""
    monkeypatch.setattr("veridian_ipc.proofs.agree_caps.task_pid", lambda s, pid: pid)
    assert "AGREE/caps" in _violation("threads", 3)


def test_a_served_send_is_an_ordinary_send() -> None:
    """Process 2 blocks on the full port; process 1's receive frees the slot
    and process 2's message is queued in the same step (FIFO)."""
    s = _setup("blocking")
    s, _ = step(s, Pid(2), sc.Send(1, 1, 0, b"b", (), None))
    receive = sc.Receive(1, 0)
    after, result = step(s, Pid(1), receive)
    assert [p for p, _ in served(s, 1, after)] == [2]
    port = after.objects[ObjId(1)]
    assert isinstance(port, Port)
    assert [m.data for m in port.queue] == [b"b"]
    for name, part in agreement.CHECKERS.items():
        assert part(s, 1, receive, after, result) == [], name


@pytest.mark.parametrize(
    ("encoding", "system", "drift", "scope"),
    [
        ("port", enc_ports.SYSTEM, enc_ports.BLOCK_QUEUES, "blocking"),
        ("channel", enc_channels.SYSTEM, enc_channels.BLOCK_WRITES, "blocking-ring"),
    ],
)
def test_a_blocked_send_taking_effect_at_once_is_caught(
    encoding: str, system: System, drift: Transition, scope: str
) -> None:
    found = _violation(scope, 3, **{encoding: _broken(system, drift)})
    assert f"AGREE/{encoding}" in found
    assert "Blocked" in found  # the trace ends with the send that blocked
