"""Threads and blocked senders together: the ``threads-blocking`` scope.

Two threads of task 1 and process 2 share task 1's full port: a thread
blocks sending while its sibling receives (the blocked send is served),
drops the handle (``InvalidCapability``), closes the port (``PortClosed``),
or the task is killed (the blocked thread is withdrawn with it). The
exhaustive check is clean there, reaches each of those ends, and catches the
thread and blocking spec mutants that can show in it; STEP-SEND-WAIT-ENDS
accepts a blocked thread that ends because a sibling's kill ended its task
(PROC-KILL).
"""

from __future__ import annotations

import pytest

from veridian_ipc.proofs.explore import explore
from veridian_ipc.proofs.explore_scopes import CI_SCOPES, SCOPES
from veridian_ipc.proofs.spec_mutants import applied
from veridian_ipc.proofs.step_properties_base import Transition
from veridian_ipc.proofs.step_properties_blocking import wait_ends
from veridian_ipc.spec import Err, KernelState, initial_state, step
from veridian_ipc.spec.state import Sending, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid

SCOPE = SCOPES["threads-blocking"]


def _ends() -> set[str]:
    """How a blocked sender's wait ended, by whom: ``op by pid: sender
    outcome`` over the scope's transitions."""
    seen: set[str] = set()

    def visit(t: Transition) -> None:
        for p, pr in t.pre.processes.items():
            if not isinstance(pr.status, Sending):
                continue
            now = t.post.processes.get(p)
            name = f"{type(t.op).__name__} by {t.pid}: sender {p}"
            if now is None:
                seen.add(f"{name} gone")
            elif isinstance(now.status, Woken):
                r = now.status.result
                seen.add(f"{name} {r.error.name if isinstance(r, Err) else 'Ok'}")

    explore(SCOPE, depth=4, properties=False, visit=visit)
    return seen


def test_the_scope_is_clean_and_in_ci() -> None:
    assert "threads-blocking" in CI_SCOPES
    res = explore(SCOPE)
    assert res.ok, res.violation
    assert res.states > 1000


def test_a_sibling_ends_a_blocked_threads_send_every_way() -> None:
    """Thread 1 blocks; its sibling thread 3 serves it by a receive, ends it
    by dropping the handle or closing the port; a kill takes it with the
    task."""
    ends = _ends()
    assert {
        "Receive by 3: sender 1 Ok",
        "Drop by 3: sender 1 InvalidCapability",
        "Close by 3: sender 1 PortClosed",
        "Kill by 1: sender 1 gone",
        "Kill by 1: sender 3 gone",
        "AdvanceClock by 1: sender 1 Timeout",
    } <= ends


@pytest.mark.parametrize(
    "mutant",
    [
        "kill-one-thread",
        "blocked-senders-lifo",
        "sender-deadline-ignored",
        "close-leaves-senders",
        "blocked-deadline-late",
    ],
)
def test_thread_and_blocking_mutants_are_caught_here(mutant: str) -> None:
    with applied(mutant):
        res = explore(SCOPE)
    assert res.violation is not None


def _blocked_thread() -> KernelState:
    s = initial_state(SCOPE.processes, SCOPE.config)
    for pid, op in SCOPE.setup:
        s, _ = step(s, Pid(pid), op)
    s, _ = step(s, Pid(1), sc.Send(1, 1, 0, b"a", (), None))
    return s


def test_a_kill_through_a_sibling_ends_the_blocked_thread() -> None:
    """Killing thread 3 kills task 1, blocked thread 1 with it: the wait
    ended by a kill; a blocked thread vanishing without one still fails."""
    s = _blocked_thread()
    kill = sc.Kill(3)
    post, r = step(s, Pid(SCOPE.env_pid), kill)
    assert Pid(1) not in post.processes
    assert wait_ends(Transition(s, Pid(SCOPE.env_pid), kill, r, post)) is None
    not_a_kill = Transition(s, Pid(3), sc.Drop(1), r, post)
    assert wait_ends(not_a_kill) is not None
