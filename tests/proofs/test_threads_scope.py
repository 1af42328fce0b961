"""PROC-THREAD in the proofs: the ``threads`` scope of the exhaustive check is
clean, its step properties fail on transitions that break them, and each
thread spec mutant is caught there."""

from __future__ import annotations

from dataclasses import replace

import pytest

from veridian_ipc.proofs.explore import explore
from veridian_ipc.proofs.explore_scopes import CI_SCOPES, SCOPES
from veridian_ipc.proofs.spec_mutants import applied
from veridian_ipc.proofs.step_properties_base import Transition
from veridian_ipc.proofs.step_properties_threads import (
    kill_ends_every_thread,
    one_table_per_task,
    siblings_run_on,
)
from veridian_ipc.spec import BLOCKED, Ok, step
from veridian_ipc.spec.state import RUNNING, Process, initial_state
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.syscalls import (
    CreatePort,
    Inspect,
    Kill,
    Receive,
    SpawnThread,
)


def test_the_threads_scope_is_clean_and_in_ci() -> None:
    assert "threads" in CI_SCOPES
    res = explore(SCOPES["threads"])
    assert res.ok, res.violation
    assert res.states > 100


@pytest.mark.parametrize("mutant", ["kill-one-thread", "thread-own-task"])
def test_each_thread_spec_mutant_is_caught_in_the_threads_scope(mutant: str) -> None:
    with applied(mutant):
        res = explore(SCOPES["threads"])
    assert res.violation is not None


def _transition(pid: int, op: object) -> Transition:
    s = initial_state(2)
    s, _ = step(s, 0, SpawnThread(1))
    s, _ = step(s, 1, CreatePort(2))
    post, r = step(s, pid, op)
    return Transition(s, Pid(pid), op, r, post)  # type: ignore[arg-type]


def test_the_thread_step_properties_hold_and_can_fail() -> None:
    kill = _transition(0, Kill(3))
    wait = _transition(3, Receive(1, None))
    assert wait.result == Ok(BLOCKED)
    for t in (kill, wait, _transition(3, Inspect(1))):
        assert siblings_run_on(t) is None
        assert one_table_per_task(t) is None
        assert kill_ends_every_thread(t) is None
    # a kill that spares the first thread; a step that blocks a sibling;
    # a thread with a table of its own
    spared = Transition(
        kill.pre,
        kill.pid,
        kill.op,
        kill.result,
        replace(
            kill.post,
            processes=kill.post.processes.set(Pid(1), kill.pre.processes[Pid(1)]),
        ),
    )
    assert kill_ends_every_thread(spared) is not None
    blocked = wait.post.processes[Pid(3)]
    sibling_blocked = Transition(
        wait.pre,
        Pid(1),
        Inspect(1),
        Ok(None),
        replace(wait.post, processes=wait.pre.processes.set(Pid(3), blocked)),
    )
    assert siblings_run_on(sibling_blocked) is not None
    own = Process(
        task=Pid(1), handles=wait.pre.processes[Pid(1)].handles, status=RUNNING
    )
    private = Transition(
        wait.pre,
        Pid(1),
        Inspect(1),
        Ok(None),
        replace(wait.post, processes=wait.pre.processes.set(Pid(3), own)),
    )
    assert one_table_per_task(private) is not None
