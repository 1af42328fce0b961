"""ERR-PRECEDENCE's cascades: each covered rule's checks in code order.

``CASCADES`` holds, for each covered operation, the spec rule's checks **in
the order its code performs them** (one ``Cond`` per failing condition, with
the error it returns). The documented order is the rule's docstring
(``RULES[rule].errors``); ``precedence`` proves the two agree, and the tests
tie the cascades to the spec: on reachable states the spec's error is the
cascade's first failing condition's (``first_error``).
"""

from __future__ import annotations

from typing import Any

from veridian_ipc.spec import KernelState, RuleId
from veridian_ipc.spec.state import Kind
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_U32, Fd, Pid
from veridian_ipc.vocabulary.rights import (
    ALL_RIGHTS,
    GRANT,
    MANAGE,
    READ,
    SEND,
    WRITE,
    has,
)
from veridian_ipc.vocabulary.rights import RECEIVE as RECV

from .precedence_conds import (
    Cascade,
    Cond,
    bad_filter,
    bad_handle,
    bad_name,
    cap_at,
    carried_bad,
    carried_no_grant,
    lacks,
    malformed,
    mapping,
    may_not,
    no_fd,
    not_root,
    outside,
    own_port,
    peer_port,
    port_of,
    port_side,
    ring_of,
    unbound,
)
from .precedence_quota import (
    CREATE_QUOTA,
    HANDLE_QUOTA,
    delivery_quota,
    peer_obj,
    queued_quota,
    sent_port,
)

#: PORT-SEND's and CHAN-SEND's ``timeout`` check (PORT-SEND-BLOCK).
NEGATIVE_TIMEOUT = Cond(
    "InvalidArgument",
    "negative timeout",
    lambda s, pid, op: op.timeout is not None and op.timeout < 0,
)


def unless_blocked(conds: tuple[Cond, ...], room: str) -> tuple[Cond, ...]:
    """A send's checks from its room check on (the one returning ``room``),
    as PORT-SEND-BLOCK and CHAN-SEND-BLOCK change them: with a non-zero
    ``timeout`` a send that finds no room blocks instead of failing, so the
    room check fails only with ``timeout`` 0 and the checks after it are not
    reached when the send blocks."""
    at = next(i for i, c in enumerate(conds) if c.error == room)
    full = conds[at].holds

    def waits(s: KernelState, pid: Pid, op: Any) -> bool:
        return op.timeout != 0 and full(s, pid, op)

    def no_wait(c: Cond) -> Cond:
        def holds(s: KernelState, pid: Pid, op: Any) -> bool:
            return op.timeout == 0 and c.holds(s, pid, op)

        return Cond(c.error, c.label, holds)

    def unreached(c: Cond) -> Cond:
        def holds(s: KernelState, pid: Pid, op: Any) -> bool:
            return c.holds(s, pid, op) and not waits(s, pid, op)

        return Cond(c.error, c.label, holds)

    return (*conds[:at], no_wait(conds[at]), *(unreached(c) for c in conds[at + 1 :]))


CASCADES: tuple[Cascade, ...] = (
    Cascade(
        RuleId.RIGHTS_DERIVE,
        sc.Derive,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(None)),
            Cond(
                "InvalidArgument",
                "undefined bits",
                lambda s, pid, op: not 0 <= op.rights <= ALL_RIGHTS,
            ),
            Cond(
                "InsufficientRights",
                "not a subset",
                lambda s, pid, op: op.rights & ~cap_at(s, pid, op.handle).rights != 0,  # type: ignore[union-attr]
            ),
            HANDLE_QUOTA,
        ),
    ),
    Cascade(
        RuleId.PORT_SEND,
        sc.Send,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no SEND", lacks(Kind.PORT, SEND)),
            NEGATIVE_TIMEOUT,
            Cond(
                "MessageTooLarge",
                "over 64 bytes",
                lambda s, pid, op: len(op.data) > MAX_INLINE_DATA,
            ),
            Cond("InvalidMessage", "malformed", malformed),
            Cond("InvalidCapability", "carried handle bad", carried_bad),
            Cond("InsufficientRights", "carried without GRANT", carried_no_grant),
            *unless_blocked(
                (
                    *port_side(
                        lambda op: (op.msg_type, len(op.data)),
                        lambda s, pid, op: port_of(s, pid, op.handle),
                    ),
                    queued_quota(sent_port),
                ),
                "PortFull",
            ),
        ),
        exclusive=(("negative timeout", "queue and kept hand-offs full"),),
    ),
    Cascade(
        RuleId.PORT_RECEIVE,
        sc.Receive,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no RECEIVE", lacks(Kind.PORT, RECV)),
            Cond(
                "InvalidArgument",
                "negative timeout",
                lambda s, pid, op: op.timeout is not None and op.timeout < 0,
            ),
            Cond(
                "PortClosed",
                "closed and empty",
                lambda s, pid, op: (
                    not port_of(s, pid, op.handle).queue
                    and port_of(s, pid, op.handle).closed
                ),
            ),
            Cond(
                "WouldBlock",
                "empty, no wait",
                lambda s, pid, op: (
                    not port_of(s, pid, op.handle).queue and op.timeout == 0
                ),
            ),
            delivery_quota(lambda s, pid, op: port_of(s, pid, op.handle)),
        ),
    ),
    Cascade(
        RuleId.FILTER_SET,
        sc.SetFilter,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no MANAGE", lacks(Kind.PORT, MANAGE)),
            Cond("InvalidArgument", "bad type, size or rate", bad_filter),
            Cond(
                "PortClosed",
                "port closed",
                lambda s, pid, op: port_of(s, pid, op.handle).closed,
            ),
        ),
    ),
    Cascade(
        RuleId.NS_BIND,
        sc.Bind,
        (
            Cond("InsufficientRights", "may not bind", may_not("may_bind")),
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no GRANT", lacks(Kind.PORT, GRANT)),
            Cond(
                "InvalidArgument",
                "bad name, type or rights",
                lambda s, pid, op: (
                    bad_name(s, pid, op)
                    or not 0 <= op.service_type <= MAX_U32
                    or not 0 <= op.rights <= ALL_RIGHTS
                ),
            ),
            Cond(
                "InsufficientRights",
                "publishes a right not held",
                lambda s, pid, op: (
                    op.rights & ~cap_at(s, pid, op.handle, Kind.PORT).rights != 0  # type: ignore[union-attr]
                ),
            ),
            Cond("NameInUse", "name bound", lambda s, pid, op: op.name in s.namespace),
            Cond(
                "PortClosed",
                "port closed",
                lambda s, pid, op: port_of(s, pid, op.handle).closed,
            ),
        ),
    ),
    Cascade(
        RuleId.NS_UNBIND,
        sc.Unbind,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.PORT)),
            Cond("InsufficientRights", "no MANAGE", lacks(Kind.PORT, MANAGE)),
            Cond("PortNotFound", "unbound", unbound),
            Cond(
                "InsufficientRights",
                "bound to another port",
                lambda s, pid, op: (
                    s.caps[s.namespace[op.name].cap].obj
                    != cap_at(s, pid, op.handle, Kind.PORT).obj  # type: ignore[union-attr]
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.NS_LOOKUP,
        sc.Lookup,
        (
            Cond("InsufficientRights", "may not look up", may_not("may_lookup")),
            Cond("InvalidArgument", "bad name", bad_name),
            Cond("PortNotFound", "unbound", unbound),
            HANDLE_QUOTA,
        ),
    ),
    Cascade(
        RuleId.NS_CONNECT,
        sc.Connect,
        (
            Cond("InsufficientRights", "may not look up", may_not("may_lookup")),
            Cond(
                "InvalidArgument",
                "bad name or type",
                lambda s, pid, op: (
                    bad_name(s, pid, op) or not 0 <= op.service_type <= MAX_U32
                ),
            ),
            Cond("PortNotFound", "unbound", unbound),
            Cond(
                "TypeMismatch",
                "other type",
                lambda s, pid, op: s.namespace[op.name].service_type != op.service_type,
            ),
            HANDLE_QUOTA,
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
            CREATE_QUOTA,
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
            CREATE_QUOTA,
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
            CREATE_QUOTA,
        ),
    ),
    Cascade(
        RuleId.CHAN_SEND_BATCH,
        sc.ChannelSendBatch,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no SEND", lacks(Kind.CHANNEL, SEND)),
            Cond("InvalidArgument", "empty batch", lambda s, pid, op: not op.items),
            Cond(
                "MessageTooLarge",
                "item too large",
                lambda s, pid, op: any(
                    len(d) > ring_of(s, pid, op.handle).max_message for d in op.items
                ),
            ),
            Cond(
                "PortClosed",
                "closed",
                lambda s, pid, op: ring_of(s, pid, op.handle).closed,
            ),
            Cond(
                "WouldBlock",
                "no room",
                lambda s, pid, op: (
                    (r := ring_of(s, pid, op.handle)).write_idx
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
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.CHANNEL)),
            Cond("InsufficientRights", "no RECEIVE", lacks(Kind.CHANNEL, RECV)),
            Cond(
                "InvalidArgument",
                "max_count below 1",
                lambda s, pid, op: op.max_count < 1,
            ),
            Cond(
                "PortClosed",
                "closed and empty",
                lambda s, pid, op: (
                    (r := ring_of(s, pid, op.handle)).write_idx == r.read_idx
                    and r.closed
                ),
            ),
            Cond(
                "WouldBlock",
                "empty",
                lambda s, pid, op: (
                    (r := ring_of(s, pid, op.handle)).write_idx == r.read_idx
                ),
            ),
        ),
    ),
    Cascade(
        RuleId.BUF_MAP,
        sc.MapBuffer,
        (
            Cond("InvalidCapability", "bad handle", bad_handle(Kind.BUFFER)),
            Cond(
                "InsufficientRights",
                "no READ (or WRITE)",
                lambda s, pid, op: (
                    not has(
                        cap_at(s, pid, op.handle, Kind.BUFFER).rights,  # type: ignore[union-attr]
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
                lambda s, p, op: mapping(s, p, op) is None,
            ),
            Cond(
                "InvalidArgument",
                "bad length",
                lambda s, pid, op: not 0 <= op.length <= s.config.max_io,
            ),
            Cond("OutOfBounds", "outside", outside(lambda op: op.length)),
        ),
    ),
    Cascade(
        RuleId.BUF_WRITE,
        sc.WriteBuffer,
        (
            Cond(
                "InvalidCapability",
                "no mapping",
                lambda s, p, op: mapping(s, p, op) is None,
            ),
            Cond(
                "InsufficientRights",
                "read-only",
                lambda s, pid, op: not mapping(s, pid, op).writable,
            ),
            Cond(
                "InvalidArgument",
                "too long",
                lambda s, pid, op: len(op.data) > s.config.max_io,
            ),
            Cond("OutOfBounds", "outside", outside(lambda op: len(op.data))),
        ),
    ),
    Cascade(
        RuleId.BUF_TRANSFER,
        sc.TransferBuffer,
        (
            Cond("InvalidCapability", "bad buffer handle", bad_handle(Kind.BUFFER)),
            Cond(
                "InsufficientRights",
                "no MANAGE|GRANT",
                lacks(Kind.BUFFER, MANAGE | GRANT),
            ),
            Cond("InsufficientRights", "not the root", not_root(Kind.BUFFER)),
            Cond("InvalidCapability", "bad port handle", bad_handle(Kind.PORT, "port")),
            Cond("InsufficientRights", "no SEND", lacks(Kind.PORT, SEND, "port")),
            Cond(
                "InvalidMessage",
                "type out of range",
                lambda s, pid, op: not 0 <= op.msg_type <= MAX_U32,
            ),
            *[
                c
                for c in port_side(
                    lambda op: (op.msg_type, 0),
                    lambda s, pid, op: port_of(s, pid, op.port),
                )
                if c.label != "over the filter's size"
            ],
        ),
    ),
    Cascade(
        RuleId.POSIX_SEND,
        sc.SockSend,
        (
            Cond("InvalidCapability", "no fd", no_fd),
            Cond(
                "NotConnected",
                "no peer",
                lambda s, pid, op: table_of(s, pid).fds[Fd(op.fd)].peer is None,
            ),
            Cond(
                "MessageTooLarge",
                "over 64 bytes",
                lambda s, pid, op: len(op.data) > MAX_INLINE_DATA,
            ),
            *port_side(lambda op: (0, len(op.data)), peer_port),
            queued_quota(peer_obj),
        ),
    ),
    Cascade(
        RuleId.POSIX_RECV,
        sc.SockRecv,
        (
            Cond("InvalidCapability", "no fd", no_fd),
            Cond(
                "InvalidArgument", "negative bufsize", lambda s, p, op: op.bufsize < 0
            ),
            Cond(
                "WouldBlock",
                "empty",
                lambda s, pid, op: not own_port(s, pid, op).queue,
            ),
            Cond(
                "MessageTooLarge",
                "head too long",
                lambda s, pid, op: len(own_port(s, pid, op).queue[0].data) > op.bufsize,
            ),
            delivery_quota(own_port),
        ),
    ),
    Cascade(
        RuleId.POSIX_CONNECT,
        sc.SockConnect,
        (
            Cond("InsufficientRights", "may not look up", may_not("may_lookup")),
            Cond("InvalidCapability", "no fd", no_fd),
            Cond(
                "AlreadyConnected",
                "has a peer",
                lambda s, pid, op: table_of(s, pid).fds[Fd(op.fd)].peer is not None,
            ),
            Cond("InvalidArgument", "bad name", bad_name),
            Cond("PortNotFound", "unbound", unbound),
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
