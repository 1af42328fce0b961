"""The encodings evaluated on concrete spec states, compared with the spec.

A proof is about an encoding; this module is what ties each encoding to the
spec (STYLE 4.6 "check that the encoding is faithful"). For a recorded spec
step ``(before, pid, op, after, result)``:

1. *project* ``before`` into the encoding's state (concrete z3 terms: arrays
   built with ``Store`` over constants);
2. map ``op`` to the encoding's transitions and their parameters (one spec step
   may be several abstract steps: a send carrying ``k`` capabilities is ``k``
   moves; a hand-off is a send then a delivery);
3. apply them (substitute and simplify) and compare: the guards hold exactly
   when the spec succeeded, and the abstract post-state equals the projection
   of ``after`` on every compared field.

Conditions the encoding leaves to another encoding (``port_ok``, ``args_ok``,
``filter_ok``, ...) are computed from the spec's own helpers. Ghost fields
(history, revoked set, spent handles) have no spec counterpart and are not
compared; ``anc`` is compared with the closure of the spec's parent links.
``check_step`` returns the list of disagreements (empty when they agree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from veridian_ipc.spec import IpcError, KernelState, Ok
from veridian_ipc.spec import syscalls as sc
from veridian_ipc.spec.caps import resolve
from veridian_ipc.spec.filters import admit
from veridian_ipc.spec.messages import check_limits, check_transfer
from veridian_ipc.spec.names import MAX_U32, Fd, MapId, ObjId, Pid
from veridian_ipc.spec.namespace import valid_name
from veridian_ipc.spec.ports import check_offer
from veridian_ipc.spec.processes import check_issuer
from veridian_ipc.spec.results import Delivered
from veridian_ipc.spec.rights import GRANT, MANAGE, RECEIVE, SEND, has
from veridian_ipc.spec.state import (
    AtHandle,
    Buffer,
    Channel,
    InFlight,
    InSocket,
    Kind,
    Port,
    QueuedMessage,
)

from . import (
    enc_buffers,
    enc_caps,
    enc_caps_state,
    enc_channels,
    enc_filters,
    enc_ports,
)
from ._smt import (
    And,
    BoolVal,
    IntVal,
    Proved,
    Term,
    bool_array,
    int_array,
    nested_bool_array,
    nested_int_array,
    prove,
    rights_array,
    rights_val,
    truth,
    value,
)
from .induction import Params, State, System

#: Namespace names as the encoding's integer names.
NAME_IDS = {"a": 1, "b": 2, "c": 3, "d": 4}


@dataclass
class Tokens:
    """Integer tokens standing for message bodies (equal bodies, equal tokens)."""

    ids: dict[object, int] = field(default_factory=dict)

    def of(self, body: object) -> int:
        """The token of ``body`` (1, 2, ... in order of first appearance)."""
        return self.ids.setdefault(body, len(self.ids) + 1)


def _apply(
    system: System, s: State, steps: list[tuple[str, Params]]
) -> tuple[bool, State]:
    ok = True
    for name, params in steps:
        guard, s = system.transition(name).apply(s, params)
        ok = ok and truth(guard)
    return ok, s


def _succeeded(result: object) -> bool:
    return isinstance(result, Ok)


# -- capabilities -----------------------------------------------------------------


def cap_state(s: KernelState) -> State:
    """The capability encoding's view of ``s`` (ghosts empty)."""
    caps = dict(s.caps.items())
    anc: dict[int, set[int]] = {}
    for cid, c in caps.items():
        cur = c.parent
        while cur is not None:
            anc.setdefault(int(cur), set()).add(int(cid))
            cur = caps[cur].parent
    owner = {
        int(c): int(cp.at.pid) for c, cp in caps.items() if isinstance(cp.at, AtHandle)
    }
    return {
        "live": bool_array({int(c) for c in caps}),
        "rights": rights_array({int(c): cp.rights for c, cp in caps.items()}),
        "parent": int_array(0, {int(c): int(cp.parent or 0) for c, cp in caps.items()}),
        "obj": int_array(0, {int(c): int(cp.obj) for c, cp in caps.items()}),
        "kind": int_array(
            0,
            {
                int(c): enc_caps_state.KIND_CODES[cp.kind.value]
                for c, cp in caps.items()
            },
        ),
        "ht": nested_int_array(
            0,
            {
                int(p): {int(h): int(c) for h, c in pr.handles.items()}
                for p, pr in s.processes.items()
            },
        ),
        "nh": int_array(1, {int(p): pr.next_handle for p, pr in s.processes.items()}),
        "owner": int_array(0, owner),
        "flight": bool_array(
            {int(c) for c, cp in caps.items() if isinstance(cp.at, InFlight)}
        ),
        "bnd": int_array(0, {NAME_IDS[n]: int(b.cap) for n, b in s.namespace.items()}),
        "sock": bool_array(
            {int(c) for c, cp in caps.items() if isinstance(cp.at, InSocket)}
        ),
        "sown": bool_array(
            {
                int(c)
                for c, cp in caps.items()
                if isinstance(cp.at, InSocket) and not cp.at.peer
            }
        ),
        "mp": nested_int_array(
            0,
            {
                int(p): {int(m): int(mp.cap) for m, mp in pr.mappings.items()}
                for p, pr in s.processes.items()
            },
        ),
        "nm": int_array(1, {int(p): pr.next_mapping for p, pr in s.processes.items()}),
        "next_cap": IntVal(s.next_cap),
        "next_obj": IntVal(s.next_obj),
        "anc": nested_bool_array(anc),
        "gone": bool_array(set()),
        "spent": nested_bool_array({}),
    }


def _i(x: int) -> Term:
    return IntVal(x)


def _name_id(name: str) -> int:
    return NAME_IDS.get(name, 0)


def _own_cap(s: KernelState, pid: int, fd: int) -> int:
    p = s.processes[Pid(pid)]
    entry = p.fds.get(Fd(fd))
    return 0 if entry is None else int(entry.own)


def _caps_of(msg: QueuedMessage) -> list[int]:
    return [int(c) for c in msg.caps if c is not None]


def _deliveries(q: int, caps: list[int]) -> list[tuple[str, Params]]:
    return [("deliver", {"q": _i(q), "c0": _i(c)}) for c in caps]


def _destroy_socket(s: KernelState, pid: int, fd: int) -> list[tuple[str, Params]]:
    entry = s.processes[Pid(pid)].fds[Fd(fd)]
    steps: list[tuple[str, Params]] = [("revoke_any", {"c": _i(int(entry.own))})]
    o = s.objects[s.caps[entry.own].obj]
    assert isinstance(o, Port)
    steps += [("destroy_any", {"c": _i(c)}) for m in o.queue for c in _caps_of(m)]
    if entry.peer is not None:
        steps.append(("destroy_any", {"c": _i(int(entry.peer))}))
    steps.append(("destroy_any", {"c": _i(int(entry.own))}))
    return steps


def _handoff_target(s: KernelState, obj: int) -> int | None:
    o = s.objects.get(ObjId(obj))
    if isinstance(o, Port) and o.waiters:
        return int(o.waiters[0])
    return None


def cap_steps(
    s: KernelState, pid: int, op: object, result: object
) -> list[tuple[str, Params]] | None:
    """The capability encoding's steps for one spec step (None: not mapped)."""
    ok = _succeeded(result)
    P = _i(pid)
    if isinstance(op, sc.CreatePort | sc.CreateChannel | sc.CreateBuffer):
        kind = {sc.CreatePort: 1, sc.CreateChannel: 2, sc.CreateBuffer: 3}[type(op)]
        return [("create", {"p": P, "kind": _i(kind), "args_ok": BoolVal(ok)})]
    if isinstance(op, sc.Derive):
        if not 0 <= op.rights < 64:
            return None  # outside the 6-bit domain of the encoding (ERR-TOTAL)
        return [("derive", {"p": P, "h": _i(op.handle), "r": rights_val(op.rights)})]
    if isinstance(op, sc.Drop):
        return [("drop", {"p": P, "h": _i(op.handle)})]
    if isinstance(op, sc.Revoke):
        return [("revoke", {"p": P, "h": _i(op.handle)})]
    if isinstance(op, sc.Send):
        found = resolve(s, Pid(pid), op.handle, Kind.PORT)
        port_ok = (
            check_limits(op.msg_type, op.flags, op.data, op.caps, op.handle) is None
            and not isinstance(found, IpcError)
            and not isinstance(
                check_offer(s, found[1].obj, op.msg_type, len(op.data)), IpcError
            )
        )
        carried = op.caps or (0,)
        steps = [
            (
                "send",
                {"p": P, "hp": _i(op.handle), "h0": _i(h), "port_ok": BoolVal(port_ok)},
            )
            for h in carried
        ]
        if ok and not isinstance(found, IpcError):
            moved = check_transfer(s, Pid(pid), op.caps)
            target = _handoff_target(s, found[1].obj)
            if target is not None and not isinstance(moved, IpcError):
                steps += _deliveries(target, [int(c) for c in moved])
        return steps
    if isinstance(op, sc.Receive):
        if ok and isinstance(result, Ok) and isinstance(result.value, Delivered):
            found = resolve(s, Pid(pid), op.handle, Kind.PORT)
            assert not isinstance(found, IpcError)
            o = s.objects[found[1].obj]
            assert isinstance(o, Port)
            return _deliveries(pid, _caps_of(o.queue[0]))
        return []
    if isinstance(op, sc.SockRecv):
        if ok:
            o = s.objects[s.caps[s.processes[Pid(pid)].fds[Fd(op.fd)].own].obj]
            assert isinstance(o, Port)
            return _deliveries(pid, _caps_of(o.queue[0]))
        return []
    if isinstance(op, sc.Bind):
        name_ok = valid_name(s, op.name) and 0 <= op.service_type <= MAX_U32
        n = _name_id(op.name)
        return [
            (
                "bind",
                {"p": P, "h": _i(op.handle), "n": _i(n), "name_ok": BoolVal(name_ok)},
            )
        ]
    if isinstance(op, sc.Unbind):
        n = _name_id(op.name)
        return [("unbind", {"p": P, "h": _i(op.handle), "n": _i(n)})]
    if isinstance(op, sc.Lookup | sc.Connect):
        n = _name_id(op.name) if valid_name(s, op.name) else 0
        type_ok = True
        if isinstance(op, sc.Connect):
            b = s.namespace.get(op.name)
            type_ok = 0 <= op.service_type <= MAX_U32 and (
                b is None or b.service_type == op.service_type
            )
        return [("lookup", {"p": P, "n": _i(n), "type_ok": BoolVal(type_ok)})]
    if isinstance(op, sc.MapBuffer):
        return [("map", {"p": P, "h": _i(op.handle), "writable": BoolVal(op.writable)})]
    if isinstance(op, sc.Unmap):
        return [("unmap", {"p": P, "m": _i(op.mapping)})]
    if isinstance(op, sc.TransferBuffer):
        found = resolve(s, Pid(pid), op.port, Kind.PORT)
        port_ok = (
            not isinstance(found, IpcError)
            and check_limits(op.msg_type, 0, b"", (), op.port) is None
            and not isinstance(check_offer(s, found[1].obj, op.msg_type, 0), IpcError)
        )
        steps = [
            (
                "transfer",
                {
                    "p": P,
                    "hb": _i(op.handle),
                    "hp": _i(op.port),
                    "port_ok": BoolVal(port_ok),
                },
            )
        ]
        if ok and not isinstance(found, IpcError):
            target = _handoff_target(s, found[1].obj)
            if target is not None:
                steps += _deliveries(target, [s.next_cap])
        return steps
    if isinstance(op, sc.Socket):
        return [("socket", {"args_ok": BoolVal(ok)})]
    if isinstance(op, sc.SockBind):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        name_ok = entry is not None and entry.name is None and valid_name(s, op.name)
        c = _own_cap(s, pid, op.fd)
        n = _name_id(op.name)
        return [("sock_bind", {"c": _i(c), "n": _i(n), "name_ok": BoolVal(name_ok)})]
    if isinstance(op, sc.SockConnect):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        args_ok = entry is not None and entry.peer is None
        n = _name_id(op.name) if valid_name(s, op.name) else 0
        return [("sock_connect", {"n": _i(n), "args_ok": BoolVal(args_ok)})]
    if isinstance(op, sc.SockClose):
        if not ok:
            return []
        return _destroy_socket(s, pid, op.fd)
    if isinstance(op, sc.Kill):
        if not ok:
            return []
        victim = s.processes[Pid(op.target)]
        gone: list[tuple[str, Params]] = []
        for fd in list(victim.fds):
            gone += _destroy_socket(s, op.target, int(fd))
        gone += [("destroy_any", {"c": _i(int(c))}) for c in victim.handles.values()]
        return gone
    return []  # the operation moves no capability


def _pairs(
    name: str, got: Term, want: Term, idx: list[int], nested: list[int]
) -> list[tuple[str, Term, Term]]:
    if nested:
        return [
            (f"{name}[{i}][{j}]", got[i][j], want[i][j]) for i in idx for j in nested
        ]
    return [(f"{name}[{i}]", got[i], want[i]) for i in idx]


def differences(pairs: list[tuple[str, Term, Term]]) -> list[str]:
    """The pairs whose two closed terms differ (one solver call when none do;
    arrays are compared whole, by extensionality)."""
    if not pairs or isinstance(prove(And(*[a == b for _, a, b in pairs])), Proved):
        return []
    return [
        f"{name}: encoding {_show(a)}, spec {_show(b)}"
        for name, a, b in pairs
        if not isinstance(prove(a == b), Proved)
    ]


def _show(t: Term) -> str:
    try:
        return str(value(t))
    except ValueError:
        return "(an array)"


def _cmp(
    name: str, got: Term, want: Term, idx: list[int], out: list[str], nested: list[int]
) -> None:
    for i in idx:
        if nested:
            for j in nested:
                a, b = value(got[i][j]), value(want[i][j])
                if a != b:
                    out.append(f"{name}[{i}][{j}]: encoding {a}, spec {b}")
        else:
            a, b = value(got[i]), value(want[i])
            if a != b:
                out.append(f"{name}[{i}]: encoding {a}, spec {b}")


def _issued(s: KernelState, pid: int, op: object) -> bool:
    """The step reached its rule (not refused by PROC-STATUS first)."""
    if not isinstance(op, sc.Operation) or op.environment:
        return True
    return check_issuer(s, pid, op) is None


def check_cap_step(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System = enc_caps.SYSTEM,
) -> list[str]:
    """Disagreements of the capability encoding with one spec step."""
    if not _issued(before, pid, op):
        return []
    steps = cap_steps(before, pid, op, result)
    if steps is None:
        return []
    ok, post = _apply(system, cap_state(before), steps)
    out: list[str] = []
    if steps and ok != _succeeded(result):
        out.append(f"guard {ok}, spec result {result}")
    if not ok and steps:
        return out  # a failed step changes nothing; the spec agrees (ERR-ATOMIC)
    want = cap_state(after)
    caps = list(range(max(before.next_cap, after.next_cap) + 2))
    pids = sorted(int(p) for p in after.processes)
    handles = list(
        range(max([p.next_handle for p in after.processes.values()] + [1]) + 2)
    )
    maps = list(
        range(max([p.next_mapping for p in after.processes.values()] + [1]) + 2)
    )
    live = sorted(int(c) for c in after.caps)
    whole = ("live", "owner", "flight", "sock", "sown", "anc", "bnd", "ht", "mp")
    pairs: list[tuple[str, Term, Term]] = [(f, post[f], want[f]) for f in whole]
    for f in ("rights", "parent", "obj", "kind"):  # a dead node's fields are moot
        pairs += _pairs(f, post[f], want[f], live, [])
    for f in ("nh", "nm"):  # a dead process's counters are moot
        pairs += _pairs(f, post[f], want[f], pids, [])
    pairs += [(f, post[f], want[f]) for f in ("next_cap", "next_obj")]
    if not differences(pairs):
        return out
    # say where: compare the whole arrays entry by entry on the ids in use
    for f in ("live", "owner", "flight", "sock", "sown"):
        pairs += _pairs(f, post[f], want[f], caps, [])
    pairs += _pairs("anc", post["anc"], want["anc"], caps, caps)
    pairs += _pairs("bnd", post["bnd"], want["bnd"], sorted(NAME_IDS.values()), [])
    pairs += _pairs("ht", post["ht"], want["ht"], pids, handles)
    pairs += _pairs("mp", post["mp"], want["mp"], pids, maps)
    pairs = [p for p in pairs if p[0] not in whole]
    out += differences(pairs) or ["arrays differ outside the ids in use"]
    return out


# -- ports -----------------------------------------------------------------------


def _body(m: QueuedMessage) -> tuple[int, int, int, bytes]:
    return (int(m.sender), m.msg_type, m.flags, m.data)


def port_state(pt: Port, tokens: Tokens) -> State:
    """The port encoding's view of one port (ghost history: the queue)."""
    q = {i: tokens.of(_body(m)) for i, m in enumerate(pt.queue)}
    return {
        "cap": IntVal(pt.capacity),
        "closed": BoolVal(pt.closed),
        "q": int_array(0, q),
        "qs": int_array(0, {i: len(m.data) for i, m in enumerate(pt.queue)}),
        "qc": int_array(0, {i: len(m.caps) for i, m in enumerate(pt.queue)}),
        "qlen": IntVal(len(pt.queue)),
        "nw": IntVal(len(pt.waiters)),
        "hist": int_array(0, q),
        "nsent": IntVal(len(pt.queue)),
        "out": int_array(0, {}),
        "nout": IntVal(0),
    }


def _port_cap(s: KernelState, pid: int, handle: int, right: int) -> int | None:
    """The port a handle names, if it resolves and carries ``right``."""
    found = resolve(s, Pid(pid), handle, Kind.PORT)
    if isinstance(found, IpcError) or not has(found[1].rights, right):
        return None
    return int(found[1].obj)


def _offer(
    tokens: Tokens,
    s: KernelState,
    pt: Port,
    body: tuple[int, int, int, bytes],
    ncaps: int,
    caps_ok: bool,
) -> tuple[str, Params]:
    _, msg_type, flags, data = body
    filter_ok = not isinstance(admit(pt.filter, msg_type, len(data), s.clock), IpcError)
    return (
        "send",
        {
            "m": IntVal(tokens.of(body)),
            "size": IntVal(len(data)),
            "msg_type": IntVal(msg_type),
            "flags": IntVal(flags),
            "ncaps": IntVal(ncaps),
            "caps_ok": BoolVal(caps_ok),
            "filter_ok": BoolVal(filter_ok),
        },
    )


def port_steps(
    s: KernelState, pid: int, op: object, obj: int, tokens: Tokens, after: KernelState
) -> list[tuple[str, Params]]:
    """The port encoding's steps on port ``obj`` for one spec step."""
    pt = s.objects[ObjId(obj)]
    assert isinstance(pt, Port)
    if isinstance(op, sc.Send) and _port_cap(s, pid, op.handle, SEND) == obj:
        moved = check_transfer(s, Pid(pid), op.caps)
        distinct = len(set(op.caps)) == len(op.caps) and op.handle not in op.caps
        caps_ok = distinct and not isinstance(moved, IpcError)
        body = (pid, op.msg_type, op.flags, op.data)
        return [_offer(tokens, s, pt, body, len(op.caps), caps_ok)]
    if isinstance(op, sc.TransferBuffer) and _port_cap(s, pid, op.port, SEND) == obj:
        found = resolve(s, Pid(pid), op.handle, Kind.BUFFER)
        if isinstance(found, IpcError) or not has(found[1].rights, MANAGE | GRANT):
            return []
        return [_offer(tokens, s, pt, (pid, op.msg_type, 0, b""), 1, True)]
    entry = None
    if isinstance(op, sc.SockSend | sc.SockRecv | sc.SockClose):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
    peer = None if entry is None or entry.peer is None else entry.peer
    if (
        isinstance(op, sc.SockSend)
        and peer is not None
        and int(s.caps[peer].obj) == obj
    ):
        return [_offer(tokens, s, pt, (pid, 0, 0, op.data), 0, True)]
    own = None if entry is None else int(s.caps[entry.own].obj)
    if isinstance(op, sc.SockRecv) and own == obj:
        return [("sock_recv", {"bufsize": IntVal(op.bufsize)})]
    if isinstance(op, sc.SockClose) and own == obj:
        return [("sock_close", {})]
    if isinstance(op, sc.Kill) and Pid(op.target) in s.processes:
        for e in s.processes[Pid(op.target)].fds.values():
            if int(s.caps[e.own].obj) == obj:
                return [("sock_close", {})]
    if isinstance(op, sc.Receive) and _port_cap(s, pid, op.handle, RECEIVE) == obj:
        timeout = 1 if op.timeout is None else op.timeout  # None: wait, no deadline
        return [("receive", {"cap_ok": BoolVal(True), "timeout": IntVal(timeout)})]
    if isinstance(op, sc.Close) and _port_cap(s, pid, op.handle, MANAGE) == obj:
        return [("close", {"cap_ok": BoolVal(True)})]
    o2 = after.objects[ObjId(obj)]
    assert isinstance(o2, Port)
    woken = len(pt.waiters) - len(o2.waiters)
    return [("wake_one", {})] * max(0, woken)


def check_port_step(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System = enc_ports.SYSTEM,
) -> list[str]:
    """Disagreements of the port encoding with one spec step, on every port."""
    if not _issued(before, pid, op):
        return []
    out: list[str] = []
    for obj, pt in before.objects.items():
        if not isinstance(pt, Port):
            continue
        tokens = Tokens()
        steps = port_steps(before, pid, op, int(obj), tokens, after)
        ok, post = _apply(system, port_state(pt, tokens), steps)
        touched = any(name != "wake_one" for name, _ in steps)
        if touched and ok != _succeeded(result):
            out.append(f"port {obj}: guard {ok}, spec result {result}")
            continue
        if not ok:
            continue
        pt2 = after.objects[obj]
        assert isinstance(pt2, Port)
        want = port_state(pt2, tokens)
        n = len(pt2.queue)
        pairs = [
            (f"port {obj} {f}", post[f], want[f])
            for f in ("cap", "closed", "qlen", "nw")
        ]
        for f in ("q", "qs", "qc"):
            pairs += _pairs(f"port {obj} {f}", post[f], want[f], list(range(n)), [])
        out += differences(pairs)
    return out


# -- channels --------------------------------------------------------------------


def ring_state(ring: Channel, tokens: Tokens) -> State:
    """The channel encoding's view of one ring (ghost history: what it holds)."""
    cap = ring.capacity
    slots = {x: tokens.of(d) for x, d in enumerate(ring.slots) if d is not None}
    hist = {
        i: tokens.of(ring.slots[i % cap]) for i in range(ring.read_idx, ring.write_idx)
    }
    return {
        "cap": IntVal(cap),
        "maxm": IntVal(ring.max_message),
        "closed": BoolVal(ring.closed),
        "r": IntVal(ring.read_idx),
        "w": IntVal(ring.write_idx),
        "ph": IntVal(ring.read_idx % cap),
        "wp": IntVal(ring.write_idx % cap),
        "slots": int_array(0, slots),
        "ssz": int_array(
            0, {x: len(d) for x, d in enumerate(ring.slots) if d is not None}
        ),
        "hist": int_array(0, hist),
        "got": int_array(0, {}),
        "ngot": IntVal(ring.read_idx),
    }


def _ring_of(s: KernelState, pid: int, handle: int, right: int) -> int | None:
    found = resolve(s, Pid(pid), handle, Kind.CHANNEL)
    if isinstance(found, IpcError) or not has(found[1].rights, right):
        return None
    return int(found[1].obj)


def check_ring_step(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System = enc_channels.SYSTEM,
) -> list[str]:
    """Disagreements of the channel encoding with one spec step."""
    if not _issued(before, pid, op):
        return []
    out: list[str] = []
    for obj, ring in before.objects.items():
        if not isinstance(ring, Channel):
            continue
        tokens = Tokens()
        steps: list[tuple[str, Params]] = []
        items: tuple[bytes, ...] = ()
        if isinstance(op, sc.ChannelSend | sc.ChannelSendBatch):
            if _ring_of(before, pid, op.handle, SEND) == obj:
                items = (op.data,) if isinstance(op, sc.ChannelSend) else op.items
                arr = int_array(0, {j: tokens.of(d) for j, d in enumerate(items)})
                sizes = int_array(0, {j: len(d) for j, d in enumerate(items)})
                steps = [
                    ("send", {"k": IntVal(len(items)), "items": arr, "sizes": sizes})
                ]
        elif isinstance(op, sc.ChannelReceive | sc.ChannelReceiveBatch):
            if _ring_of(before, pid, op.handle, RECEIVE) == obj:
                mc = 1 if isinstance(op, sc.ChannelReceive) else op.max_count
                steps = [("receive", {"max_count": IntVal(mc)})]
        elif isinstance(op, sc.Close):
            found = resolve(before, Pid(pid), op.handle, Kind.CHANNEL)
            if (
                not isinstance(found, IpcError)
                and int(found[1].obj) == obj
                and has(found[1].rights, MANAGE)
            ):
                steps = [("close", {})]
        pre = ring_state(ring, tokens)
        ok, post = _apply(system, pre, steps)
        if steps and ok != _succeeded(result):
            out.append(f"channel {obj}: guard {ok}, spec result {result}")
            continue
        if not ok:
            continue
        ring2 = after.objects[obj]
        assert isinstance(ring2, Channel)
        want = ring_state(ring2, tokens)
        pairs = [
            (f"channel {obj} {f}", post[f], want[f])
            for f in ("cap", "maxm", "closed", "r", "w", "ph", "wp")
        ]
        every = list(range(ring.capacity))
        held = [x for x, d in enumerate(ring2.slots) if d is not None]
        pairs += _pairs(f"channel {obj} slots", post["slots"], want["slots"], every, [])
        pairs += _pairs(f"channel {obj} ssz", post["ssz"], want["ssz"], held, [])
        if steps and steps[0][0] == "receive" and isinstance(result, Ok):
            got = result.value if isinstance(result.value, tuple) else (result.value,)
            base = ring.read_idx
            pairs += [
                (
                    f"channel {obj} received[{j}]",
                    post["got"][base + j],
                    IntVal(tokens.of(d)),
                )
                for j, d in enumerate(got)
            ]
            pairs.append(
                (f"channel {obj} count", post["ngot"], IntVal(base + len(got)))
            )
        out += differences(pairs)
    return out


# -- buffers -------------------------------------------------------------------------


def buffer_state(buf: Buffer, max_io: int) -> State:
    """The buffer encoding's view of one buffer."""
    return {
        "size": IntVal(buf.size),
        "max_io": IntVal(max_io),
        "contents": int_array(0, {int(o): b for o, b in buf.contents.items()}),
    }


def check_buffer_step(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System = enc_buffers.SYSTEM,
) -> list[str]:
    """Disagreements of the buffer encoding with one spec step."""
    if not _issued(before, pid, op) or not isinstance(
        op, sc.ReadBuffer | sc.WriteBuffer
    ):
        return []
    m = before.processes[Pid(pid)].mappings.get(MapId(op.mapping))
    if m is None:
        return []
    buf = before.objects[m.buf]
    assert isinstance(buf, Buffer)
    pre = buffer_state(buf, before.config.max_io)
    if isinstance(op, sc.WriteBuffer):
        data = int_array(0, dict(enumerate(op.data)))
        params: Params = {
            "offset": IntVal(op.offset),
            "n": IntVal(len(op.data)),
            "data": data,
            "writable": BoolVal(m.writable),
        }
        ok, post = _apply(system, pre, [("write", params)])
    else:
        params = {"offset": IntVal(op.offset), "length": IntVal(op.length)}
        ok, post = _apply(system, pre, [("read", params)])
    if ok != _succeeded(result):
        return [f"buffer {m.buf}: guard {ok}, spec result {result}"]
    if not ok:
        return []
    buf2 = after.objects[m.buf]
    assert isinstance(buf2, Buffer)
    want = buffer_state(buf2, before.config.max_io)
    span = list(range(-2, buf.size + 3))
    pairs = _pairs(
        f"buffer {m.buf} contents", post["contents"], want["contents"], span, []
    )
    if isinstance(op, sc.ReadBuffer) and isinstance(result, Ok):
        pairs += [
            (f"read[{i}]", pre["contents"][op.offset + i], IntVal(b))
            for i, b in enumerate(result.value)
        ]
    return differences(pairs)


# -- filters ---------------------------------------------------------------------------


def filter_state(pt: Port, clock: int) -> State:
    """The filter encoding's view of one port's filter (window ghosts closed)."""
    f = pt.filter
    allowed = set() if f is None or f.allowed_types is None else set(f.allowed_types)
    rate = None if f is None else f.rate
    return {
        "clock": IntVal(clock),
        "any_type": BoolVal(f is None or f.allowed_types is None),
        "allowed": bool_array(allowed),
        "any_size": BoolVal(f is None or f.max_size is None),
        "max_size": IntVal(0 if f is None or f.max_size is None else f.max_size),
        "rated": BoolVal(rate is not None),
        "burst": IntVal(0 if rate is None else rate.burst),
        "refill": IntVal(0 if rate is None else rate.refill),
        "period": IntVal(1 if rate is None else rate.period),
        "tokens": IntVal(0 if f is None else f.tokens),
        "stamp": IntVal(0 if f is None else f.stamp),
        "on": BoolVal(False),
        "first": BoolVal(False),
        "w0": IntVal(0),
        "base": IntVal(0),
        "j": IntVal(0),
        "adm": IntVal(0),
        "nadm": IntVal(0),
    }


def _reaches_offer(s: KernelState, pid: int, op: object) -> tuple[int, int, int] | None:
    """(port, type, size) when the step gets as far as ``check_offer``."""
    if isinstance(op, sc.Send):
        obj = _port_cap(s, pid, op.handle, SEND)
        if obj is None:
            return None
        if check_limits(op.msg_type, op.flags, op.data, op.caps, op.handle) is not None:
            return None
        if isinstance(check_transfer(s, Pid(pid), op.caps), IpcError):
            return None
        return obj, op.msg_type, len(op.data)
    if isinstance(op, sc.SockSend):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        if entry is None or entry.peer is None or len(op.data) > 64:
            return None
        return int(s.caps[entry.peer].obj), 0, len(op.data)
    return None


def check_filter_step(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System = enc_filters.SYSTEM,
) -> list[str]:
    """Disagreements of the filter encoding with one spec step."""
    if not _issued(before, pid, op):
        return []
    out: list[str] = []
    reach = _reaches_offer(before, pid, op)
    for obj, pt in before.objects.items():
        if not isinstance(pt, Port):
            continue
        steps: list[tuple[str, Params]] = []
        if reach is not None and reach[0] == obj:
            room = bool(pt.waiters) or len(pt.queue) < pt.capacity
            steps = [
                (
                    "offer",
                    {
                        "msg_type": IntVal(reach[1]),
                        "size": IntVal(reach[2]),
                        "closed": BoolVal(pt.closed),
                        "room": BoolVal(room),
                    },
                )
            ]
        elif isinstance(op, sc.AdvanceClock):
            steps = [("advance", {"ticks": IntVal(op.ticks)})]
        elif (
            isinstance(op, sc.SetFilter)
            and _port_cap(before, pid, op.handle, MANAGE) == obj
        ):
            types = op.allowed_types
            rate = op.rate
            steps = [
                (
                    "set_filter",
                    {
                        "any_type": BoolVal(types is None),
                        "allowed": bool_array(set(types or ())),
                        "any_size": BoolVal(op.max_size is None),
                        "max_size": IntVal(op.max_size or 0),
                        "rated": BoolVal(rate is not None),
                        "burst": IntVal(0 if rate is None else rate.burst),
                        "refill": IntVal(0 if rate is None else rate.refill),
                        "period": IntVal(1 if rate is None else rate.period),
                    },
                )
            ]
            if types is not None and any(not 0 <= t <= MAX_U32 for t in types):
                steps = []  # the encoding's types are the valid ones (FILTER-SET)
        pre = filter_state(pt, before.clock)
        ok, post = _apply(system, pre, steps)
        if steps and steps[0][0] != "offer" and ok != _succeeded(result):
            if not (steps[0][0] == "set_filter" and pt.closed):
                out.append(f"port {obj} filter: guard {ok}, spec result {result}")
            continue
        if steps and steps[0][0] == "offer":
            admitted = bool(value(enc_filters.offer_ok(pre, steps[0][1])))
            if admitted != _succeeded(result):
                out.append(f"port {obj}: offer admitted {admitted}, spec {result}")
                continue
        if not ok or (steps and steps[0][0] == "set_filter" and pt.closed):
            continue
        pt2 = after.objects[obj]
        assert isinstance(pt2, Port)
        want = filter_state(pt2, after.clock)
        fields = ["clock", "any_type", "any_size", "rated"]
        if pt2.filter is not None and pt2.filter.rate is not None:
            fields += ["burst", "refill", "period", "tokens", "stamp"]
        if pt2.filter is not None and pt2.filter.max_size is not None:
            fields.append("max_size")
        pairs = [(f"port {obj} {f}", post[f], want[f]) for f in fields]
        pairs += _pairs(
            f"port {obj} allowed",
            post["allowed"],
            want["allowed"],
            [-1, 0, 1, 2, 3],
            [],
        )
        out += differences(pairs)
    return out


#: Every agreement check, by encoding.
CHECKERS: dict[str, Callable[..., list[str]]] = {
    "caps": check_cap_step,
    "port": check_port_step,
    "channel": check_ring_step,
    "buffer": check_buffer_step,
    "filter": check_filter_step,
}
