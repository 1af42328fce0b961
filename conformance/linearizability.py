"""Linearizability: is a concurrent history explained by some run of the spec?

Sequential conformance (``checker``) compares one operation at a time. A
thread-safe implementation is also used by many threads at once, and then the
question is the one Herlihy and Wing asked: can every call be given a single
point, somewhere between its invocation and its response, such that the calls
taken in the order of those points are a run of the spec that gives exactly the
results the callers saw?

``Recorder`` collects a **history**: one ``Call`` per operation a thread
performed, with the issuing process, the spec operation(s) it stands for, the
result, and the invocation and response times (``time.perf_counter_ns``,
taken before the call starts and after it returns). ``check`` searches for a
**witness**: a sequential order of the calls, consistent with real time (a
call that returned before another was invoked comes first), that ``step``
accepts with the recorded results.

The search is Wing and Gong's backtracking, with Lowe's memoization and the
linked-list frontier of Porcupine (Athalye): the calls are kept in a list of
invocation and response events sorted by time; a call can be placed next if
its invocation comes before the first response of a call not placed yet; a
placed call is unlinked from the list (and relinked on backtracking). A
configuration (spec state, set of placed steps) that was already explored is
never explored again: spec states are immutable values with structural
equality and hashing (persistent maps), so the cache holds them directly,
without building observations (measured: hashing a fresh state adds about a
tenth to the cost of the ``step`` that made it; building and serialising its
observation instead would cost four times the step). The search is bounded
(``max_nodes``, ``max_seconds``): when the budget runs out the verdict is
``UNDECIDED``, never a hang and never a guess.

**Blocking calls.** A call may stand for several spec operations, placed in
order, each at its own point inside the call's interval. A blocking receive is
``Receive`` then, if that returned ``Ok(BLOCKED)``, ``Resume`` (PORT-RESUME),
whose result is the call's result. Other calls are placed between the two: the
send that hands the message over (PORT-HANDOFF) wakes the receiver at the
send's own point, and the receiver collects it at its ``Resume``. A receive
that gave up waiting has a third step between them, ``Expire``: its deadline
passed (TIME-DEADLINE), at a point of its own, while it was still waiting. The
spec's logical clock does not move during a checked history; real-time
deadlines are modelled by ``Expire`` alone. Every step but the last is
expected to return ``Ok(BLOCKED)`` (the call goes on) or the call's result
(the call ends there: a receive that found a message does not block).

**One call at a time per process.** The spec's processes issue one operation
at a time (PROC-STATUS), so a history gives each thread its own pid and a pid
never has two overlapping calls; ``check`` refuses a history where it does.

**Pending calls.** A call that never returned (``result`` None) may have taken
effect or not, with any result: the search may place any prefix of its steps.

**Explanations.** On failure the report names the longest prefix the search
could place and, at that point, each call that could come next and why it
could not (the spec's result against the recorded one), and the call whose
response closed the window.

Use, with results already in the spec's terms (``Ok``/``Err`` records)::

    rec = Recorder()
    # in each thread, acting as its own process ``pid``:
    rec.call(pid, (Send(h, 0, 0, b"x"),), lambda: impl_send(h, b"x"))
    rec.call(pid, partial(blocking_receive, h), lambda: impl_receive(h))
    # once every thread is joined:
    report = check(rec.history(), initial)  # the spec state the run began in
    assert report.ok, report.describe()

A history can be saved (``encode_history``, JSON) and checked later or by
another tool: ``python -m veridian_ipc.conformance.linearizability FILE``
prints the report and exits 0 (linearizable), 1 (not linearizable), 2 (bad
usage or input: a missing or malformed history, printed as one line) or 3
(undecided: the search budget ran out).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from veridian_ipc.spec.state import KernelState, Waiting, initial_state
from veridian_ipc.spec.step import step
from veridian_ipc.spec.store import wake
from veridian_ipc.vocabulary.errors import IpcError, error_named
from veridian_ipc.vocabulary.names import Config, Pid
from veridian_ipc.vocabulary.results import (
    BLOCKED,
    CapInfo,
    Data,
    Delivered,
    Err,
    Ok,
    Result,
    Value,
    encode_result,
)
from veridian_ipc.vocabulary.syscalls import Operation, Receive, Resume

from .wire import WireError, decode_config, decode_op, encode_config, encode_op

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


class Verdict(StrEnum):
    """The outcome of a check."""

    LINEARIZABLE = "linearizable"
    VIOLATION = "not linearizable"
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class Placed:
    """One step of the witness: call ``call`` (index into the history) took
    step ``op`` and the spec returned ``result``."""

    call: int
    op: StepOp
    result: Result


@dataclass(frozen=True, slots=True)
class Attempt:
    """A call that could have come next at the deepest point of a failed search."""

    call: int
    op: StepOp
    got: Result
    expected: Result | None
    explored: bool
    """True: the spec accepted the step, and what follows was explored and failed."""


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict, the witness (if linearizable) and what the search did."""

    verdict: Verdict
    calls: tuple[Call, ...]
    witness: tuple[Placed, ...]
    """The full order on success; the longest accepted prefix otherwise."""
    attempts: tuple[Attempt, ...]
    barrier: int | None
    """On failure: the call whose response no later call could be placed before."""
    nodes: int
    cache: int
    seconds: float
    budget: str = ""

    @property
    def ok(self) -> bool:
        """True only when a witness was found."""
        return self.verdict is Verdict.LINEARIZABLE

    def describe(self, limit: int = 40) -> str:
        """A readable account: the verdict, then the witness or the failure."""
        return describe(self, limit)


@dataclass
class _Budget:
    max_nodes: int
    deadline: float
    nodes: int = 0
    spent: str = ""


def _entries(calls: Sequence[Call]) -> list[int]:
    """Event ids sorted by time: ``2i`` invokes call i, ``2i + 1`` is its
    response. At equal times invocations come first, so calls of different
    processes whose times touch count as overlapping (the permissive choice:
    the clock cannot order them); but a process's next call, invoked at the
    very tick its previous call returned, comes after that response (program
    order is known without the clock)."""
    follows: set[int] = set()
    last: dict[int, Call] = {}
    for i in sorted(range(len(calls)), key=lambda i: _interval(calls[i])):
        c = calls[i]
        prev = last.get(c.pid)
        if prev is not None and prev.responded == c.invoked:
            follows.add(i)
        last[c.pid] = c
    events: list[tuple[int, int, int]] = []
    for i, c in enumerate(calls):
        events.append((c.invoked, 2 if i in follows else 0, 2 * i))
        if c.responded is not None:
            events.append((c.responded, 1, 2 * i + 1))
    events.sort()
    return [e for _, _, e in events]


def _interval(c: Call) -> tuple[int, float]:
    return c.invoked, math.inf if c.responded is None else c.responded


def validate(calls: Sequence[Call]) -> None:
    """Refuse a history the spec cannot stand for: one process with two calls
    in progress at once (PROC-STATUS: a process issues one call at a time)."""
    by_pid: dict[int, list[Call]] = {}
    for c in calls:
        by_pid.setdefault(c.pid, []).append(c)
    for pid, cs in by_pid.items():
        cs.sort(key=_interval)
        for a, b in itertools.pairwise(cs):
            if a.responded is None or a.responded > b.invoked:
                raise ValueError(
                    f"pid {pid} has overlapping calls ({_op_text(a.ops[0])} and "
                    f"{_op_text(b.ops[0])}): give each thread its own process"
                )


def check(
    calls: Iterable[Call],
    initial: KernelState,
    *,
    max_nodes: int = 1_000_000,
    max_seconds: float = 60.0,
) -> Report:
    """Search for a linearization of ``calls`` starting from state ``initial``.

    Returns ``LINEARIZABLE`` with a witness, ``VIOLATION`` with the longest
    accepted prefix and the calls that could not be placed after it, or
    ``UNDECIDED`` when ``max_nodes`` search nodes or ``max_seconds`` ran out.
    Raises ``ValueError`` for a malformed history (see ``validate``).
    """
    history = tuple(calls)
    validate(history)
    started = time.perf_counter()
    budget = _Budget(max_nodes, started + max_seconds)
    search = _Search(history, initial, budget)
    found = search.run()
    seconds = time.perf_counter() - started
    if found:
        verdict = Verdict.LINEARIZABLE
        witness = tuple(search.path)
        attempts: tuple[Attempt, ...] = ()
        barrier = None
    else:
        verdict = Verdict.UNDECIDED if budget.spent else Verdict.VIOLATION
        witness = tuple(search.best_path)
        attempts = tuple(search.best_attempts)
        barrier = search.best_barrier
    return Report(
        verdict,
        history,
        witness,
        attempts,
        barrier,
        budget.nodes,
        len(search.cache),
        seconds,
        budget.spent,
    )


_DONE = 0
_NEXT = 1
_REJECT = 2


class _Search:
    """The backtracking search (one instance per check)."""

    def __init__(
        self, calls: tuple[Call, ...], initial: KernelState, budget: _Budget
    ) -> None:
        self.calls = calls
        self.initial = initial
        self.budget = budget
        n = len(calls)
        # Doubly linked list of events; HEAD and TAIL are sentinels.
        order = _entries(calls)
        self.head = 2 * n
        self.tail = 2 * n + 1
        size = 2 * n + 2
        self.nxt = [-1] * size
        self.prv = [-1] * size
        chain = [self.head, *order, self.tail]
        for a, b in itertools.pairwise(chain):
            self.nxt[a] = b
            self.prv[b] = a
        # Bit positions of each call's steps in the "placed" bit set.
        self.base: list[int] = []
        pos = 0
        for c in calls:
            self.base.append(pos)
            pos += len(c.ops)
        self.progress = [0] * n
        self.required = sum(1 for c in calls if c.responded is not None)
        self.cache: set[tuple[int, KernelState]] = set()
        self.path: list[Placed] = []
        self.best_path: list[Placed] = []
        self.best_attempts: list[Attempt] = []
        self.best_barrier: int | None = None
        self.kept = False

    def _lift(self, i: int) -> None:
        """Unlink call i's events (it is fully placed)."""
        for e in (2 * i, 2 * i + 1):
            if self.calls[i].responded is None and e & 1:
                continue
            p, q = self.prv[e], self.nxt[e]
            self.nxt[p] = q
            self.prv[q] = p

    def _unlift(self, i: int) -> None:
        """Relink call i's events, in the reverse order of ``_lift``."""
        for e in (2 * i + 1, 2 * i):
            if self.calls[i].responded is None and e & 1:
                continue
            p, q = self.prv[e], self.nxt[e]
            self.nxt[p] = e
            self.prv[q] = e

    def _classify(self, c: Call, k: int, r: Result) -> int:
        last = k == len(c.ops) - 1
        if not last and r == OK_BLOCKED:
            return _NEXT
        if c.result is None or r == c.result:
            return _DONE
        return _REJECT

    def _record(self, attempts: list[Attempt], barrier: int | None) -> None:
        """Keep the current node as the deepest failure if it is deeper than
        the one kept (copied only then: a search that never fails copies
        nothing)."""
        if len(self.path) > len(self.best_path) or not self.kept:
            self.kept = True
            self.best_path = list(self.path)
            self.best_attempts = attempts
            self.best_barrier = barrier

    def run(self) -> bool:
        calls, nxt, budget = self.calls, self.nxt, self.budget
        s = self.initial
        bits = 0
        # Frame: (event tried, state before, bits before, was call completed).
        stack: list[tuple[int, KernelState, int, bool]] = []
        attempts: list[Attempt] = []  # what failed at the current node so far
        e = nxt[self.head]
        fresh = True
        while True:
            if fresh:
                fresh = False
                if self.required == 0:
                    return True
                budget.nodes += 1
                attempts = []
                if budget.nodes >= budget.max_nodes:
                    budget.spent = f"{budget.max_nodes} search nodes"
                    self._record(attempts, None)
                    return False
                if (budget.nodes & 255) == 0 and time.perf_counter() > budget.deadline:
                    budget.spent = "time"
                    self._record(attempts, None)
                    return False
            if e != self.tail and not e & 1:
                i = e >> 1
                c = calls[i]
                k = self.progress[i]
                op = c.ops[k]
                s2, r = apply_step(s, c.pid, op)
                kind = self._classify(c, k, r)
                if kind != _REJECT:
                    width = len(c.ops) - k if kind == _DONE else 1
                    nbits = bits | (((1 << width) - 1) << (self.base[i] + k))
                    key = (nbits, s2)
                    if key not in self.cache:
                        self.cache.add(key)
                        stack.append((e, s, bits, kind == _DONE))
                        self.path.append(Placed(i, op, r))
                        if kind == _DONE:
                            self._lift(i)
                            if c.responded is not None:
                                self.required -= 1
                        self.progress[i] = k + 1
                        s, bits = s2, nbits
                        e = nxt[self.head]
                        fresh = True
                        continue
                expected = c.result if k == len(c.ops) - 1 else None
                attempts.append(Attempt(i, op, r, expected, kind != _REJECT))
                e = nxt[e]
                continue
            # A response (or the end): nothing after it can be placed here.
            self._record(attempts, None if e == self.tail else e >> 1)
            if not stack:
                return False
            e, s, bits, completed = stack.pop()
            self.path.pop()
            i = e >> 1
            self.progress[i] -= 1
            if completed:
                self._unlift(i)
                if calls[i].responded is not None:
                    self.required += 1
            attempts = []  # an interior node is never deeper than its child
            e = nxt[e]


# -- reports --------------------------------------------------------------------


def _op_text(op: StepOp) -> str:
    text = repr(op)
    return text if len(text) <= 90 else text[:87] + "..."


def _result_text(r: Result | None) -> str:
    if r is None:
        return "(never returned)"
    text = repr(r)
    return text if len(text) <= 110 else text[:107] + "..."


def _call_text(report: Report, i: int) -> str:
    c = report.calls[i]
    t0 = min((x.invoked for x in report.calls), default=0)
    end = "..." if c.responded is None else f"{(c.responded - t0) / 1000:.3f}"
    who = f"pid {c.pid}" + (f" [{c.thread}]" if c.thread else "")
    ops = " ; ".join(_op_text(o) for o in c.ops)
    return (
        f"#{i} {who} {ops} -> {_result_text(c.result)}"
        f"  @[{(c.invoked - t0) / 1000:.3f}, {end}] us"
    )


def describe(report: Report, limit: int = 40) -> str:
    """The report as text: verdict and statistics, then the witness (or the
    longest accepted prefix), then for a failure what could not be placed."""
    n = len(report.calls)
    steps = sum(len(c.ops) for c in report.calls)
    lines = [
        f"{report.verdict.value}: {n} calls; {report.nodes} search nodes, "
        f"{report.cache} cached configurations, {report.seconds:.3f} s"
        + (f" (budget spent: {report.budget})" if report.budget else "")
    ]
    if report.ok:
        lines.append("witness (linearization order):")
    else:
        lines.append(
            f"longest accepted prefix: {len(report.witness)} steps "
            f"(of at most {steps}):"
        )
    shown = report.witness[-limit:] if not report.ok else report.witness[:limit]
    skipped = len(report.witness) - len(shown)
    if skipped and not report.ok:
        lines.append(f"  ... {skipped} earlier steps")
    lines.extend(
        f"  #{p.call} pid {report.calls[p.call].pid}: "
        f"{_op_text(p.op)} -> {_result_text(p.result)}"
        for p in shown
    )
    if skipped and report.ok:
        lines.append(f"  ... {skipped} more steps")
    if report.ok:
        return "\n".join(lines)
    if report.verdict is Verdict.UNDECIDED:
        lines.append("the search stopped before deciding; raise the budget")
        return "\n".join(lines)
    lines.append("then no call could be placed next:")
    if not report.attempts:
        lines.append("  (no call was invoked early enough)")
    for a in report.attempts:
        lines.append(f"  {_call_text(report, a.call)}")
        if a.explored:
            lines.append(
                f"    step {_op_text(a.op)} is accepted ({_result_text(a.got)}), "
                "but every continuation fails"
            )
        elif a.expected is None:
            lines.append(
                f"    step {_op_text(a.op)}: the spec says {_result_text(a.got)}, "
                "the call should have gone on waiting (Ok(BLOCKED))"
            )
        else:
            lines.append(
                f"    step {_op_text(a.op)}: the spec says {_result_text(a.got)}, "
                f"the call returned {_result_text(a.expected)}"
            )
    if report.barrier is not None:
        if report.barrier in {a.call for a in report.attempts}:
            lines.append(
                f"and #{report.barrier} returned before every other remaining call "
                "was invoked, so nothing else could be placed before it"
            )
        else:
            lines.append(
                "and every other remaining call was invoked after this one "
                f"returned, so it had to come first:\n  "
                f"{_call_text(report, report.barrier)}"
            )
    placed = {p.call for p in report.witness}
    unplaced = [
        i
        for i, c in enumerate(report.calls)
        if c.responded is not None and i not in placed
    ]
    lines.append(f"returned calls never placed ({len(unplaced)}):")
    lines.extend(f"  {_call_text(report, i)}" for i in unplaced[:limit])
    if len(unplaced) > limit:
        lines.append(f"  ... {len(unplaced) - limit} more")
    return "\n".join(lines)


# -- history files -----------------------------------------------------------------

HISTORY_VERSION = 1


def encode_step(op: StepOp) -> Data:
    """A step as plain data: ``wire.encode_op``, or ``{"op": "Expire"}``."""
    if isinstance(op, Expire):
        return {"op": "Expire", "args": {}}
    return encode_op(op)


def decode_step(data: Data) -> StepOp:
    """The step ``data`` encodes (``WireError`` if it is none)."""
    if isinstance(data, dict) and data.get("op") == "Expire":
        return Expire()
    return decode_op(data)


def decode_result(data: Data) -> Result:
    """The inverse of ``results.encode_result`` (``WireError`` on bad data)."""
    if isinstance(data, dict) and set(data) == {"error"}:
        try:
            return Err(error_named(data["error"]))
        except (KeyError, ValueError) as e:
            raise WireError(f"unknown error {data['error']!r}") from e
    if not isinstance(data, dict) or set(data) != {"ok"}:
        raise WireError(f"not a result: {data!r}")
    return Ok(_decode_value(data["ok"]))


def _decode_value(v: Data) -> Value:
    if v is None or type(v) is int:
        return v
    if v == "blocked":
        return BLOCKED
    try:
        if isinstance(v, dict) and set(v) == {"bytes"}:
            return bytes.fromhex(v["bytes"])
        if isinstance(v, dict) and set(v) == {"items"}:
            return tuple(bytes.fromhex(x) for x in v["items"])
        if isinstance(v, dict) and set(v) == {"kind", "rights"}:
            return CapInfo(str(v["kind"]), int(v["rights"]))
        if isinstance(v, dict) and set(v) == {
            "sender",
            "msg_type",
            "flags",
            "data",
            "caps",
        }:
            caps = tuple(None if c is None else int(c) for c in v["caps"])
            return Delivered(
                int(v["sender"]),
                int(v["msg_type"]),
                int(v["flags"]),
                bytes.fromhex(v["data"]),
                caps,
            )
    except (TypeError, ValueError) as e:
        raise WireError(f"bad value {v!r}: {e}") from e
    raise WireError(f"not a result value: {v!r}")


def encode_history(
    calls: Iterable[Call],
    processes: int,
    config: Config | None = None,
    setup: Iterable[tuple[int, Operation]] = (),
) -> Data:
    """A history as plain data (JSON-able), with what its initial state is:
    ``initial_state(processes, config)`` then the ``setup`` operations, applied
    in order before any call (their spec results are recomputed on loading).

    ``{"version": 1, "processes": n, "config": {...}, "setup": [[pid, op]...],
    "calls": [{"pid", "thread", "ops": [op...], "result": result | null,
    "invoked": ns, "responded": ns | null}...]}``; operations and results as in
    ``wire`` (``{"op": Name, "args": {...}}``, ``{"ok": v}`` / ``{"error": N}``).
    """
    return {
        "version": HISTORY_VERSION,
        "processes": processes,
        "config": encode_config(config or Config()),
        "setup": [[pid, encode_op(op)] for pid, op in setup],
        "calls": [
            {
                "pid": c.pid,
                "thread": c.thread,
                "ops": [encode_step(op) for op in c.ops],
                "result": None if c.result is None else encode_result(c.result),
                "invoked": c.invoked,
                "responded": c.responded,
            }
            for c in calls
        ],
    }


def decode_history(data: Data) -> tuple[list[Call], KernelState]:
    """The calls and the initial spec state of an encoded history."""
    if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
        raise WireError(f"not a version {HISTORY_VERSION} history")
    try:
        s = initial_state(int(data["processes"]), decode_config(data["config"]))
        for pid, op in data.get("setup", []):
            s, _ = step(s, int(pid), decode_op(op))
        calls = [
            Call(
                int(c["pid"]),
                tuple(decode_step(op) for op in c["ops"]),
                None if c["result"] is None else decode_result(c["result"]),
                int(c["invoked"]),
                None if c["responded"] is None else int(c["responded"]),
                str(c.get("thread", "")),
            )
            for c in data["calls"]
        ]
    except (KeyError, TypeError) as e:
        raise WireError(f"malformed history: {e!r}") from e
    return calls, s


#: Exit status of ``main`` per verdict; ``EXIT_BAD_INPUT`` for a bad input.
EXIT_STATUS: dict[Verdict, int] = {
    Verdict.LINEARIZABLE: 0,
    Verdict.VIOLATION: 1,
    Verdict.UNDECIDED: 3,
}
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m veridian_ipc.conformance.linearizability HISTORY.json``:
    check a recorded history; exit 0 linearizable, 1 not linearizable, 2 bad
    usage or input (one line on standard error), 3 undecided."""
    import argparse
    import json
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.linearizability",
        description="Check a recorded concurrent history against the spec.",
        epilog="exit status: 0 linearizable, 1 not linearizable, "
        "2 bad usage or input, 3 undecided (search budget spent)",
    )
    parser.add_argument("history", type=Path, help="a history file (JSON)")
    parser.add_argument("--max-nodes", type=int, default=1_000_000)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.history.read_text(encoding="utf-8"))
        calls, s = decode_history(data)
        validate(calls)
    except OSError as exc:
        print(f"{parser.prog}: cannot read {args.history}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # bad JSON (ValueError), a bad history (WireError), bad calls
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{parser.prog}: {args.history}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = check(calls, s, max_nodes=args.max_nodes, max_seconds=args.max_seconds)
    print(report.describe())
    return EXIT_STATUS[report.verdict]


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_STATUS",
    "HISTORY_VERSION",
    "Attempt",
    "Call",
    "Expire",
    "Placed",
    "Recorder",
    "Report",
    "StepOp",
    "Verdict",
    "apply_step",
    "blocking_receive",
    "check",
    "decode_history",
    "decode_result",
    "decode_step",
    "describe",
    "encode_history",
    "encode_step",
    "main",
    "validate",
]


if __name__ == "__main__":
    raise SystemExit(main())
