"""The vocabulary of the step properties: transitions and what they read.

A ``Transition`` is one step of the spec; a ``StepProperty`` is a claim about
every transition. The readers here (``cap_behind``, ``subtree``, ``in_transit``
...) read states only and run none of the spec's helpers, so a seeded bug in
the spec cannot change what a property sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from veridian_ipc.spec import KernelState, RuleId
from veridian_ipc.spec.state import Cap, Port, Woken
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import CapId, Fd, Pid
from veridian_ipc.vocabulary.results import Blocked, Delivered, Ok, Result


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of the spec: ``step(pre, pid, op) == (post, result)``."""

    pre: KernelState
    pid: Pid
    op: sc.Operation
    result: Result
    post: KernelState


Check = Callable[[Transition], str | None]


@dataclass(frozen=True, slots=True)
class StepProperty:
    """A claim of the rules about every transition; ``check`` says what fails."""

    id: str
    prose: str
    rules: tuple[RuleId, ...]
    check: Check


# -- reading states (no spec logic) ----------------------------------------------


def cap_behind(s: KernelState, pid: Pid, handle: int) -> tuple[CapId, Cap] | None:
    """The capability ``handle`` names in ``pid``'s table, read from the state."""
    p = table_of(s, pid) if pid in s.processes else None
    cid = None if p is None else p.handles.get(handle)  # type: ignore[call-overload]
    return None if cid is None else (cid, s.caps[cid])


def subtree(s: KernelState, cap_id: CapId) -> set[CapId]:
    """Every strict descendant of ``cap_id`` (its children, transitively)."""
    out: set[CapId] = set()
    todo = list(s.caps[cap_id].children)
    while todo:
        c = todo.pop()
        if c not in out and c in s.caps:
            out.add(c)
            todo.extend(s.caps[c].children)
    return out


def in_transit(s: KernelState) -> int:
    """Messages the system holds: queued on ports, or handed to a woken
    receiver that has not collected them yet."""
    queued = sum(len(o.queue) for o in s.objects.values() if isinstance(o, Port))
    woken = sum(
        1
        for p in s.processes.values()
        if isinstance(p.status, Woken)
        and isinstance(p.status.result, Ok)
        and isinstance(p.status.result.value, Delivered)
    )
    return queued + woken


def in_rings(s: KernelState) -> int:
    """Messages held by channel rings."""
    return sum(len(getattr(o, "held", ())) for o in s.objects.values())


def port_of_send(t: Transition) -> Port | None:
    """The port (in ``pre``) a successful message-sending step sent to."""
    op, pre = t.op, t.pre
    if isinstance(t.result, Ok) and isinstance(t.result.value, Blocked):
        return None  # a send that blocked sent nothing (PORT-SEND-BLOCK)
    if isinstance(op, sc.Send | sc.TransferBuffer):
        found = cap_behind(
            pre, t.pid, op.port if isinstance(op, sc.TransferBuffer) else op.handle
        )
    elif isinstance(op, sc.SockSend):
        entry = table_of(pre, t.pid).fds.get(Fd(op.fd))
        peer = None if entry is None else entry.peer
        found = None if peer is None else (peer, pre.caps[peer])
    else:
        return None
    if found is None:
        return None
    obj = pre.objects[found[1].obj]
    return obj if isinstance(obj, Port) else None


def ok(t: Transition) -> bool:
    return isinstance(t.result, Ok)


SENDS = (sc.Send, sc.TransferBuffer, sc.SockSend)


__all__ = [
    "SENDS",
    "Check",
    "StepProperty",
    "Transition",
    "cap_behind",
    "in_rings",
    "in_transit",
    "ok",
    "port_of_send",
    "subtree",
]
