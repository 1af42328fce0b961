"""ERR-PRECEDENCE's vocabulary: a rule's checks as conditions on a spec state.

A ``Cond`` is one check of a rule: the error it returns and a predicate that
evaluates its failing condition on a concrete state (each predicate states its
condition on its own, independently of the others). A ``Cascade`` is a rule's
checks in the order its code performs them (``precedence_cascades``). The
helpers here only read the state; they hold no rule logic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from veridian_ipc.spec import IpcError, KernelState, RuleId
from veridian_ipc.spec.caps import resolve
from veridian_ipc.spec.filters import refill
from veridian_ipc.spec.namespace import valid_name
from veridian_ipc.spec.state import Buffer, Cap, Channel, Kind, Port
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
    Fd,
    Pid,
)
from veridian_ipc.vocabulary.rights import GRANT, has

from .faithful import kept_slots

Pred = Callable[[KernelState, Pid, Any], bool]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cond:
    """One check of a rule: the error it returns and when it fails."""

    error: str
    label: str
    holds: Pred


@dataclass(frozen=True, slots=True)
class Cascade:
    """A rule's checks in code order; ``exclusive`` pairs cannot both hold."""

    rule: RuleId
    op: type
    conds: tuple[Cond, ...]
    exclusive: tuple[tuple[str, str], ...] = ()


# -- concrete helpers (read the state; no rule logic) ---------------------------


def cap_at(
    s: KernelState, pid: Pid, handle: int, kind: Kind | None = None
) -> Cap | None:
    """The capability ``handle`` names in ``pid``'s table (None: it names none)."""
    found = resolve(s, pid, handle, kind)
    return None if isinstance(found, IpcError) else found[1]


def _object_of(s: KernelState, pid: Pid, handle: int, kind: Kind, cls: type[T]) -> T:
    """The object of ``kind`` that ``handle`` names (the check that it does
    comes first in every cascade that asks)."""
    cap = cap_at(s, pid, handle, kind)
    assert cap is not None
    o = s.objects[cap.obj]
    assert isinstance(o, cls)
    return o


def port_of(s: KernelState, pid: Pid, handle: int) -> Port:
    """The port ``handle`` names."""
    return _object_of(s, pid, handle, Kind.PORT, Port)


def ring_of(s: KernelState, pid: Pid, handle: int) -> Channel:
    """The ring ``handle`` names."""
    return _object_of(s, pid, handle, Kind.CHANNEL, Channel)


def lacks(kind: Kind | None, right: int, field: str = "handle") -> Pred:
    """The handle in ``op.<field>`` resolves but lacks ``right``."""

    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        cap = cap_at(s, pid, getattr(op, field), kind)
        return cap is not None and not has(cap.rights, right)

    return holds


def not_root(kind: Kind | None, field: str = "handle") -> Pred:
    """The handle in ``op.<field>`` resolves to a derived capability (one with a
    parent: not its object's owner, BUF-TRANSFER)."""

    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        cap = cap_at(s, pid, getattr(op, field), kind)
        return cap is not None and cap.parent is not None

    return holds


def bad_handle(kind: Kind | None, field: str = "handle") -> Pred:
    """The handle in ``op.<field>`` names no capability of ``kind``."""
    return lambda s, pid, op: cap_at(s, pid, getattr(op, field), kind) is None


def port_side(
    offer: Callable[[Any], tuple[int, int]],
    port: Callable[[KernelState, Pid, Any], Port],
) -> tuple[Cond, ...]:
    """The port side of every send (``check_offer``): closed, filter, rate, room."""

    def closed(s: KernelState, pid: Pid, op: Any) -> bool:
        return port(s, pid, op).closed

    def filtered(s: KernelState, pid: Pid, op: Any) -> bool:
        f = port(s, pid, op).filter
        t, _ = offer(op)
        return (
            f is not None and f.allowed_types is not None and t not in f.allowed_types
        )

    def oversize(s: KernelState, pid: Pid, op: Any) -> bool:
        f = port(s, pid, op).filter
        _, size = offer(op)
        return f is not None and f.max_size is not None and size > f.max_size

    def limited(s: KernelState, pid: Pid, op: Any) -> bool:
        f = port(s, pid, op).filter
        return f is not None and f.rate is not None and refill(f, s.clock).tokens < 1

    def full(s: KernelState, pid: Pid, op: Any) -> bool:
        pt = port(s, pid, op)
        obj = next((k for k, o in s.objects.items() if o is pt), None)
        # hand-offs not yet collected keep their slots (PORT-HANDOFF)
        return len(pt.queue) + kept_slots(s, obj) >= pt.capacity

    return (
        Cond("PortClosed", "port closed", closed),
        Cond("Filtered", "type filtered", filtered),
        Cond("MessageTooLarge", "over the filter's size", oversize),
        Cond("RateLimited", "no token", limited),
        Cond("PortFull", "queue and kept hand-offs full", full),
    )


def bad_filter(s: KernelState, pid: Pid, op: Any) -> bool:
    """FILTER-SET's arguments: a type, size or rate out of range."""
    types, size, rate = op.allowed_types, op.max_size, op.rate
    return (
        (types is not None and any(not 0 <= t <= MAX_U32 for t in types))
        or (size is not None and not 0 <= size <= MAX_INLINE_DATA)
        or (rate is not None and min(rate.burst, rate.refill, rate.period) < 1)
    )


def malformed(s: KernelState, pid: Pid, op: Any) -> bool:
    """MSG-LIMITS: type, flags or carried handles malformed."""
    caps = op.caps
    return (
        not 0 <= op.msg_type <= MAX_U32
        or not 0 <= op.flags <= MAX_FLAGS
        or len(caps) > MAX_MESSAGE_CAPS
        or len(set(caps)) != len(caps)
        or op.handle in caps
    )


def carried_bad(s: KernelState, pid: Pid, op: Any) -> bool:
    """A carried handle names no capability."""
    return any(cap_at(s, pid, h) is None for h in op.caps)


def carried_no_grant(s: KernelState, pid: Pid, op: Any) -> bool:
    """A carried capability lacks GRANT (MSG-TRANSFER)."""
    caps = [cap_at(s, pid, h) for h in op.caps]
    return any(c is not None and not has(c.rights, GRANT) for c in caps)


def peer_port(s: KernelState, pid: Pid, op: Any) -> Port:
    """The port a connected socket sends to."""
    entry = table_of(s, pid).fds[Fd(op.fd)]
    assert entry.peer is not None
    o = s.objects[s.caps[entry.peer].obj]
    assert isinstance(o, Port)
    return o


def no_fd(s: KernelState, pid: Pid, op: Any) -> bool:
    """The descriptor names no socket of the caller."""
    return Fd(op.fd) not in table_of(s, pid).fds


def bad_name(s: KernelState, pid: Pid, op: Any) -> bool:
    """The name is not a valid namespace name."""
    return not valid_name(s, op.name)


def unbound(s: KernelState, pid: Pid, op: Any) -> bool:
    """Nothing is bound under the name."""
    return op.name not in s.namespace


def may_not(authority: str) -> Pred:
    """The caller lacks namespace authority ``authority`` (``may_bind`` or
    ``may_lookup``, NS-BIND / NS-LOOKUP)."""
    return lambda s, pid, op: not getattr(table_of(s, pid), authority)


def mapping(s: KernelState, pid: Pid, op: Any) -> Any:
    """The caller's mapping ``op.mapping`` (None: no such mapping)."""
    return table_of(s, pid).mappings.get(op.mapping)


def outside(length: Callable[[Any], int]) -> Pred:
    """The access ``[offset, offset + length(op))`` leaves the buffer."""

    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        m = mapping(s, pid, op)
        buf = s.objects[m.buf]
        assert isinstance(buf, Buffer)
        n = length(op)
        return not (op.offset >= 0 and n >= 0 and op.offset + n <= buf.size)

    return holds


def own_port(s: KernelState, pid: Pid, op: Any) -> Port:
    """The port a socket receives on (its own)."""
    entry = table_of(s, pid).fds[Fd(op.fd)]
    o = s.objects[s.caps[entry.own].obj]
    assert isinstance(o, Port)
    return o
