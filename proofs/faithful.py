"""The one faithfulness check: an encoding evaluated on a spec step, compared.

A proof is about an encoding; this check ties each encoding to the spec
(STYLE 4.6 "check that the encoding is faithful"). For a recorded spec step
``(before, pid, op, after, result)`` and an encoding's ``Part``:

1. the part *projects* ``before`` into the encoding's state, once per thing
   the encoding models (each port, each ring, ..., or the whole capability
   system), as concrete z3 terms, and maps ``op`` to the encoding's
   transitions and their parameters (an ``Instance``; one spec step may be
   several abstract steps);
2. the part's check (``Part.__call__``) applies them (substitute and
   simplify): the guards must hold exactly when the spec succeeded (when the
   part says the encoding decides it), and a successful step's abstract
   post-state must equal the projection of ``after`` on every field the part
   compares.

A failed step changes nothing in the encoding: its projected pre-state is
then compared with the projection of ``after`` (ERR-ATOMIC, as each encoding
sees it). ``Part.invariant_failures`` evaluates the encoding's invariant on
the projection of a state (every reachable state, in ``agree_explored``).
The per-encoding parts (``agree_caps``, ``agree_ports``, ``agree_channels``,
``agree_buffers``, ``agree_filters``) hold only the projection and the step
mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import Cap, Channel, Kind, Port, Running, Sending, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
    Handle,
    ObjId,
    Pid,
)
from veridian_ipc.vocabulary.results import BLOCKED
from veridian_ipc.vocabulary.rights import GRANT, has

from ._smt import And, Proved, Term, prove, truth, value
from .induction import Params, State, System

#: One abstract step: a transition's name and its parameters.
Step = tuple[str, Params]
#: A compared field: its label, the encoding's value and the spec's.
Pair = tuple[str, Term, Term]


@dataclass
class Tokens:
    """Integer tokens standing for message bodies (equal bodies, equal tokens)."""

    ids: dict[object, int] = field(default_factory=dict)

    def of(self, body: object) -> int:
        """The token of ``body`` (1, 2, ... in order of first appearance)."""
        return self.ids.setdefault(body, len(self.ids) + 1)


@dataclass(frozen=True, slots=True)
class Instance:
    """One thing an encoding models, and what one spec step does to it."""

    label: str
    """Names the thing in a disagreement (``port 3``; empty for the whole
    capability system)."""
    pre: State
    """The projection of the spec's pre-state."""
    steps: Sequence[Step]
    """The abstract steps the spec step maps to (none: nothing should change)."""
    compare: Callable[[State], list[str]]
    """The disagreements of an abstract post-state with the spec's post-state."""
    judged: bool = True
    """Whether the encoding decides the spec step's success (the steps' guards
    must then hold exactly when the spec succeeded)."""
    admits: Callable[[State, State], Term] | None = None
    """The encoding's verdict from the pre- and post-state, when its guards
    always hold (a filter's offer: whether it counted the message admitted)."""
    pending: bool = False
    """The spec step blocked (PORT-SEND-BLOCK, CHAN-SEND-BLOCK): a pending
    admission. Its guards are judged (every check but room passed) but its
    effects wait for the step that serves it: nothing changes now."""


#: Each encoding's invariant verdict on a projected state already seen, by
#: (system, the state's field terms' ids); the states and systems are kept
#: alive (their ids are not reused).
_INVARIANT: dict[tuple[object, ...], list[str]] = {}
_KEEP: list[tuple[System, State]] = []


@dataclass(frozen=True, slots=True)
class Part:
    """An encoding's side of the check: which system, and how a spec step maps
    into it (``instances``: one per modelled thing the step concerns)."""

    name: str
    system: System
    instances: Callable[
        [KernelState, int, object, KernelState, object], Iterable[Instance]
    ]
    project: Callable[[KernelState], Iterable[tuple[str, State]]] | None = None
    """The projection of a whole state: each modelled thing, labelled."""

    def invariant_failures(
        self, s: KernelState, system: System | None = None
    ) -> list[str]:
        """The conjuncts of the encoding's invariant (or ``system``'s) that
        fail on the projection of ``s``, labelled; empty when all hold."""
        if self.project is None:
            return []
        system = self.system if system is None else system
        out: list[str] = []
        for label, st in self.project(s):
            key = (id(system), *((k, st[k].get_id()) for k in sorted(st)))
            found = _INVARIANT.get(key)
            if found is None:
                found = [c.name for c in system.conjuncts if not holds(c.holds(st))]
                if len(_INVARIANT) >= _DECIDED_MAX // 10:
                    _INVARIANT.clear()
                    _KEEP.clear()
                _INVARIANT[key] = found
                _KEEP.append((system, st))  # their ids are not reused
            prefix = f"{label}: " if label else ""
            out += [
                f"{prefix}invariant {n} fails on the projected state" for n in found
            ]
        return out

    def __call__(
        self,
        before: KernelState,
        pid: int,
        op: object,
        after: KernelState,
        result: object,
        system: System | None = None,
        refused: bool | None = None,
    ) -> list[str]:
        """The check: disagreements of the encoding (or ``system``, a variant
        of it) with one spec step, empty when they agree. Run the step's
        abstract steps on each projected instance, judge the guards, compare.

        ``refused``: another encoding refused the step (the quota encoding's
        ``OutOfMemory``, checked after every other check): to this one it is a
        failed step, its guards not judged, and nothing may change. ``None``:
        ask the quota encoding (``agree_quota.refuses``)."""
        if not issued(before, pid, op):
            return []
        if refused is None:
            refused = self.name != "quota" and _quota_refuses(
                before, pid, op, after, result
            )
        system = self.system if system is None else system
        out: list[str] = []
        for inst in self.instances(before, pid, op, after, result):
            if refused:
                prefix = f"{inst.label}: " if inst.label else ""
                out += [prefix + d for d in inst.compare(inst.pre)]
                continue
            ok, post = apply(system, inst.pre, inst.steps)
            verdict = ok
            if inst.admits is not None:
                verdict = bool(value(inst.admits(inst.pre, post)))
            prefix = f"{inst.label}: " if inst.label else ""
            if inst.steps and inst.judged and verdict != succeeded(result):
                out.append(f"{prefix}guard {verdict}, spec result {result}")
                continue
            # a failed step changes nothing in the encoding: the spec must
            # agree (ERR-ATOMIC), so the pre-state is compared instead; nor
            # does a pending one, yet
            changed = ok and not inst.pending
            out += [prefix + d for d in inst.compare(post if changed else inst.pre)]
        return out


def _quota_refuses(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> bool:
    """The quota encoding refuses the step (``agree_quota.refuses``)."""
    from .agree_quota import refuses  # agree_quota builds on this module

    return refuses(before, pid, op, after, result)


def _ids(s: State) -> tuple[tuple[str, int], ...]:
    return tuple((k, s[k].get_id()) for k in sorted(s))


#: Abstract steps already applied, by (system, pre-state ids, steps' ids).
_APPLIED: dict[tuple[object, ...], tuple[bool, State, State, list[Step], System]] = {}


def apply(system: System, s: State, steps: Iterable[Step]) -> tuple[bool, State]:
    """``steps`` applied in order: whether every guard held, and the result
    (memoised on the terms' ids: many explored transitions apply the same
    abstract step to the same projected state)."""
    steps = list(steps)
    key = (id(system), _ids(s), *((n, _ids(p)) for n, p in steps))
    found = _APPLIED.get(key)
    if found is not None:
        return found[0], found[1]
    pre, ok = s, True
    for name, params in steps:
        guard, s = system.transition(name).apply(s, params)
        ok = ok and truth(guard)
    if len(_APPLIED) >= _DECIDED_MAX // 10:
        _APPLIED.clear()
    # the terms and the system kept alive: their ids are not reused
    _APPLIED[key] = (ok, s, pre, steps, system)
    return ok, s


def succeeded(result: object) -> bool:
    """The spec step succeeded."""
    return isinstance(result, Ok)


def issued(s: KernelState, pid: int, op: object) -> bool:
    """The step reached its rule (not refused by PROC-STATUS first): read
    from the state, not computed by the spec's own check."""
    if not isinstance(op, sc.Operation) or op.environment:
        return True
    p = s.processes.get(Pid(pid)) if type(pid) is int else None
    return p is not None and (isinstance(p.status, Running) or type(op) is sc.Resume)


def task_pid(s: KernelState, pid: int) -> int:
    """The task of thread ``pid``, read from its record (PROC-THREAD: a task's
    first thread holds the tables, every other thread names it in ``task``);
    ``pid`` itself for a task or an unknown pid. The encodings keep one table
    per task: a thread's step is projected as its task's."""
    p = s.processes.get(Pid(pid)) if type(pid) is int else None
    return pid if p is None or p.task is None else int(p.task)


def threads(s: KernelState, task: int) -> list[int]:
    """Every live thread of ``task`` (itself first), read from the records."""
    return sorted(int(q) for q, p in s.processes.items() if q == task or p.task == task)


def cap_at(s: KernelState, pid: int, handle: int, kind: Kind | None) -> Cap | None:
    """The capability behind ``pid``'s ``handle`` (of ``kind``, if given), read
    from the tables of its task (the spec's ``resolve`` is not called: the
    check must not compute with the code it checks)."""
    p = s.processes.get(Pid(task_pid(s, pid)))
    cid = None if p is None else p.handles.get(Handle(handle))
    cap = None if cid is None else s.caps.get(cid)
    if cap is None or (kind is not None and cap.kind is not kind):
        return None
    return cap


def carried_ok(s: KernelState, pid: int, op: sc.Send) -> bool:
    """A send's carried capabilities can move (MSG-TRANSFER, MSG-LIMITS):
    distinct handles, not the one sent through, each a live handle of the
    sender with GRANT; read from the tables, not from ``check_transfer``."""
    if len(set(op.caps)) != len(op.caps) or op.handle in op.caps:
        return False
    for h in op.caps:
        cap = cap_at(s, pid, h, None)
        if cap is None or not has(cap.rights, GRANT):
            return False
    return True


def well_formed(op: sc.Send) -> bool:
    """MSG-LIMITS's bounds on a send, from the vocabulary's constants."""
    return (
        len(op.data) <= MAX_INLINE_DATA
        and 0 <= op.msg_type <= MAX_U32
        and 0 <= op.flags <= MAX_FLAGS
        and len(op.caps) <= MAX_MESSAGE_CAPS
        and len(set(op.caps)) == len(op.caps)
        and op.handle not in op.caps
    )


def object_of(
    s: KernelState, pid: int, handle: int, kind: Kind, right: int
) -> int | None:
    """The object a handle names, if it resolves to ``kind`` and has ``right``."""
    cap = cap_at(s, pid, handle, kind)
    if cap is None or not has(cap.rights, right):
        return None
    return int(cap.obj)


def pairs(name: str, got: Term, want: Term, idx: Iterable[int]) -> list[Pair]:
    """Entry-by-entry pairs of two arrays at the indices ``idx``."""
    return [(f"{name}[{i}]", got[i], want[i]) for i in idx]


def nested_pairs(
    name: str, got: Term, want: Term, idx: Iterable[int], inner: Sequence[int]
) -> list[Pair]:
    """Entry-by-entry pairs of two arrays of arrays."""
    return [(f"{name}[{i}][{j}]", got[i][j], want[i][j]) for i in idx for j in inner]


#: Closed claims already decided, by z3 AST id (z3 shares structurally equal
#: terms, so a repeated comparison or invariant is one lookup); the term is
#: kept so that its id is not reused.
_DECIDED: dict[int, tuple[Term, bool]] = {}
_DECIDED_MAX = 200_000


def holds(claim: Term) -> bool:
    """A closed claim is valid (memoised: the explored agreement pass asks
    the same question of many transitions)."""
    key = claim.get_id()
    found = _DECIDED.get(key)
    if found is not None:
        return found[1]
    if len(_DECIDED) >= _DECIDED_MAX:
        _DECIDED.clear()
    verdict = isinstance(prove(claim), Proved)
    _DECIDED[key] = (claim, verdict)
    return verdict


def differences(compared: list[Pair]) -> list[str]:
    """The pairs whose two closed terms differ (one solver call when none do;
    arrays are compared whole, by extensionality)."""
    if not compared or holds(And(*[a == b for _, a, b in compared])):
        return []
    return [
        f"{name}: encoding {_show(a)}, spec {_show(b)}"
        for name, a, b in compared
        if not holds(a == b)
    ]


def _show(t: Term) -> str:
    try:
        return str(value(t))
    except ValueError:
        return "(an array)"


def kept_slots(s: KernelState, obj: object) -> int:
    """The messages handed off from port ``obj`` to a woken receiver and not
    yet collected: each keeps its slot in the port's capacity (PORT-HANDOFF),
    read from the process table (the one count of kept slots in the proofs:
    the port projection and PORT-SEND's ``PortFull`` condition use it)."""
    return sum(
        1
        for p in s.processes.values()
        if isinstance(p.status, Woken) and p.status.handed == obj
    )


def blocked(op: object, result: object, after: KernelState, pid: int, obj: int) -> bool:
    """The step, a send by thread ``pid``, blocked it on ``obj``
    (PORT-SEND-BLOCK, CHAN-SEND-BLOCK): ``Ok(BLOCKED)``, and its status after
    the step says where it waits."""
    if not isinstance(op, sc.Send | sc.ChannelSend) or result != Ok(BLOCKED):
        return False
    p = after.processes.get(Pid(pid))
    return p is not None and isinstance(p.status, Sending) and p.status.obj == obj


def served(
    before: KernelState, obj: int, after: KernelState
) -> list[tuple[int, object]]:
    """The blocked senders of port or ring ``obj`` whose send, attempted again
    once room freed, went through during the step (PORT-SEND-BLOCK: served in
    FIFO order), each with its send: those ``Sending`` to ``obj`` before and
    woken with ``Ok(None)`` after, read from the process table."""
    o = before.objects[ObjId(obj)]
    assert isinstance(o, Port | Channel)
    out: list[tuple[int, object]] = []
    for w in o.senders:
        st = before.processes[w].status
        p = after.processes.get(w)
        if not isinstance(st, Sending) or p is None:
            continue
        if isinstance(p.status, Woken) and p.status.result == Ok(None):
            out.append((int(w), st.op))
    return out
