"""Invariant monitors: the spec's invariants, checked on every step of a target.

The spec's invariants (``spec/invariants.py``) are predicates over the spec's
full state; a target shows only its observation. Two kinds of monitor run on
every step:

- on the **spec's** state, ``violations`` itself (a violation there is a spec
  bug, reported as such);
- on the **target's** observation, the observable part of each invariant, named
  by the same ``InvId``, so that a broken target is reported as "INV-QUEUE-BOUND
  violated", not only as a difference from the spec. The limits they compare
  with are the spec's own constants. ``INV-IDS-FRESH`` needs history: the
  monitor remembers every number the target has shown and flags one that comes
  back after it disappeared.

ERR-ATOMIC is monitored on the target's observation too: after a failed
operation (other than ``Resume``) the observation must be exactly the one
before (checked by the checker, which holds both).

Invariants about the derivation tree and where capabilities are held
(``INV-CAP-LOCATION``, ``INV-DERIVATION-TREE``, ``INV-RIGHTS-MONOTONE``) are
not observable; the comparison with the spec covers their consequences. The
exception is INV-CAP-LOCATION's clause INV-NO-UNREACHABLE: every object a
target shows must be reachable from what its processes and the namespace hold
(``no_unreachable``), so a target that never reclaims is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec import InvId
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
)
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.rights import (
    BUFFER_RIGHTS,
    PORT_RIGHTS,
    READ,
    RECEIVE,
    WRITE,
    has,
)

ObsCheck = Callable[[Data], bool]


def _ports(o: Data) -> dict[int, Data]:
    p: dict[int, Data] = o["ports"]
    return p


def _kind_table(o: Data) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for key, kind in (
        ("ports", "port"),
        ("channels", "channel"),
        ("buffers", "buffer"),
    ):
        for obj in o[key]:
            kinds[obj] = kind
    return kinds


def queue_bound(o: Data) -> bool:
    """INV-QUEUE-BOUND: no port holds more messages than its capacity."""
    return all(len(p["queue"]) <= p["capacity"] for p in _ports(o).values())


def message_limits(o: Data) -> bool:
    """INV-MESSAGE-LIMITS: every queued message is within MSG-LIMITS."""
    for p in _ports(o).values():
        for m in p["queue"]:
            if (
                len(m["data"]) > 2 * MAX_INLINE_DATA
                or len(m["caps"]) > MAX_MESSAGE_CAPS
            ):
                return False
            if not (0 <= m["msg_type"] <= MAX_U32 and 0 <= m["flags"] <= MAX_FLAGS):
                return False
    return True


def receivable(o: Data) -> set[int]:
    """The ports some process can still receive from, as the observation shows
    them (spec/orphans.py's least fixpoint): a port a process holds a RECEIVE
    handle to, a socket's own port, or a port a RECEIVE capability queued on a
    receivable port names."""
    alive: set[int] = set()
    for p in o["processes"].values():
        alive.update(
            c["obj"]
            for c in p["handles"].values()
            if c["kind"] == "port" and has(c["rights"], RECEIVE)
        )
        alive.update(e["port"] for e in p["fds"].values())
    carried = [
        (obj, c["obj"])
        for obj, p in _ports(o).items()
        for m in p["queue"]
        for c in m["caps"]
        if c is not None and c["kind"] == "port" and has(c["rights"], RECEIVE)
    ]
    grown = True
    while grown:
        grown = False
        for on, obj in carried:
            if on in alive and obj not in alive:
                alive.add(obj)
                grown = True
    return alive


def waiters(o: Data) -> bool:
    """INV-WAITERS: waiters only on an empty, open port; each waiting process is
    listed once, on the port it waits on, and nothing else is listed; a
    deadline lies in the future; a port that is open or holds messages is
    receivable (INV-PORT-RECEIVABLE, PORT-CLOSE's orphan clause)."""
    alive = receivable(o)
    for obj, p in _ports(o).items():
        if (not p["closed"] or p["queue"]) and obj not in alive:
            return False
    for p in o["processes"].values():
        st = p["status"]
        blocked = isinstance(st, dict) and "waiting" in st
        if blocked and st["deadline"] is not None and st["deadline"] <= o["clock"]:
            return False
    listed: list[tuple[int, int]] = []
    for obj, p in _ports(o).items():
        if p["waiters"] and (p["queue"] or p["closed"]):
            return False
        listed.extend((w, obj) for w in p["waiters"])
    waiting = sorted(
        (pid, p["status"]["waiting"])
        for pid, p in o["processes"].items()
        if isinstance(p["status"], dict) and "waiting" in p["status"]
    )
    return sorted(listed) == waiting


def ring_bounds(o: Data) -> bool:
    """INV-RING-BOUNDS: a channel holds at most ``capacity`` messages, each at
    most ``max_message`` bytes."""
    for c in o["channels"].values():
        if len(c["items"]) > c["capacity"]:
            return False
        if any(len(i) > 2 * c["max_message"] for i in c["items"]):
            return False
    return True


def handles_live(o: Data) -> bool:
    """INV-HANDLES-LIVE: every handle names a live object of its kind."""
    kinds = _kind_table(o)
    return all(
        kinds.get(c["obj"]) == c["kind"]
        for p in o["processes"].values()
        for c in p["handles"].values()
    )


def rights_kind(o: Data) -> bool:
    """INV-RIGHTS-KIND: a capability carries only its kind's rights."""
    for p in o["processes"].values():
        for c in p["handles"].values():
            allowed = BUFFER_RIGHTS if c["kind"] == "buffer" else PORT_RIGHTS
            if c["rights"] & ~allowed:
                return False
    return True


def mappings_live(o: Data) -> bool:
    """INV-MAPPINGS-LIVE: a mapping's buffer exists and the process holds a
    capability to it with READ (and WRITE for a writable mapping)."""
    buffers = o["buffers"]
    for p in o["processes"].values():
        for m in p["mappings"].values():
            if m["buf"] not in buffers:
                return False
            need = READ | WRITE if m["writable"] else READ
            if not any(
                c["obj"] == m["buf"] and has(c["rights"], need)
                for c in p["handles"].values()
            ):
                return False
    return True


def namespace_live(o: Data) -> bool:
    """INV-NAMESPACE-LIVE: every name is bound to a live, open port (a binding
    dies with its port, NS-BIND, PORT-CLOSE)."""
    ports = _ports(o)
    return all(
        b["obj"] in ports and not ports[b["obj"]]["closed"]
        for b in o["namespace"].values()
    )


def sockets_live(o: Data) -> bool:
    """INV-SOCKETS-LIVE: a socket's port and peer are live ports; fds are >= 0."""
    ports = o["ports"]
    for p in o["processes"].values():
        for fd, e in p["fds"].items():
            if fd < 0 or e["port"] not in ports:
                return False
            if e["peer"] is not None and e["peer"] not in ports:
                return False
    return True


def bucket_bound(o: Data) -> bool:
    """INV-BUCKET-BOUND: a rate limit's bucket holds 0..burst tokens."""
    for p in _ports(o).values():
        f = p["filter"]
        rated = f is not None and f["rate"] is not None
        if rated and not 0 <= f["tokens"] <= f["rate"][0]:
            return False
    return True


def no_unreachable(o: Data) -> bool:
    """INV-NO-UNREACHABLE (a clause of INV-CAP-LOCATION; CAP-RECLAIM): every
    object shown is reachable: named by a handle, a mapping, a socket or a
    binding, or carried by a message queued on a reachable port."""
    objects = set(o["ports"]) | set(o["channels"]) | set(o["buffers"])
    alive: set[int] = set()
    for p in o["processes"].values():
        alive.update(c["obj"] for c in p["handles"].values())
        alive.update(m["buf"] for m in p["mappings"].values())
        for e in p["fds"].values():
            alive.add(e["port"])
            if e["peer"] is not None:
                alive.add(e["peer"])
    alive.update(b["obj"] for b in o["namespace"].values())
    todo = [obj for obj in alive if obj in o["ports"]]
    while todo:
        for m in o["ports"][todo.pop()]["queue"]:
            for c in m["caps"]:
                if c is not None and c["obj"] not in alive:
                    alive.add(c["obj"])
                    if c["obj"] in o["ports"]:
                        todo.append(c["obj"])
    return objects <= alive


#: The observable monitors, by the invariant they project.
OBSERVATION_CHECKS: dict[InvId, ObsCheck] = {
    InvId.QUEUE_BOUND: queue_bound,
    InvId.MESSAGE_LIMITS: message_limits,
    InvId.WAITERS: waiters,
    InvId.RING_BOUNDS: ring_bounds,
    InvId.HANDLES_LIVE: handles_live,
    InvId.RIGHTS_KIND: rights_kind,
    InvId.MAPPINGS_LIVE: mappings_live,
    InvId.NAMESPACE_LIVE: namespace_live,
    InvId.SOCKETS_LIVE: sockets_live,
    InvId.BUCKET_BOUND: bucket_bound,
    InvId.CAP_LOCATION: no_unreachable,
}


class FreshIds:
    """INV-IDS-FRESH on a target: a number that disappeared never comes back."""

    def __init__(self) -> None:
        self.gone: set[tuple[object, ...]] = set()
        self.live: set[tuple[object, ...]] = set()

    def check(self, o: Data) -> bool:
        """Record ``o``'s numbers; False if one that had disappeared is back."""
        now: set[tuple[object, ...]] = set()
        for pid, p in o["processes"].items():
            now.add(("pid", pid))
            now.update(("h", pid, h) for h in p["handles"])
            now.update(("m", pid, m) for m in p["mappings"])
        for key in ("ports", "channels", "buffers"):
            now.update(("obj", obj) for obj in o[key])
        ok = not (now & self.gone)
        self.gone |= self.live - now
        self.live = now
        return ok


def observation_violations(o: Data, fresh: FreshIds | None = None) -> list[InvId]:
    """The invariants the target's observation ``o`` shows violated.

    A malformed observation (a missing field, a wrong type) is reported by the
    comparison, not here: a check that cannot read what it needs is skipped.
    """
    out: list[InvId] = []
    for inv, check in OBSERVATION_CHECKS.items():
        try:
            ok = check(o)
        except (KeyError, TypeError, AttributeError, IndexError):
            continue
        if not ok:
            out.append(inv)
    if fresh is not None:
        try:
            if not fresh.check(o):
                out.append(InvId.IDS_FRESH)
        except (KeyError, TypeError, AttributeError):
            pass
    return out
