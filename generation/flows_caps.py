"""Flows of authority: capabilities that cross processes and are then used,
derivation chains with a dropped middle, attenuated copies.

Single random steps almost never line these up: a capability has to be
derived with GRANT, sent by one process on a port another receives from,
received there, and only then used. Each flow here writes such a story as a
``Plan`` (``plan``), so every step's handle is the one the spec will
give, and every choice (which process, which kind, which mask, which uses, in
which order) is drawn through the ``Gen``, so the flows shrink like the rest.
The scenarios (``scenarios``) run them.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS
from veridian_ipc.vocabulary.rights import (
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    RECEIVE,
    SEND,
)
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    MapBuffer,
    Operation,
    ReadBuffer,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockBind,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
    Spawn,
    TransferBuffer,
    Unbind,
    WriteBuffer,
)

from .context import Gen, Steps
from .plan import Plan

#: What a payload capability keeps besides GRANT, so its receiver can use it.
_USABLE = {Kind.PORT: SEND, Kind.BUFFER: READ, Kind.CHANNEL: SEND}


def _payload(p: Plan, a: int, origin: int, kind: Kind) -> list[int]:
    """The capabilities ``a`` sends: 1..4 attenuated copies of ``origin``
    with GRANT (the first also usable by its receiver), or ``origin`` itself
    when the target does not claim derivation (it then moves away)."""
    if not p.has("rights"):
        return [origin]
    out: list[int] = []
    for i in range(int(p.g.pick([1, 4, 2, 3]))):
        need = GRANT | (_USABLE[kind] if i == 0 else 0)
        x = p.derive(a, origin, need)
        if x is not None:
            out.append(x)
    return out


def _use(
    p: Plan,
    pid: int,
    x: int,
    forward: tuple[int, int, int] | None,
    use: str | None = None,
) -> bool:
    """``pid`` uses ``x``, a capability it received from another process:
    inspect, derive then revoke, send through it, map it, or forward it to a
    third process (``forward``: the sending handle, the receiver, its handle).
    Returns False once ``x`` has left (forwarded)."""
    g = p.g
    kind = p.kind_of(pid, x)
    uses = ["inspect", "derive", "revoke", "send", "map", "forward"]
    use = use or str(g.pick(uses))
    if use == "inspect":
        p.do(pid, Inspect(x))
    elif use == "derive" and p.has("rights"):
        p.derive(pid, x)
    elif use == "revoke" and p.has("rights"):
        p.derive(pid, x)  # something for the revoke to destroy
        p.do(pid, Revoke(x))
    elif use == "send" and kind is Kind.PORT:
        p.do(pid, Send(x, 1, 0, bytes(int(g.pick([1, MAX_INLINE_DATA])))))
    elif use == "map" and kind is Kind.BUFFER and p.has("buffers"):
        p.do(pid, MapBuffer(x, bool(g.pick([False, True]))))
    elif use == "forward" and forward is not None:
        via, to, to_h = forward
        p.do(pid, Send(via, 2, 0, b"f", (x,)))
        for y in p.delivered(to, Receive(to_h, 0)):
            _use(p, to, y, None)
        return False
    else:
        p.do(pid, Inspect(x))
    return True


def travel(g: Gen, kind: Kind | None = None) -> Steps:
    """A capability crosses processes and is used there: P1 derives copies
    with GRANT (up to four, or five which MSG-LIMITS refuses) and sends them
    on a port P2 receives
    from (maybe blocked first: PORT-HANDOFF, PORT-RESUME); P2 inspects,
    derives, revokes, sends through, maps or forwards them to P3, who uses
    them too; the origin revokes everything (MSG-TRANSFER, RIGHTS-DERIVE,
    RIGHTS-REVOKE, CAP-INSPECT, BUF-MAP). A buffer is then shared and
    transferred while mapped elsewhere (``_share_buffer``)."""
    p = Plan(g)
    procs = p.processes(2)
    if procs is None:
        return p.steps
    a, b = procs
    link = p.link(a, b)
    if link is None:
        return p.steps
    ha, hb = link
    if kind is None:
        kind = Kind.BUFFER if p.has("buffers") and g.roll() < 35 else Kind.PORT
    origin = p.create(a, kind)
    if origin is None:
        return p.steps
    payload = _payload(p, a, origin, kind)
    if len(payload) == MAX_MESSAGE_CAPS and g.roll() < 60:  # one too many
        p.do(a, Send(ha, 0, 0, b"", (*payload, origin)))
    if not payload:  # no copy fits the handle quota (spec/quotas.py)
        return p.steps
    if kind is Kind.BUFFER and g.roll() < 30:  # sent away while mapped
        p.do(a, MapBuffer(payload[0], False))
    if g.roll() < 40:
        p.do(b, Receive(hb, None))
        p.do(a, Send(ha, 0, 0, b"", tuple(payload)))
        got = p.delivered(b, Resume())
    else:
        p.do(a, Send(ha, 0, 0, b"", tuple(payload)))
        if p.has("rights") and payload[0] != origin and g.roll() < 35:
            p.do(a, Revoke(origin))  # in flight (MSG-INFLIGHT-REVOKE)
        got = p.delivered(b, Receive(hb, 0))
    forward = None
    if len(p.running()) < 3 and p.has("caps") and g.roll() < 50:
        p.do(0, Spawn())
    others = [c for c in p.running() if c not in (a, b)]
    if others and g.roll() < 70:
        c = int(g.pick(others))
        fl = p.link(b, c)
        if fl is not None:
            forward = (fl[0], c, fl[1])
    if kind is Kind.BUFFER and got and g.roll() < 60:
        _share_buffer(p, a, b, origin, got[0], ha, hb)
    if kind is Kind.PORT and got and g.roll() < 50:
        _use(p, b, got[0], None, "send")
    if forward is not None and got and g.roll() < 60:
        _use(p, b, got.pop(0), forward, "forward")
    for x in got:
        for _ in range(int(g.pick([2, 1, 3]))):
            if not _use(p, b, x, forward):
                break
    if p.has("rights") and g.roll() < 70:
        p.do(a, Revoke(origin))
    return p.steps


def _share_buffer(
    p: Plan, a: int, b: int, origin: int, x: int, ha: int, hb: int
) -> None:
    """P2 maps the buffer it received, P1 maps its own: both read it
    (BUF-READ shared); then P1 transfers it while P2 has it mapped, straight
    to P2 blocked in a receive (BUF-TRANSFER, PORT-HANDOFF)."""
    mb = p.value(b, MapBuffer(x, False))
    ma = p.value(a, MapBuffer(origin, True))
    size = p.size_of(a, origin)
    if type(ma) is int and size is not None:
        p.do(a, WriteBuffer(ma, size - 2, b"ab"))
    if type(mb) is int and size is not None:
        p.do(b, ReadBuffer(mb, 0, int(p.g.pick([1, 2]))))
        if p.g.roll() < 50:  # one byte past the end: refused (BUF-READ)
            p.do(b, ReadBuffer(mb, size - 1, 2))
    if p.g.roll() < 70:
        p.do(b, Receive(hb, None))
        p.do(a, TransferBuffer(origin, ha, 0))
        p.do(b, Resume())
    else:
        p.do(a, TransferBuffer(origin, ha, 0))


def chain(g: Gen) -> Steps:
    """A derivation chain three or four deep, a middle node dropped (its
    children move up: CAP-DROP), then an ancestor revoked: the revoke reaches
    through the dropped node (RIGHTS-REVOKE, RIGHTS-DERIVE)."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    kinds = [Kind.PORT]
    if p.has("buffers"):
        kinds.append(Kind.BUFFER)
    if p.has("channels"):
        kinds.append(Kind.CHANNEL)
    root = p.create(a, g.pick(kinds))
    if root is None:
        return p.steps
    nodes = [root]
    for _ in range(int(g.pick([3, 2, 4]))):
        x = p.derive(a, nodes[-1])
        if x is None:
            break
        nodes.append(x)
    if len(nodes) < 3:
        return p.steps
    i = int(g.pick(list(range(1, len(nodes) - 1))))
    if p.has("buffers") and p.size_of(a, root) is not None:
        p.do(a, MapBuffer(nodes[i], False))  # a mapping that goes with it
    p.do(a, Drop(nodes[i]))
    if g.roll() < 40:
        p.do(a, Inspect(nodes[-1]))
    p.do(a, Revoke(nodes[int(g.pick(list(range(i))))]))
    return p.steps


def attenuate(g: Gen) -> Steps:
    """An attenuated copy (a mask of ``MASKS``: MANAGE+GRANT without READ or
    WRITE, SEND without GRANT ...) does what its rights allow and tries what
    they do not (RIGHTS-REQUIRED before the arguments: ERR-PRECEDENCE); a
    buffer is transferred by a holder of MANAGE+GRANT alone (BUF-TRANSFER);
    a capability without GRANT is offered in a message (MSG-TRANSFER); one
    with GRANT publishes a right it lacks (NS-BIND)."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    port = p.create(a, Kind.PORT)
    if port is None:
        return p.steps
    _send_only(p, a, port)
    if p.has("buffers") and g.roll() < 40:
        _attenuated_buffer(p, a, port)
        return p.steps
    weak = p.derive(a, port)
    if weak is None:
        return p.steps
    name = p.free_name()
    if p.has("namespace"):
        p.do(a, Bind(port, name, 0))
    lacks = ~p.rights_of(a, weak)
    big = bytes(MAX_INLINE_DATA + 1)  # too large, and the handle is wrong first
    tries: list[Operation] = [
        Derive(weak, SEND | RECEIVE | MANAGE | GRANT),
        Send(p.fresh(a), 0, 0, big),
    ]
    if lacks & RECEIVE:
        tries += [Receive(weak, -1), Receive(weak, 0)]
    if lacks & SEND:
        tries += [Send(weak, 0, 0, b"w"), Send(weak, 0, 0, big)]
    if lacks & GRANT:
        tries.append(Bind(weak, name, 0))
        if p.has("messages"):
            tries += [Send(port, 0, 0, b"", (weak,))] * 2
    if lacks & MANAGE:
        tries += [Close(weak), SetFilter(weak, None, 1, None), Unbind(weak, name)]
    if lacks & (RECEIVE | MANAGE) and not lacks & GRANT and p.has("namespace"):
        tries.append(Bind(weak, p.free_name(), 0, PORT_RIGHTS))  # not held: NS-BIND
    for op in g.permutation(tries):  # every try, in a drawn order
        p.do(a, op)
    return p.steps


def _send_only(p: Plan, a: int, port: int) -> None:
    """A SEND-only copy is used to receive with a bad timeout (the rights
    are checked first: ERR-PRECEDENCE), and offered in a message without
    GRANT (MSG-TRANSFER refuses it)."""
    sender = p.handle(a, Derive(port, SEND))
    if sender is not None:
        p.do(a, Receive(sender, -1))
        if p.has("messages"):
            p.do(a, Send(port, 0, 0, b"", (sender,)))


def _attenuated_buffer(p: Plan, a: int, port: int) -> None:
    """A read-only copy of a new buffer is mapped writable (refused), then a
    copy with MANAGE+GRANT tries to transfer the buffer (a delegate: refused)
    and, once the root is dropped and it owns the buffer, transfers it with
    its rights alone (BUF-MAP, BUF-TRANSFER, CAP-DROP)."""
    buf = p.create(a, Kind.BUFFER)
    if buf is None:
        return
    weak = p.derive(a, buf, READ)
    if weak is not None:
        p.do(a, MapBuffer(weak, bool(p.g.pick([True, False]))))
    owner = p.derive(a, buf, MANAGE | GRANT)
    if owner is not None:
        msg_type = int(p.g.pick([0, 1]))
        p.do(a, TransferBuffer(owner, port, msg_type))  # a delegate: refused
        p.do(a, MapBuffer(buf, False))  # a mapping that goes with the root
        p.do(a, Drop(buf))  # the root goes: its child becomes the owner
        p.do(a, TransferBuffer(owner, port, msg_type))


def socket_caps(g: Gen) -> Steps:
    """A socket bound to a name receives a message carrying capabilities,
    sent natively through a looked-up handle (POSIX-RECV installs them); a
    connected socket fills its peer's queue (POSIX-SEND, POSIX-ERRNO); the
    bound socket closes with messages queued, or its process is killed
    (POSIX-CLOSE)."""
    p = Plan(g)
    procs = p.processes(2)
    if procs is None:
        return p.steps
    s, a = procs
    fd = p.value(s, Socket(None))
    name = p.free_name()
    if type(fd) is not int or p.do(s, SockBind(fd, name)) is None:
        return p.steps
    if p.has("namespace", "messages"):
        h = p.handle(a, Lookup(name))
        x = p.create(a, Kind.PORT)
        if h is not None and x is not None:
            p.do(a, Send(h, 0, 0, b"c", (x,)))
            p.do(s, SockRecv(fd, int(g.pick([MAX_INLINE_DATA, 0]))))
            p.do(s, SockRecv(fd, MAX_INLINE_DATA))
    cfd = p.value(a, Socket(None))
    if type(cfd) is int:
        if g.roll() < 50:  # not connected yet (POSIX-SEND)
            p.do(a, SockSend(cfd, b"u"))
        p.do(a, SockConnect(cfd, name))
        for i in range(int(g.pick([3, 1, 2]))):
            p.do(a, SockSend(cfd, bytes([i])))
    r = g.roll()
    if r < 50:
        p.do(s, SockClose(fd))
    elif r < 75 and p.has("caps"):
        p.do(0, Kill(s))  # its bound name goes with it (POSIX-CLOSE)
    return p.steps


__all__ = ["attenuate", "chain", "socket_caps", "travel"]
