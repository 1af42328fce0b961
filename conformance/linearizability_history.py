"""Linearizability histories: the calls threads made, and the steps each stands for.

A **history** is one ``Call`` per operation a thread performed, with the
issuing process, the spec operation(s) it stands for, the result, and the
invocation and response times (``time.perf_counter_ns``, taken before the call
starts and after it returns). ``Recorder`` collects one from several threads.

**Blocking calls.** A call may stand for several spec operations, placed in
order, each at its own point inside the call's interval. A blocking receive is
``Receive`` then, if that returned ``Ok(BLOCKED)``, ``Resume`` (PORT-RESUME),
whose result is the call's result. Other calls are placed between the two: the
send that hands the message over (PORT-HANDOFF) wakes the receiver at the
send's own point, and the receiver collects it at its ``Resume``. A receive
that gave up waiting has a third step between them, ``Expire``: its deadline
passed (TIME-DEADLINE), at a point of its own, while it was still waiting. The
spec's logical clock does not move during a checked history; real-time
deadlines are modelled by ``Expire`` alone (``apply_step``).

**One call at a time per process.** The spec's processes issue one operation
at a time (PROC-STATUS), so a history gives each thread its own pid and a pid
never has two overlapping calls; ``validate`` refuses a history where it does.

**Pending calls.** A call that never returned (``result`` None) may have taken
effect or not, with any result.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from veridian_ipc.spec.state import KernelState, Waiting
from veridian_ipc.spec.step import step
from veridian_ipc.spec.store import wake
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.results import BLOCKED, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import Operation, Receive, Resume

OK_BLOCKED: Result = Ok(BLOCKED)
E_TIMEOUT: Result = Err(IpcError.Timeout)


@dataclass(frozen=True, slots=True)
class Expire:
    """Pseudo-operation: the blocked receive of the issuing process reaches its
    deadline (TIME-DEADLINE) and is woken with ``Timeout``.

    The spec's clock does not move in a checked history; an implementation that
    times receives out on real time is modelled by placing this step somewhere
    inside the call. Returns ``Ok(BLOCKED)`` (the call is still to be collected
    by ``Resume``) if the process is waiting; ``InvalidArgument`` otherwise.
    """


#: What a call's step is: a spec operation, or the ``Expire`` pseudo-operation.
StepOp = Operation | Expire


def apply_step(s: KernelState, pid: int, op: StepOp) -> tuple[KernelState, Result]:
    """One step of a call on the spec: ``step``, or the ``Expire`` wake-up."""
    if isinstance(op, Expire):
        p = s.processes.get(Pid(pid))
        if p is None or not isinstance(p.status, Waiting):
            return s, Err(IpcError.InvalidArgument)
        return wake(s, Pid(pid), E_TIMEOUT), OK_BLOCKED
    return step(s, pid, op)


def blocking_receive(
    handle: int, result: Result | None, timed: bool = False
) -> tuple[StepOp, ...]:
    """The steps of a receive that waits (with or without a real-time deadline).

    ``Receive(handle, None)``, then ``Resume``; a receive that timed out
    (``result`` is ``Err(Timeout)``) also has ``Expire`` between them. ``result``
    None (the call never returned) gives the steps of a receive that may still
    be waiting, or, if it had a deadline (``timed``), may have timed out.
    """
    if result == E_TIMEOUT or (result is None and timed):
        return (Receive(handle, None), Expire(), Resume())
    return (Receive(handle, None), Resume())


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a history, as a thread saw it.

    ``ops`` are the spec steps the call stands for, in order (one for most
    calls; see ``blocking_receive``). ``result`` is what the call returned, in
    the spec's terms, or None if it never returned; ``invoked`` and
    ``responded`` are ``perf_counter_ns`` readings taken before the call started
    and after it returned (``responded`` None: never returned). ``thread`` is a
    label for reports.
    """

    pid: int
    ops: tuple[StepOp, ...]
    result: Result | None
    invoked: int
    responded: int | None
    thread: str = ""

    def __post_init__(self) -> None:
        if not self.ops:
            raise ValueError("a call stands for at least one step")
        if (self.result is None) != (self.responded is None):
            raise ValueError("a call has a result exactly when it returned")
        if self.responded is not None and self.responded < self.invoked:
            raise ValueError("a call returns after it is invoked")


class Recorder:
    """Collects a history from several threads; every call is timed around the
    real call, so its interval contains the moment it took effect."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def call(
        self,
        pid: int,
        ops: tuple[StepOp, ...] | Callable[[Result], tuple[StepOp, ...]],
        fn: Callable[[], Result],
        thread: str = "",
    ) -> Result:
        """Run ``fn`` (the real call) and record it; returns its result.

        ``ops`` may be a function of the result, for calls whose steps depend
        on how they ended (``blocking_receive``). An exception escaping ``fn``
        is recorded as a pending call (it may or may not have taken effect) and
        propagates.
        """
        invoked = time.perf_counter_ns()
        try:
            result = fn()
        except BaseException:
            steps = ops(Err(IpcError.InvalidArgument)) if callable(ops) else ops
            self.pending(pid, steps, invoked, thread)
            raise
        responded = time.perf_counter_ns()
        steps = ops(result) if callable(ops) else ops
        self.add(Call(pid, steps, result, invoked, responded, thread))
        return result

    def pending(
        self, pid: int, ops: tuple[StepOp, ...], invoked: int, thread: str = ""
    ) -> None:
        """Record a call that was invoked and never returned."""
        self.add(Call(pid, ops, None, invoked, None, thread))

    def add(self, call: Call) -> None:
        """Record a call timed by the caller."""
        with self._lock:
            self._calls.append(call)

    def history(self) -> list[Call]:
        """The calls recorded so far, by invocation time."""
        with self._lock:
            return sorted(self._calls, key=lambda c: c.invoked)


def interval(c: Call) -> tuple[int, float]:
    """The call's real-time interval; a pending call's never ends."""
    return c.invoked, math.inf if c.responded is None else c.responded


def step_text(op: StepOp) -> str:
    """A step as one short line, for messages and reports."""
    text = repr(op)
    return text if len(text) <= 90 else text[:87] + "..."


def validate(calls: Sequence[Call]) -> None:
    """Refuse a history the spec cannot stand for: one process with two calls
    in progress at once (PROC-STATUS: a process issues one call at a time)."""
    by_pid: dict[int, list[Call]] = {}
    for c in calls:
        by_pid.setdefault(c.pid, []).append(c)
    for pid, cs in by_pid.items():
        cs.sort(key=interval)
        for a, b in itertools.pairwise(cs):
            if a.responded is None or a.responded > b.invoked:
                raise ValueError(
                    f"pid {pid} has overlapping calls ({step_text(a.ops[0])} and "
                    f"{step_text(b.ops[0])}): give each thread its own process"
                )


__all__ = [
    "E_TIMEOUT",
    "OK_BLOCKED",
    "Call",
    "Expire",
    "Recorder",
    "StepOp",
    "apply_step",
    "blocking_receive",
    "interval",
    "step_text",
    "validate",
]
