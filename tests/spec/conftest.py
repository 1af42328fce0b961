"""Fixtures for the spec's example tests: a ``World`` that steps the spec and
checks, on every step, the invariants and ERR-ATOMIC.

``World.ok`` returns the operation's value as the union ``Value``; the typed
accessors (``handle``, ``info``, ``delivered``, ``data``, ``items``,
``blocked``) say which kind of value the test expects and assert it at run
time, so a test that got another kind of value fails at that step instead of
passing a wrong value on (a ``CapInfo`` used as a handle, say).
"""

from __future__ import annotations

import pytest

from veridian_ipc.spec import (
    BLOCKED,
    CapInfo,
    Config,
    Delivered,
    Err,
    IpcError,
    KernelState,
    Ok,
    Result,
    initial_state,
    step,
    violations,
)
from veridian_ipc.spec.state import Port
from veridian_ipc.spec.step import atomic
from veridian_ipc.vocabulary.names import Handle, Pid
from veridian_ipc.vocabulary.results import Value
from veridian_ipc.vocabulary.syscalls import Operation


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

    # -- typed accessors: the kind of value the operation must give -----------

    def handle(self, pid: int, op: Operation) -> int:
        """A number the caller names something by: a handle, mapping id, fd or
        pid (a non-bool int)."""
        v = self.ok(pid, op)
        assert type(v) is int, (op, v)
        return v

    def info(self, pid: int, op: Operation) -> CapInfo:
        """What ``Inspect`` reports (CAP-INSPECT)."""
        v = self.ok(pid, op)
        assert isinstance(v, CapInfo), (op, v)
        return v

    def delivered(self, pid: int, op: Operation) -> Delivered:
        """A received synchronous message (PORT-RECEIVE, PORT-RESUME)."""
        v = self.ok(pid, op)
        assert isinstance(v, Delivered), (op, v)
        return v

    def data(self, pid: int, op: Operation) -> bytes:
        """Bytes read from a channel, a buffer or a socket."""
        v = self.ok(pid, op)
        assert isinstance(v, bytes), (op, v)
        return v

    def items(self, pid: int, op: Operation) -> tuple[bytes, ...]:
        """The messages of a batch receive (CHAN-RECEIVE-BATCH)."""
        v = self.ok(pid, op)
        assert isinstance(v, tuple), (op, v)
        return v

    def blocked(self, pid: int, op: Operation) -> None:
        """A receive that made the caller wait (PORT-RECEIVE, PORT-RESUME)."""
        v = self.ok(pid, op)
        assert v == BLOCKED, (op, v)

    def port_of(self, pid: int, handle: int) -> Port:
        """The port that ``pid``'s ``handle`` names, as the state holds it."""
        cap = self.s.caps[self.s.processes[Pid(pid)].handles[Handle(handle)]]
        port = self.s.objects[cap.obj]
        assert isinstance(port, Port), (handle, port)
        return port


@pytest.fixture
def world() -> type[World]:
    return World
