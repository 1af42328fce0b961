"""Worked examples and lifecycles, found by running the spec.

The proofs' small scopes (``proofs.explore_scopes``: a few processes, a few
objects, the operations of one feature) are searched breadth first with the
real ``spec.step``, as ``veridian-ipc check`` does, but to find things rather
than to check them:

- for each rule, the *shortest* run whose last step is dispatched to it and
  succeeds, and the shortest whose last step fails (``Example``): the worked
  examples of the rule's section, which cannot drift from the spec because
  the spec produced them;
- for each kind of object (process, port, channel, buffer, capability
  location, socket), every change of its *phase* that some step makes, with
  the operations that make it: the lifecycle diagrams. A phase is a short
  reading of the object's state (``phases``); the transitions are the
  spec's.

Each scope is searched to its own depth, with at most ``MAX_STATES`` states,
so the whole search takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from veridian_ipc.proofs.explore_scopes import SCOPES, Scope, candidates
from veridian_ipc.spec import RULES, KernelState, RuleId, initial_state, step
from veridian_ipc.spec.state import (
    Buffer,
    Channel,
    Kind,
    Port,
    Running,
    Waiting,
)
from veridian_ipc.vocabulary.operations import OPS_BY_NAME
from veridian_ipc.vocabulary.results import Err, Result
from veridian_ipc.vocabulary.syscalls import Close, Operation

#: States kept per scope (the search stops growing there).
MAX_STATES = 3000


@dataclass(frozen=True)
class Step:
    """One step of an example: who issued what, and what the spec returned."""

    pid: int
    op: Operation
    result: Result


@dataclass
class Found:
    """What the search found: examples by rule, transitions by object kind."""

    ok: dict[str, tuple[str, list[Step]]] = field(default_factory=dict)
    error: dict[str, tuple[str, list[Step]]] = field(default_factory=dict)
    #: kind -> (phase before, phase after) -> operation names (None: absent).
    transitions: dict[str, dict[tuple[str | None, str | None], set[str]]] = field(
        default_factory=dict
    )


def dispatched_rule(s: KernelState, pid: int, op: Operation) -> RuleId | None:
    """The rule ``step`` dispatches ``op`` to in state ``s`` (a ``Close`` by
    the kind of object its handle names)."""
    spec = OPS_BY_NAME[type(op).__name__]
    if spec.rule is not None:
        return spec.rule
    if isinstance(op, Close):
        p = s.processes.get(pid)  # type: ignore[call-overload]
        cap_id = None if p is None else p.handles.get(op.handle)
        cap = None if cap_id is None else s.caps.get(cap_id)
        if cap is not None and cap.kind is Kind.CHANNEL:
            return RuleId.CHAN_CLOSE
        return RuleId.PORT_CLOSE
    return None


# -- phases: a short reading of each object's state ------------------------------

Phases = Callable[[KernelState], dict[object, str]]


def _process_phases(s: KernelState) -> dict[object, str]:
    out: dict[object, str] = {}
    for pid, p in s.processes.items():
        if isinstance(p.status, Running):
            out[pid] = "running"
        elif isinstance(p.status, Waiting):
            out[pid] = "waiting (receive)"
        else:
            out[pid] = "woken (result held for Resume)"
    return out


def _port_phases(s: KernelState) -> dict[object, str]:
    out: dict[object, str] = {}
    for obj, o in s.objects.items():
        if isinstance(o, Port):
            state = "closed" if o.closed else "open"
            if o.queue:
                state += ", messages queued"
            elif o.waiters:
                state += ", receivers waiting"
            out[obj] = state
    return out


def _channel_phases(s: KernelState) -> dict[object, str]:
    out: dict[object, str] = {}
    for obj, o in s.objects.items():
        if isinstance(o, Channel):
            state = "closed" if o.closed else "open"
            if o.held:
                full = len(o.held) >= o.capacity
                state += ", full" if full else ", holding messages"
            out[obj] = state
    return out


def _buffer_phases(s: KernelState) -> dict[object, str]:
    mapped = {m.buf for p in s.processes.values() for m in p.mappings.values()}
    return {
        obj: "mapped" if obj in mapped else "not mapped"
        for obj, o in s.objects.items()
        if isinstance(o, Buffer)
    }


def _location_phases(s: KernelState) -> dict[object, str]:
    names = {
        "AtHandle": "at a handle",
        "InFlight": "in flight (queued message)",
        "InBinding": "in a namespace binding",
        "InSocket": "in a socket",
    }
    return {
        cid: names.get(type(c.at).__name__, type(c.at).__name__)
        for cid, c in s.caps.items()
    }


def _socket_phases(s: KernelState) -> dict[object, str]:
    out: dict[object, str] = {}
    for pid, p in s.processes.items():
        for fd, sock in p.fds.items():
            if sock.peer is not None:
                state = "connected"
            elif sock.name is not None:
                state = "bound (listening)"
            else:
                state = "created"
            out[(pid, fd)] = state
    return out


#: Object kind -> its phase reading, in the order the lifecycles are shown.
PHASES: dict[str, Phases] = {
    "process": _process_phases,
    "port": _port_phases,
    "channel": _channel_phases,
    "buffer": _buffer_phases,
    "capability location": _location_phases,
    "socket": _socket_phases,
}


def _handed_off(s: KernelState, edge: Step, post: KernelState) -> bool:
    """A send woke a waiting receiver (the message skipped the queue)."""
    if type(edge.op).__name__ not in ("Send", "SockSend") or isinstance(
        edge.result, Err
    ):
        return False
    return any(
        isinstance(p.status, Waiting)
        and not isinstance(post.processes[pid].status, Waiting)
        for pid, p in s.processes.items()
        if pid in post.processes
    )


#: Rules no operation is dispatched to or always exercises, recognised by
#: what a step did: their examples are the shortest runs where it happened.
def _failed_with(*names: str) -> Callable[[KernelState, Step, KernelState], bool]:
    def happened(s: KernelState, edge: Step, post: KernelState) -> bool:
        return isinstance(edge.result, Err) and edge.result.error.name in names

    return happened


def _failed_unchanged(s: KernelState, edge: Step, post: KernelState) -> bool:
    """A failed step left the state as it was."""
    return isinstance(edge.result, Err) and post == s


SEEN_IN: dict[RuleId, Callable[[KernelState, Step, KernelState], bool]] = {
    RuleId.PORT_HANDOFF: _handed_off,
    RuleId.FILTER_CHECK: _failed_with("Filtered"),
    RuleId.FILTER_RATE: _failed_with("RateLimited"),
    RuleId.ERR_ATOMIC: _failed_unchanged,
}


# -- the search ---------------------------------------------------------------------

Parent = tuple[KernelState, int, Operation, Result] | None


def _path(visited: dict[KernelState, Parent], s: KernelState) -> list[Step]:
    out: list[Step] = []
    here: Parent = visited[s]
    while here is not None:
        prev, pid, op, result = here
        out.append(Step(pid, op, result))
        here = visited[prev]
    return out[::-1]


def _record(
    found: Found,
    where: tuple[str, dict[KernelState, Parent]],
    s: KernelState,
    edge: Step,
    post: KernelState,
) -> None:
    """Note one transition: an example if its rule has none yet, and every
    phase it changes."""
    scope_name, visited = where
    rule = dispatched_rule(s, edge.pid, edge.op)
    table = found.error if isinstance(edge.result, Err) else found.ok
    also = OPS_BY_NAME[type(edge.op).__name__].also
    seen = tuple(r for r, happened in SEEN_IN.items() if happened(s, edge, post))
    for r in (*((rule,) if rule is not None else ()), *also, *seen):
        if r.value in table:
            continue
        own = RULES[r].errors
        if isinstance(edge.result, Err) and own and edge.result.error.name not in own:
            continue  # an example of a rule fails with one of its own errors
        table[r.value] = (scope_name, [*_path(visited, s), edge])
    if post is s:
        return
    name = type(edge.op).__name__
    for kind, phases in PHASES.items():
        before, after = phases(s), phases(post)
        edges = found.transitions.setdefault(kind, {})
        for key in before.keys() | after.keys():
            a, b = before.get(key), after.get(key)
            if a != b:
                edges.setdefault((a, b), set()).add(name)


def search_scope(found: Found, name: str, scope: Scope) -> None:
    """Search one scope breadth first, to its depth (``MAX_STATES`` states)."""
    init = initial_state(scope.processes, scope.config)
    visited: dict[KernelState, Parent] = {init: None}
    for pid, op in scope.setup:
        post, result = step(init, pid, op)
        visited.setdefault(post, (init, pid, op, result))
        init = post
    frontier = [init]
    for _ in range(scope.depth):
        nxt: list[KernelState] = []
        for s in frontier:
            for pid, op in candidates(scope, s):
                post, result = step(s, pid, op)
                if post not in visited and len(visited) < MAX_STATES:
                    visited[post] = (s, pid, op, result)
                    nxt.append(post)
                _record(found, (name, visited), s, Step(pid, op, result), post)
        frontier = nxt


@cache
def search() -> Found:
    """Search every scope (see the module docstring)."""
    found = Found()
    for name, scope in SCOPES.items():
        search_scope(found, name, scope)
    return found
