"""ERR-PRECEDENCE: each rule's check order is its documented order.

For each covered operation, ``CASCADES`` holds the spec rule's checks **in the
order its code performs them**: one ``Cond`` per failing condition, with the
error it returns and a predicate that evaluates the condition on a concrete
state (each predicate states its condition on its own, independently of the
others). The documented order is read at run time from the rule's docstring
(``RULES[rule].errors``), the same text the rule index prints.

The solver proves, for every assignment of the conditions (every combination
of failing conditions, subject to the few that cannot hold together), that the
code's first failing check returns exactly the first documented error whose
condition holds. The tests tie the cascades to the spec: on reachable states
the spec's error is the cascade's (``first_error``), so the code order written
here is the order the spec really checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veridian_ipc.spec import RULES, IpcError, KernelState, RuleId
from veridian_ipc.spec import syscalls as sc
from veridian_ipc.spec.caps import resolve
from veridian_ipc.spec.filters import refill
from veridian_ipc.spec.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
    Fd,
    Pid,
)
from veridian_ipc.spec.namespace import valid_name
from veridian_ipc.spec.rights import ALL_RIGHTS, GRANT, MANAGE, READ, SEND, WRITE, has
from veridian_ipc.spec.rights import RECEIVE as RECV
from veridian_ipc.spec.state import Buffer, Cap, Channel, Kind, Port

from ._smt import And, Bool, If, Implies, IntVal, Model, Not, Term, model_value
from .induction import Check

Pred = Callable[[KernelState, Pid, Any], bool]


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


def _cap(s: KernelState, pid: Pid, handle: int, kind: Kind | None = None) -> Cap | None:
    found = resolve(s, pid, handle, kind)
    return None if isinstance(found, IpcError) else found[1]


def _port_of(s: KernelState, pid: Pid, handle: int) -> Port:
    cap = _cap(s, pid, handle, Kind.PORT)
    assert cap is not None
    o = s.objects[cap.obj]
    assert isinstance(o, Port)
    return o


def _ring_of(s: KernelState, pid: Pid, handle: int) -> Channel:
    cap = _cap(s, pid, handle, Kind.CHANNEL)
    assert cap is not None
    o = s.objects[cap.obj]
    assert isinstance(o, Channel)
    return o


def _lacks(kind: Kind | None, right: int, field: str = "handle") -> Pred:
    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        cap = _cap(s, pid, getattr(op, field), kind)
        return cap is not None and not has(cap.rights, right)

    return holds


def _bad_handle(kind: Kind | None, field: str = "handle") -> Pred:
    return lambda s, pid, op: _cap(s, pid, getattr(op, field), kind) is None


def _port_state(
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
        return not pt.waiters and len(pt.queue) >= pt.capacity

    return (
        Cond("PortClosed", "port closed", closed),
        Cond("Filtered", "type filtered", filtered),
        Cond("MessageTooLarge", "over the filter's size", oversize),
        Cond("RateLimited", "no token", limited),
        Cond("PortFull", "queue full", full),
    )


def _bad_filter(s: KernelState, pid: Pid, op: Any) -> bool:
    types, size, rate = op.allowed_types, op.max_size, op.rate
    return (
        (types is not None and any(not 0 <= t <= MAX_U32 for t in types))
        or (size is not None and not 0 <= size <= MAX_INLINE_DATA)
        or (rate is not None and min(rate.burst, rate.refill, rate.period) < 1)
    )


def _malformed(s: KernelState, pid: Pid, op: Any) -> bool:
    caps = op.caps
    return (
        not 0 <= op.msg_type <= MAX_U32
        or not 0 <= op.flags <= MAX_FLAGS
        or len(caps) > MAX_MESSAGE_CAPS
        or len(set(caps)) != len(caps)
        or op.handle in caps
    )


def _carried_bad(s: KernelState, pid: Pid, op: Any) -> bool:
    return any(_cap(s, pid, h) is None for h in op.caps)


def _carried_no_grant(s: KernelState, pid: Pid, op: Any) -> bool:
    caps = [_cap(s, pid, h) for h in op.caps]
    return any(c is not None and not has(c.rights, GRANT) for c in caps)


def _peer_port(s: KernelState, pid: Pid, op: Any) -> Port:
    entry = s.processes[pid].fds[Fd(op.fd)]
    assert entry.peer is not None
    o = s.objects[s.caps[entry.peer].obj]
    assert isinstance(o, Port)
    return o


def _no_fd(s: KernelState, pid: Pid, op: Any) -> bool:
    return Fd(op.fd) not in s.processes[pid].fds


def _bad_name(s: KernelState, pid: Pid, op: Any) -> bool:
    return not valid_name(s, op.name)


def _unbound(s: KernelState, pid: Pid, op: Any) -> bool:
    return op.name not in s.namespace


def _mapping(s: KernelState, pid: Pid, op: Any) -> Any:
    return s.processes[pid].mappings.get(op.mapping)


def _outside(length: Callable[[Any], int]) -> Pred:
    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        m = _mapping(s, pid, op)
        buf = s.objects[m.buf]
        assert isinstance(buf, Buffer)
        n = length(op)
        return not (op.offset >= 0 and n >= 0 and op.offset + n <= buf.size)

    return holds


CASCADES: tuple[Cascade, ...] = (
    Cascade(
        RuleId.RIGHTS_DERIVE,
        sc.Derive,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(None)),
            Cond(
                "InvalidArgument",
                "undefined bits",
                lambda s, pid, op: not 0 <= op.rights <= ALL_RIGHTS,
            ),
            Cond(
                "InsufficientRights",
                "not a subset",
                lambda s, pid, op: op.rights & ~_cap(s, pid, op.handle).rights != 0,  # type: ignore[union-attr]
            ),
        ),
    ),
    Cascade(
        RuleId.PORT_SEND,
        sc.Send,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no SEND", _lacks(Kind.PORT, SEND)),
            Cond(
                "MessageTooLarge",
                "over 64 bytes",
                lambda s, pid, op: len(op.data) > MAX_INLINE_DATA,
            ),
            Cond("InvalidMessage", "malformed", _malformed),
            Cond("InvalidCapability", "carried handle bad", _carried_bad),
            Cond("InsufficientRights", "carried without GRANT", _carried_no_grant),
            *_port_state(
                lambda op: (op.msg_type, len(op.data)),
                lambda s, pid, op: _port_of(s, pid, op.handle),
            ),
        ),
    ),
    Cascade(
        RuleId.PORT_RECEIVE,
        sc.Receive,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no RECEIVE", _lacks(Kind.PORT, RECV)),
            Cond(
                "InvalidArgument",
                "negative timeout",
                lambda s, pid, op: op.timeout is not None and op.timeout < 0,
            ),
            Cond(
                "PortClosed",
                "closed and empty",
                lambda s, pid, op: (
                    not _port_of(s, pid, op.handle).queue
                    and _port_of(s, pid, op.handle).closed
                ),
            ),
            Cond(
                "WouldBlock",
                "empty, no wait",
                lambda s, pid, op: (
                    not _port_of(s, pid, op.handle).queue and op.timeout == 0
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.FILTER_SET,
        sc.SetFilter,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no MANAGE", _lacks(Kind.PORT, MANAGE)),
            Cond("InvalidArgument", "bad type, size or rate", _bad_filter),
            Cond(
                "PortClosed",
                "port closed",
                lambda s, pid, op: _port_of(s, pid, op.handle).closed,
            ),
        ),
    ),
    Cascade(
        RuleId.NS_BIND,
        sc.Bind,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no GRANT", _lacks(Kind.PORT, GRANT)),
            Cond(
                "InvalidArgument",
                "bad name or type",
                lambda s, pid, op: (
                    _bad_name(s, pid, op) or not 0 <= op.service_type <= MAX_U32
                ),
            ),
            Cond("NameInUse", "name bound", lambda s, pid, op: op.name in s.namespace),
        ),
    ),
    Cascade(
        RuleId.NS_UNBIND,
        sc.Unbind,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.PORT)),
            Cond("PortNotFound", "unbound", _unbound),
            Cond(
                "InsufficientRights",
                "other port or no MANAGE",
                lambda s, pid, op: (
                    s.caps[s.namespace[op.name].cap].obj
                    != _cap(s, pid, op.handle, Kind.PORT).obj  # type: ignore[union-attr]
                    or _lacks(Kind.PORT, MANAGE)(s, pid, op)
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.NS_LOOKUP,
        sc.Lookup,
        (
            Cond("InvalidArgument", "bad name", _bad_name),
            Cond("PortNotFound", "unbound", _unbound),
        ),
    ),
    Cascade(
        RuleId.NS_CONNECT,
        sc.Connect,
        (
            Cond(
                "InvalidArgument",
                "bad name or type",
                lambda s, pid, op: (
                    _bad_name(s, pid, op) or not 0 <= op.service_type <= MAX_U32
                ),
            ),
            Cond("PortNotFound", "unbound", _unbound),
            Cond(
                "TypeMismatch",
                "other type",
                lambda s, pid, op: s.namespace[op.name].service_type != op.service_type,
            ),
        ),
    ),
    Cascade(
        RuleId.PORT_CREATE,
        sc.CreatePort,
        (
            Cond("InvalidArgument", "below 1", lambda s, pid, op: op.capacity < 1),
            Cond(
                "OutOfMemory",
                "over the limit",
                lambda s, pid, op: op.capacity > s.config.max_port_capacity,
            ),
        ),
    ),
    Cascade(
        RuleId.CHAN_CREATE,
        sc.CreateChannel,
        (
            Cond(
                "InvalidArgument",
                "below 1",
                lambda s, pid, op: op.capacity < 1 or op.max_message < 1,
            ),
            Cond(
                "OutOfMemory",
                "over the limit",
                lambda s, pid, op: (
                    op.capacity > s.config.max_channel_capacity
                    or op.max_message > s.config.max_channel_message
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.BUF_CREATE,
        sc.CreateBuffer,
        (
            Cond("InvalidArgument", "below 1", lambda s, pid, op: op.size < 1),
            Cond(
                "OutOfMemory",
                "over the limit",
                lambda s, pid, op: op.size > s.config.max_buffer_size,
            ),
        ),
    ),
    Cascade(
        RuleId.CHAN_SEND_BATCH,
        sc.ChannelSendBatch,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no SEND", _lacks(Kind.CHANNEL, SEND)),
            Cond("InvalidArgument", "empty batch", lambda s, pid, op: not op.items),
            Cond(
                "MessageTooLarge",
                "item too large",
                lambda s, pid, op: any(
                    len(d) > _ring_of(s, pid, op.handle).max_message for d in op.items
                ),
            ),
            Cond(
                "PortClosed",
                "closed",
                lambda s, pid, op: _ring_of(s, pid, op.handle).closed,
            ),
            Cond(
                "WouldBlock",
                "no room",
                lambda s, pid, op: (
                    (r := _ring_of(s, pid, op.handle)).write_idx
                    - r.read_idx
                    + len(op.items)
                    > r.capacity
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.CHAN_RECEIVE_BATCH,
        sc.ChannelReceiveBatch,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no RECEIVE", _lacks(Kind.CHANNEL, RECV)),
            Cond(
                "InvalidArgument",
                "max_count below 1",
                lambda s, pid, op: op.max_count < 1,
            ),
            Cond(
                "PortClosed",
                "closed and empty",
                lambda s, pid, op: (
                    (r := _ring_of(s, pid, op.handle)).write_idx == r.read_idx
                    and r.closed
                ),
            ),
            Cond(
                "WouldBlock",
                "empty",
                lambda s, pid, op: (
                    (r := _ring_of(s, pid, op.handle)).write_idx == r.read_idx
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.BUF_MAP,
        sc.MapBuffer,
        (
            Cond("InvalidCapability", "bad handle", _bad_handle(Kind.BUFFER)),
            Cond(
                "InsufficientRights",
                "no READ (or WRITE)",
                lambda s, pid, op: (
                    not has(
                        _cap(s, pid, op.handle, Kind.BUFFER).rights,  # type: ignore[union-attr]
                        READ | WRITE if op.writable else READ,
                    )
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.BUF_READ,
        sc.ReadBuffer,
        (
            Cond(
                "InvalidCapability",
                "no mapping",
                lambda s, p, op: _mapping(s, p, op) is None,
            ),
            Cond(
                "InvalidArgument",
                "bad length",
                lambda s, pid, op: not 0 <= op.length <= s.config.max_io,
            ),
            Cond("OutOfBounds", "outside", _outside(lambda op: op.length)),
        ),
    ),
    Cascade(
        RuleId.BUF_WRITE,
        sc.WriteBuffer,
        (
            Cond(
                "InvalidCapability",
                "no mapping",
                lambda s, p, op: _mapping(s, p, op) is None,
            ),
            Cond(
                "InsufficientRights",
                "read-only",
                lambda s, pid, op: not _mapping(s, pid, op).writable,
            ),
            Cond(
                "InvalidArgument",
                "too long",
                lambda s, pid, op: len(op.data) > s.config.max_io,
            ),
            Cond("OutOfBounds", "outside", _outside(lambda op: len(op.data))),
        ),
    ),
    Cascade(
        RuleId.BUF_TRANSFER,
        sc.TransferBuffer,
        (
            Cond("InvalidCapability", "bad buffer handle", _bad_handle(Kind.BUFFER)),
            Cond(
                "InsufficientRights",
                "no MANAGE|GRANT",
                _lacks(Kind.BUFFER, MANAGE | GRANT),
            ),
            Cond(
                "InvalidCapability", "bad port handle", _bad_handle(Kind.PORT, "port")
            ),
            Cond("InsufficientRights", "no SEND", _lacks(Kind.PORT, SEND, "port")),
            Cond(
                "InvalidMessage",
                "type out of range",
                lambda s, pid, op: not 0 <= op.msg_type <= MAX_U32,
            ),
            *[
                c
                for c in _port_state(
                    lambda op: (op.msg_type, 0),
                    lambda s, pid, op: _port_of(s, pid, op.port),
                )
                if c.label != "over the filter's size"
            ],
        ),
    ),
    Cascade(
        RuleId.POSIX_SEND,
        sc.SockSend,
        (
            Cond("InvalidCapability", "no fd", _no_fd),
            Cond(
                "NotConnected",
                "no peer",
                lambda s, pid, op: s.processes[pid].fds[Fd(op.fd)].peer is None,
            ),
            Cond(
                "MessageTooLarge",
                "over 64 bytes",
                lambda s, pid, op: len(op.data) > MAX_INLINE_DATA,
            ),
            *_port_state(lambda op: (0, len(op.data)), _peer_port),
        ),
    ),
    Cascade(
        RuleId.POSIX_RECV,
        sc.SockRecv,
        (
            Cond("InvalidCapability", "no fd", _no_fd),
            Cond(
                "InvalidArgument", "negative bufsize", lambda s, p, op: op.bufsize < 0
            ),
            Cond(
                "WouldBlock",
                "empty",
                lambda s, pid, op: not _own_port(s, pid, op).queue,
            ),
            Cond(
                "MessageTooLarge",
                "head too long",
                lambda s, pid, op: (
                    len(_own_port(s, pid, op).queue[0].data) > op.bufsize
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.POSIX_CONNECT,
        sc.SockConnect,
        (
            Cond("InvalidCapability", "no fd", _no_fd),
            Cond(
                "AlreadyConnected",
                "has a peer",
                lambda s, pid, op: s.processes[pid].fds[Fd(op.fd)].peer is not None,
            ),
            Cond("InvalidArgument", "bad name", _bad_name),
            Cond("PortNotFound", "unbound", _unbound),
            Cond(
                "InsufficientRights",
                "binding without SEND",
                lambda s, pid, op: (
                    not has(s.caps[s.namespace[op.name].cap].rights, SEND)
                ),
            ),
        ),
    ),
)


def _own_port(s: KernelState, pid: Pid, op: Any) -> Port:
    entry = s.processes[pid].fds[Fd(op.fd)]
    o = s.objects[s.caps[entry.own].obj]
    assert isinstance(o, Port)
    return o


def cascade_for(op: object) -> Cascade | None:
    """The cascade of the operation's rule, if covered."""
    for c in CASCADES:
        if type(op) is c.op:
            return c
    return None


def first_error(c: Cascade, s: KernelState, pid: Pid, op: object) -> str | None:
    """The error the code order returns on ``s`` (None: every check passes)."""
    for cond in c.conds:
        if cond.holds(s, pid, op):
            return cond.error
    return None


def covered_rules() -> tuple[RuleId, ...]:
    """The rules whose precedence is proved here."""
    return tuple(c.rule for c in CASCADES)


# -- the solver claim ------------------------------------------------------------


def _result(order: list[tuple[str, Term]]) -> Term:
    out: Term = IntVal(0)
    for error, cond in reversed(order):
        out = If(cond, IntVal(int(IpcError[error])), out)
    return out


def cascade_check(c: Cascade, conds: tuple[Cond, ...] | None = None) -> Check:
    """Code order (``conds``, default the cascade's) vs documented order."""
    conds = c.conds if conds is None else conds
    var = {cond.label: Bool(f"{c.rule.value}: {cond.label}") for cond in conds}
    code = [(cond.error, var[cond.label]) for cond in conds]
    # the k-th documented bullet naming an error is the k-th check returning it
    documented = RULES[c.rule].errors
    pool = list(conds)
    doc: list[tuple[str, Term]] = []
    for name in documented:
        match = next((x for x in pool if x.error == name), None)
        if match is None:
            doc.append((name, Bool(f"{c.rule.value}: undocumented check {name}")))
            continue
        pool.remove(match)
        doc.append((name, var[match.label]))
    exact = And(True) if not pool else Bool(f"{c.rule.value}: unlisted")
    excl = [Not(And(var[a], var[b])) for a, b in c.exclusive]
    claim = And(
        exact == And(True), Implies(And(True, *excl), _result(code) == _result(doc))
    )

    def decode(model: Model) -> str:
        if pool:
            extra = [x.error for x in pool]
            return f"{c.rule.value}: checks not in the docstring: {extra}"
        failing = [cond.label for cond in conds if model_value(model, var[cond.label])]
        got = model_value(model, _result(code))
        want = model_value(model, _result(doc))
        return (
            f"{c.op.__name__} with failing conditions {failing}: the code returns "
            f"{IpcError(got).name if got else 'Ok'}, the documented order "
            f"{IpcError(want).name if want else 'Ok'}"
        )

    return Check(f"{c.rule.value} order", claim, decode, f"precedence: {c.rule.value}")


def precedence_checks() -> list[Check]:
    """One check per covered rule."""
    return [cascade_check(c) for c in CASCADES]


def broken_checks() -> list[Check]:
    """The negative control: PORT-SEND with its first two checks swapped."""
    send = next(c for c in CASCADES if c.rule is RuleId.PORT_SEND)
    swapped = (send.conds[1], send.conds[0], *send.conds[2:])
    return [cascade_check(send, swapped)]
