"""Rule coverage: which rules a run exercised, how often, and which error paths.

Every step is tagged with the rule IDs it exercises: the operation's own rules
(``surface.STATIC_TAGS``, from the operation registry) plus those its outcome
shows (the rule whose documented errors include the error returned, a
hand-off, a deadline that fired, a filter consulted, a capability carried,
POSIX-ERRNO for an error of a posix-group operation). Tags are read from the
spec's states before and after the step and from its result; nothing is
re-decided.

Behaviour coverage (``behaviours``) counts, besides, the named behaviours each
step reached: ``Coverage.add`` hands the step to its ``BehaviourTracker``.
"""

from __future__ import annotations

from collections import Counter

from veridian_ipc.spec import RULES, RuleId
from veridian_ipc.spec.state import KernelState, Kind, Port, Waiting, Woken
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Close,
    Operation,
    Send,
    SockSend,
    TransferBuffer,
)

from .behaviours import BehaviourTracker
from .surface import ALWAYS_TAGS, OP_GROUP, STATIC_TAGS, rule_with_error

R = RuleId

#: Rules an error may come from besides the operation's own.
SHARED_ERROR_RULES: tuple[RuleId, ...] = (
    R.CAP_HANDLE,
    R.RIGHTS_REQUIRED,
    R.MSG_LIMITS,
    R.MSG_TRANSFER,
    R.PORT_CLOSE,
    R.CHAN_CLOSE,
    R.FILTER_CHECK,
    R.FILTER_RATE,
)


def _handle_kind(s: KernelState, pid: int, handle: object) -> Kind | None:
    p = s.processes.get(pid)  # type: ignore[call-overload]
    if p is None or type(handle) is not int:
        return None
    cap_id = p.handles.get(handle)
    return None if cap_id is None else s.caps[cap_id].kind


def _target_port(s: KernelState, pid: int, op: Operation) -> Port | None:
    p = s.processes.get(pid)  # type: ignore[call-overload]
    if p is None:
        return None
    cap_id = None
    if isinstance(op, Send):
        cap_id = p.handles.get(op.handle) if type(op.handle) is int else None
    elif isinstance(op, TransferBuffer):
        cap_id = p.handles.get(op.port) if type(op.port) is int else None
    elif isinstance(op, SockSend) and type(op.fd) is int:
        entry = p.fds.get(op.fd)
        cap_id = None if entry is None else entry.peer
    if cap_id is None or cap_id not in s.caps:
        return None
    obj = s.objects.get(s.caps[cap_id].obj)
    return obj if isinstance(obj, Port) else None


def tags(
    before: KernelState, pid: int, op: Operation, result: Result, after: KernelState
) -> tuple[list[RuleId], tuple[RuleId, str] | None]:
    """The rules one step exercised, and its error path ``(rule, error)``."""
    name = type(op).__name__
    out: list[RuleId] = [*STATIC_TAGS.get(name, ()), *ALWAYS_TAGS]
    if not well_typed(op):
        out.append(R.ERR_TOTAL)
    if isinstance(op, Close):
        kind = _handle_kind(before, pid, op.handle)
        out.append(R.CHAN_CLOSE if kind is Kind.CHANNEL else R.PORT_CLOSE)
    if isinstance(op, Send) and op.caps:
        out.append(R.MSG_TRANSFER)
    port = _target_port(before, pid, op)
    if port is not None and port.filter is not None:
        out.append(R.FILTER_CHECK)
        if port.filter.rate is not None:
            out.append(R.FILTER_RATE)
    woken = [
        q
        for q, p in after.processes.items()
        if isinstance(p.status, Woken)
        and q in before.processes
        and isinstance(before.processes[q].status, Waiting)
    ]
    if woken and isinstance(op, AdvanceClock):
        out.append(R.TIME_DEADLINE)
    if woken and isinstance(op, Send | TransferBuffer | SockSend):
        out.append(R.PORT_HANDOFF)
    if isinstance(result, Ok) and isinstance(result.value, Delivered):
        out.append(R.MSG_INFLIGHT_REVOKE)
    error_path: tuple[RuleId, str] | None = None
    if isinstance(result, Err):
        err = result.error.name
        out.append(R.ERR_ATOMIC)
        if OP_GROUP.get(name) == "posix":
            out.append(R.POSIX_ERRNO)
        if err in ("NoSuchProcess", "ProcessBlocked"):
            origin: RuleId | None = R.PROC_STATUS
        elif err == "InvalidArgument" and not well_typed(op):
            origin = R.ERR_TOTAL
        else:
            origin = rule_with_error((*out, *SHARED_ERROR_RULES), err)
        if origin is not None:
            out.append(origin)
            error_path = (origin, err)
    return list(dict.fromkeys(out)), error_path


#: One step as the spec saw it: (pre, pid, op, result, post).
SpecStep = tuple[KernelState, int, Operation, Result, KernelState]


class Coverage:
    """Counts of rules exercised, error paths taken and behaviours reached."""

    def __init__(self) -> None:
        self.rules: Counter[RuleId] = Counter()
        self.errors: Counter[tuple[RuleId, str]] = Counter()
        self.steps = 0
        self.behaviours = BehaviourTracker()

    def add(
        self,
        rules: list[RuleId],
        error_path: tuple[RuleId, str] | None,
        step: SpecStep | None = None,
        first: bool = False,
    ) -> None:
        """Record one step; with ``step``, also the behaviours it reached
        (``first``: it is an example's first step, so the tracker's history
        starts again)."""
        self.steps += 1
        self.rules.update(rules)
        if error_path is not None:
            self.errors[error_path] += 1
        if step is not None:
            if first:
                self.behaviours.reset()
            self.behaviours.step(*step)

    def uncovered(self) -> list[str]:
        """Rules no step exercised."""
        return [r.value for r in RuleId if self.rules[r] == 0]

    def uncovered_errors(self) -> list[str]:
        """Documented ``RULE:Error`` paths no step took."""
        seen = {(r.value, e) for (r, e) in self.errors}
        return [
            f"{rid.value}:{e}"
            for rid, entry in RULES.items()
            for e in dict.fromkeys(entry.errors)
            if (rid.value, e) not in seen
        ]

    def to_json(self) -> dict[str, object]:
        """Plain data for reports."""
        per_rule: dict[str, object] = {}
        for rid in RuleId:
            errs = {e: n for (r, e), n in sorted(self.errors.items()) if r is rid}
            per_rule[rid.value] = {"count": self.rules[rid], "errors": errs}
        return {
            "steps": self.steps,
            "rules": per_rule,
            "uncovered": self.uncovered(),
            "uncovered_errors": self.uncovered_errors(),
        }
