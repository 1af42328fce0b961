"""Fixtures for the spec's example tests: a ``World`` that steps the spec and
checks, on every step, the invariants and ERR-ATOMIC."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from veridian_ipc.spec import (
    Config,
    Err,
    IpcError,
    KernelState,
    Ok,
    Result,
    initial_state,
    step,
    violations,
)
from veridian_ipc.spec.results import Value
from veridian_ipc.spec.step import atomic
from veridian_ipc.spec.syscalls import Operation


class World:
    """A spec state plus assertions; every step is checked."""

    def __init__(self, processes: int = 2, config: Config | None = None) -> None:
        self.s: KernelState = initial_state(processes, config)

    def do(self, pid: int, op: Operation | object) -> Result:
        before = self.s
        self.s, r = step(self.s, pid, op)
        assert violations(self.s) == [], (op, violations(self.s))
        assert atomic(before, self.s, r, op), op
        return r

    def ok(self, pid: int, op: Operation) -> Value:
        r = self.do(pid, op)
        assert isinstance(r, Ok), (op, r)
        return r.value

    def err(self, pid: int, op: Operation | object, error: IpcError) -> None:
        r = self.do(pid, op)
        assert r == Err(error), (op, r)


@pytest.fixture
def world() -> Callable[..., World]:
    return World
