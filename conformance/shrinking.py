"""Shrinking a divergence to a 1-minimal trace of the same signature.

``shrink(ops, make_checker, signature)`` takes the steps an example ran up to
its divergence and removes steps (delta debugging: chunks of 8, 4, 2, then
single steps, repeated until a whole pass removes nothing) as long as the
shorter sequence, replayed from the initial state on a fresh checker, still
diverges with the same ``signatures.Signature``. When it ends within its
budget the trace is **1-minimal**: removing any single step of it loses the
signature.

Removing a step that created objects changes what later numbers mean: the
operations carry the spec's own numbering (the symbolic names of traces:
"the handle the spec calls 3"), and the spec allocates numbers in order. So a
candidate is **renumbered** (``renumber``) before it runs: the original steps
are replayed on the spec alone to learn which numbers each step created (a
pid, handles and mappings per process: the fields the registry marks
``PidRef`` / ``HandleRef`` / ``MapRef``, ``surface.ID_FIELDS``), the kept
steps are replayed the same way, and each later operation's numbers are
rewritten to the numbers the same objects get in the candidate. A number
whose object's creator was removed becomes one that names nothing (the step
stays, as with a stale handle, and most likely fails: a candidate that loses
the signature is not taken); in a list of handles (the capabilities ``Send``
carries) that item is left out. A step *issued by* a process whose ``Spawn``
was removed is dropped.
Numbers no step created (stale or invented ones) are kept as they are.

Every replay is on a fresh target (``Checker.reset``); a crash or a hang is a
divergence like any other (``crashes``). Replays are bounded (``budget``),
and hangs, which cost a full step timeout each, more tightly
(``hang_budget``); the shrinking also stops after ``seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from veridian_ipc.spec import Config, initial_state, step
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.syscalls import Operation

from .checker import Checker, Divergence
from .crashes import apply_step
from .signatures import Signature, signature_of
from .surface import ID_FIELDS, IdKind
from .targets import TargetFailure
from .wire import decode_op, encode_op

Step = tuple[int, Operation]
#: A number in a scope: (kind, pid scope or 0 for pids, number).
Key = tuple[IdKind, int, int]

#: Added to a number whose object's creator was removed: it names nothing.
LOST_OFFSET = 1 << 20

#: Replays one divergence's shrinking may use, hangs among them, and seconds.
REPLAY_BUDGET = 400
HANG_BUDGET = 6
SHRINK_SECONDS = 30.0


def _ids(s: KernelState) -> set[Key]:
    out: set[Key] = set()
    for pid, p in s.processes.items():
        out.add((IdKind.PID, 0, int(pid)))
        out.update((IdKind.HANDLE, int(pid), int(h)) for h in p.handles)
        out.update((IdKind.MAPPING, int(pid), int(m)) for m in p.mappings)
    return out


def _scope_of(key: Key) -> tuple[IdKind, int]:
    return key[0], key[1]


def _sorted_new(seen: set[Key], s: KernelState) -> dict[tuple[IdKind, int], list[int]]:
    """Numbers live in ``s`` and never seen before, by scope, in order."""
    fresh: dict[tuple[IdKind, int], list[int]] = {}
    for key in sorted(_ids(s) - seen):
        fresh.setdefault(_scope_of(key), []).append(key[2])
    return fresh


@dataclass
class Numbering:
    """The numbers each step of a sequence created, on the spec alone."""

    created: list[dict[tuple[IdKind, int], list[int]]]
    everything: set[Key]


def numbering(ops: list[Step], processes: int, config: Config) -> Numbering:
    """Replay ``ops`` on the spec and note what each step created."""
    s = initial_state(processes=processes, config=config)
    seen = _ids(s)
    created = []
    made: set[Key] = set()
    for pid, op in ops:
        s, _ = step(s, pid, op)
        fresh = _sorted_new(seen, s)
        created.append(fresh)
        for (kind, scope), numbers in fresh.items():
            made.update((kind, scope, n) for n in numbers)
        seen |= _ids(s)
    return Numbering(created, made)


def renumber(
    ops: list[Step],
    keep: list[int],
    numbers: Numbering,
    processes: int,
    config: Config,
) -> tuple[list[int], list[Step]]:
    """The steps ``keep`` (indices into ``ops``) with their numbers rewritten
    to name the same objects once the other steps are gone (module
    docstring); a step naming an object whose creator is gone is dropped.
    Returns the indices kept and their operations."""
    s = initial_state(processes=processes, config=config)
    seen = _ids(s)
    pids = {p: p for p in range(processes + 1)}  # 0: the environment
    mapping: dict[Key, int] = {}
    kept: list[int] = []
    out: list[Step] = []

    def translate(kind: IdKind, scope: int, v: int) -> int | None:
        if kind is IdKind.PID:
            if v in pids:
                return pids[v]
            return None if (IdKind.PID, 0, v) in numbers.everything else v
        key = (kind, scope, v)
        if key in mapping:
            return mapping[key]
        return None if key in numbers.everything else v

    def lost(kind: IdKind, scope: int, v: int) -> int:
        """A number for an object whose creator is gone: one that names
        nothing (as a stale handle does)."""
        return v + LOST_OFFSET

    for i in keep:
        pid, op = ops[i]
        new_pid = pids.get(pid)
        if new_pid is None:
            continue
        new_op = _rewrite(op, pid, translate, lost)
        if new_op is None:
            continue
        s, _ = step(s, new_pid, new_op)
        fresh = _sorted_new(seen, s)
        seen |= _ids(s)
        for (kind, scope), originals in numbers.created[i].items():
            cand_scope = scope if kind is IdKind.PID else pids.get(scope)
            if cand_scope is None:
                continue
            for a, b in zip(originals, fresh.get((kind, cand_scope), []), strict=False):
                if kind is IdKind.PID:
                    pids[a] = b
                else:
                    mapping[(kind, scope, a)] = b
        kept.append(i)
        out.append((new_pid, new_op))
    return kept, out


def _rewrite(
    op: Operation,
    pid: int,
    translate: Callable[[IdKind, int, int], int | None],
    lost: Callable[[IdKind, int, int], int],
) -> Operation | None:
    """``op`` with its id fields translated (module docstring)."""
    fields = ID_FIELDS.get(type(op).__name__)
    if not fields:
        return op
    data = encode_op(op)
    args = dict(data["args"])
    for name, kind in fields.items():
        v = args.get(name)
        values = v if isinstance(v, list) else [v]
        done = []
        for x in values:
            if type(x) is not int:
                done.append(x)
                continue
            t = translate(kind, pid, x)
            if t is None and not isinstance(v, list):
                t = lost(kind, pid, x)
            if t is not None:  # a lost item of a list (Send.caps) is left out
                done.append(t)
        args[name] = done if isinstance(v, list) else done[0]
    try:
        return decode_op({"op": data["op"], "args": args})
    except Exception:  # an ill-typed record keeps its shape: send it as it was
        return op


@dataclass
class Shrunk:
    """The outcome of shrinking one divergence."""

    divergence: Divergence
    reproduced: bool
    minimal: bool
    replays: int
    original_length: int
    #: Why shrinking stopped early (a broken target), if it did.
    failure: str | None = None


class _Replayer:
    def __init__(
        self,
        make_checker: Callable[[], Checker],
        signature: Signature,
        budget: int,
        hang_budget: int,
        seconds: float,
    ) -> None:
        self.make_checker = make_checker
        self.signature = signature
        self.budget = budget
        self.hang_budget = hang_budget
        self.deadline = time.perf_counter() + seconds
        self.replays = 0
        self.hangs = 0
        self.failure: str | None = None

    @property
    def spent(self) -> bool:
        return (
            self.failure is not None
            or self.replays >= self.budget
            or self.hangs >= self.hang_budget
            or time.perf_counter() > self.deadline
        )

    def run(self, ops: list[Step]) -> Divergence | None:
        """Replay ``ops``; the divergence if it has the signature."""
        self.replays += 1
        checker = self.make_checker()
        try:
            checker.reset()
            for pid, op in ops:
                apply_step(checker, pid, op)
        except Divergence as div:
            if div.kind == "hang":
                self.hangs += 1
            return div if signature_of(div) == self.signature else None
        except TargetFailure as fail:  # cannot even reset: stop shrinking
            self.failure = str(fail)
        return None


def shrink(
    ops: list[Step],
    make_checker: Callable[[], Checker],
    signature: Signature,
    *,
    budget: int = REPLAY_BUDGET,
    hang_budget: int = HANG_BUDGET,
    seconds: float = SHRINK_SECONDS,
) -> Shrunk | None:
    """``ops`` shrunk to a 1-minimal sequence diverging with ``signature``
    (module docstring); None if ``ops`` itself does not (not reproduced)."""
    probe = make_checker()
    processes, config = probe.processes, probe.config
    replayer = _Replayer(make_checker, signature, budget, hang_budget, seconds)
    best = replayer.run(ops)
    if best is None:
        return None
    numbers = numbering(ops, processes, config)
    current = list(range(best.step))
    minimal = False
    while not minimal and not replayer.spent:
        changed = False
        for chunk in (8, 4, 2, 1):
            i = 0
            while i < len(current) and not replayer.spent:
                keep = current[:i] + current[i + chunk :]
                kept, candidate = renumber(ops, keep, numbers, processes, config)
                found = replayer.run(candidate) if candidate else None
                if found is not None:
                    best, current, changed = found, kept[: found.step], True
                else:
                    i += chunk
        # a whole pass removed nothing, and was not cut short: 1-minimal
        minimal = not changed and not replayer.spent
    return Shrunk(
        best,
        reproduced=True,
        minimal=minimal,
        replays=replayer.replays,
        original_length=len(ops),
        failure=replayer.failure,
    )


__all__ = ["Numbering", "Shrunk", "numbering", "renumber", "shrink"]
