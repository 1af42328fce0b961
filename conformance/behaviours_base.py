"""What a behaviour is, and the small per-example memory its predicate may read.

A *behaviour* is a situation inside a rule that matters for finding bugs, not
just "the rule was called": a capability that travelled to another process and
is then used, a revoke that reaches a descendant through a dropped
intermediate, a rate limit that refills after a full period of two or more
ticks. Each has a stable ID (``B-...``), the rule IDs it belongs to (its group
is its first rule's), a one-line description and a predicate over one step:

    predicate(pre, pid, op, result, post, history) -> bool

``pre`` and ``post`` are the spec's states around the step (the spec is the
reference: predicates never look at the target), ``result`` the spec's result.
``History`` is what the predicates of one example need to remember of the
earlier steps (which capabilities arrived from another process, which were
re-attached by a dropped intermediate, which names were unbound); the tracker
(``behaviours.BehaviourTracker``) resets it per example and updates it after
every step, so a predicate sees the history of the steps *before* its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from veridian_ipc.spec.state import (
    AtHandle,
    Buffer,
    Cap,
    Channel,
    InFlight,
    KernelState,
    Port,
    Process,
    Waiting,
    Woken,
)
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.ids import RuleId, group_of
from veridian_ipc.vocabulary.names import CapId, Handle, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    Connect,
    Drop,
    Lookup,
    Operation,
    Send,
    SockSend,
    TransferBuffer,
    Unbind,
)


@dataclass
class History:
    """Per-example memory of the steps so far (spec capability ids, names).

    - ``sent_by``: capabilities in flight in a message, and who sent them;
    - ``travelled``: capabilities delivered to a process other than their
      sender (MSG-TRANSFER): using one exercises authority that crossed
      processes;
    - ``reparented``: capabilities whose parent was dropped, so that they now
      hang from their grandparent (CAP-DROP);
    - ``unbound``: names that an ``Unbind`` removed (NS-UNBIND);
    - ``closed_names``: names whose binding went with its port (PORT-CLOSE,
      NS-BIND: a close, or the abandoning of a port nobody can receive from);
    - ``looked_up``: capabilities obtained by ``Lookup`` or ``Connect``.
    """

    sent_by: dict[CapId, int] = field(default_factory=dict)
    travelled: set[CapId] = field(default_factory=set)
    reparented: set[CapId] = field(default_factory=set)
    unbound: set[str] = field(default_factory=set)
    closed_names: set[str] = field(default_factory=set)
    looked_up: set[CapId] = field(default_factory=set)

    def update(
        self,
        pre: KernelState,
        pid: int,
        op: Operation,
        result: Result,
        post: KernelState,
    ) -> None:
        """Remember what this step did that later predicates ask about."""
        if not isinstance(result, Ok):
            return
        if isinstance(op, Send) and op.caps:
            for h in op.caps:
                cid = cap_id_at(pre, pid, h)
                if cid is not None:
                    self.sent_by[cid] = pid
        elif isinstance(op, TransferBuffer):
            for n in range(pre.next_cap, post.next_cap):
                c = post.caps.get(CapId(n))
                if c is not None and isinstance(c.at, InFlight):
                    self.sent_by[CapId(n)] = pid
        elif isinstance(op, Drop):
            cap = cap_at(pre, pid, op.handle)
            if cap is not None and cap.parent is not None:
                self.reparented |= cap.children
        elif isinstance(op, Unbind):
            self.unbound.add(op.name)
        elif isinstance(op, Lookup | Connect) and isinstance(result.value, int):
            cid = table_of(post, Pid(pid)).handles.get(Handle(result.value))
            if cid is not None:
                self.looked_up.add(cid)
        if self.sent_by:
            self._arrivals(post)
        for name, b in pre.namespace.items():
            if name not in post.namespace:
                o = post.objects.get(pre.caps[b.cap].obj)
                if isinstance(o, Port) and o.closed:
                    self.closed_names.add(name)

    def _arrivals(self, post: KernelState) -> None:
        """Capabilities in flight that reached a process's table since."""
        for cid, sender in list(self.sent_by.items()):
            c = post.caps.get(cid)
            if c is None:
                del self.sent_by[cid]
            elif isinstance(c.at, AtHandle):
                if c.at.pid != sender:
                    self.travelled.add(cid)
                del self.sent_by[cid]


Predicate = Callable[[KernelState, int, Operation, Result, KernelState, History], bool]


@dataclass(frozen=True)
class Behaviour:
    """One named behaviour: ID, rules, description, predicate, and the
    operation types that can reach it (the tracker runs the predicate only for
    those)."""

    id: str
    rules: tuple[RuleId, ...]
    description: str
    ops: tuple[type[Operation], ...]
    predicate: Predicate

    @property
    def group(self) -> str:
        """The group of its first rule (``vocabulary.ids.GROUPS``)."""
        return group_of(self.rules[0])

    def to_json(self) -> dict[str, object]:
        """Plain data (the catalogue listing)."""
        return {
            "id": self.id,
            "group": self.group,
            "rules": [r.value for r in self.rules],
            "description": self.description,
        }


# -- helpers the predicates share ---------------------------------------------------


def tables(s: KernelState, pid: object) -> Process | None:
    """The record holding the tables of ``pid``'s task (PROC-THREAD), if
    ``pid`` is a live thread."""
    if type(pid) is not int or Pid(pid) not in s.processes:
        return None
    return table_of(s, Pid(pid))


def cap_id_at(s: KernelState, pid: int, handle: object) -> CapId | None:
    """The capability ``pid``'s ``handle`` names in ``s``, if any."""
    p = tables(s, pid)
    if p is None or type(handle) is not int:
        return None
    return p.handles.get(Handle(handle))


def cap_at(s: KernelState, pid: int, handle: object) -> Cap | None:
    """The capability node behind ``pid``'s ``handle`` in ``s``, if any."""
    cid = cap_id_at(s, pid, handle)
    return None if cid is None else s.caps.get(cid)


def ok(result: Result) -> bool:
    """The step succeeded."""
    return isinstance(result, Ok)


def failed_with(result: Result, name: str) -> bool:
    """The step failed with the error called ``name``."""
    return isinstance(result, Err) and result.error.name == name


def delivered(result: Result) -> Delivered | None:
    """The message a receive or resume delivered, if it did."""
    if isinstance(result, Ok) and isinstance(result.value, Delivered):
        return result.value
    return None


def destroyed(pre: KernelState, post: KernelState) -> list[CapId]:
    """Capabilities of ``pre`` that ``post`` no longer has."""
    if len(post.caps) >= len(pre.caps) and post.next_cap == pre.next_cap:
        return []
    return [cid for cid in pre.caps if cid not in post.caps]


def depth(s: KernelState, cid: CapId) -> int:
    """How many ancestors capability ``cid`` has in the derivation tree."""
    n = 0
    parent = s.caps[cid].parent
    while parent is not None:
        n += 1
        parent = s.caps[parent].parent
    return n


#: Every behaviour, in the order the group modules define them
#: (``behaviours_catalogue`` imports them all).
CATALOGUE: list[Behaviour] = []


def behaviour(
    bid: str, rules: tuple[RuleId, ...], description: str, *ops: type[Operation]
) -> Callable[[Predicate], Predicate]:
    """Add the decorated predicate to ``CATALOGUE`` as behaviour ``bid``."""

    def add(fn: Predicate) -> Predicate:
        CATALOGUE.append(Behaviour(bid, rules, description, ops, fn))
        return fn

    return add


def refusal(
    bid: str,
    rules: tuple[RuleId, ...],
    description: str,
    *ops: type[Operation],
    error: str,
) -> None:
    """Add behaviour ``bid``: a step of one of ``ops`` (any operation when none
    is named) that the spec refuses with the error called ``error``."""

    def refused(
        pre: KernelState,
        pid: int,
        op: Operation,
        r: Result,
        post: KernelState,
        h: History,
    ) -> bool:
        return failed_with(r, error)

    behaviour(bid, rules, description, *ops)(refused)


def travelled_use(
    bid: str,
    rules: tuple[RuleId, ...],
    description: str,
    *ops: type[Operation],
) -> None:
    """Add behaviour ``bid``: a step of one of ``ops`` that succeeds through a
    capability (its ``handle``) received from another process (``travelled``)."""

    def used(
        pre: KernelState,
        pid: int,
        op: Operation,
        r: Result,
        post: KernelState,
        h: History,
    ) -> bool:
        return ok(r) and travelled(pre, pid, getattr(op, "handle", None), h)

    behaviour(bid, rules, description, *ops)(used)


def port_of(s: KernelState, pid: int, handle: object) -> Port | None:
    c = cap_at(s, pid, handle)
    o = None if c is None else s.objects.get(c.obj)
    return o if isinstance(o, Port) else None


def channel_of(s: KernelState, pid: int, handle: object) -> Channel | None:
    c = cap_at(s, pid, handle)
    o = None if c is None else s.objects.get(c.obj)
    return o if isinstance(o, Channel) else None


def mapped_size(s: KernelState, pid: int, mapping: object) -> int | None:
    p = tables(s, pid)
    m = None if p is None or type(mapping) is not int else p.mappings.get(mapping)  # type: ignore[call-overload]
    b = None if m is None else s.objects.get(m.buf)
    return b.size if isinstance(b, Buffer) else None


def target_port(s: KernelState, pid: int, op: Operation) -> Port | None:
    """The port a send-like operation offers its message to."""
    if isinstance(op, Send):
        return port_of(s, pid, op.handle)
    if isinstance(op, TransferBuffer):
        return port_of(s, pid, op.port)
    if isinstance(op, SockSend):
        p = tables(s, pid)
        e = None if p is None else p.fds.get(op.fd)  # type: ignore[call-overload]
        c = None if e is None or e.peer is None else s.caps.get(e.peer)
        o = None if c is None else s.objects.get(c.obj)
        return o if isinstance(o, Port) else None
    return None


def woken(pre: KernelState, post: KernelState) -> list[tuple[int, Woken]]:
    """Processes waiting in ``pre`` and woken in ``post``."""
    out: list[tuple[int, Woken]] = []
    for q, p in pre.processes.items():
        if isinstance(p.status, Waiting):
            after = post.processes.get(q)
            if after is not None and isinstance(after.status, Woken):
                out.append((q, after.status))
    return out


def travelled(pre: KernelState, pid: int, handle: object, h: History) -> bool:
    cid = cap_id_at(pre, pid, handle)
    return cid is not None and cid in h.travelled


__all__ = [
    "CATALOGUE",
    "Behaviour",
    "History",
    "Predicate",
    "behaviour",
    "cap_at",
    "cap_id_at",
    "channel_of",
    "delivered",
    "depth",
    "destroyed",
    "failed_with",
    "mapped_size",
    "ok",
    "port_of",
    "refusal",
    "target_port",
    "travelled",
    "travelled_use",
    "woken",
]
