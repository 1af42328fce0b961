"""What the capability part of the faithfulness check reads, and how.

The capability encoding (``enc_caps``) leaves some conditions of a step to
other encodings: a send's port side (``port_ok``: MSG-LIMITS' bounds, the port
open, its filter admitting, room), a name's validity (``name_ok``), and which
ports a step leaves nobody able to receive from (PORT-CLOSE, spec/orphans.py).
``agree_caps`` must not compute them with the spec's own helpers (the check
would then agree with any drift of those helpers), so each comes from here:

- a handle's capability is read from the process's table (CAP-HANDLE);
- ``port_ok`` is the port encoding's ``send`` guard (``enc_ports``), with the
  filter encoding's verdict (``enc_filters.offer_ok``), both evaluated on the
  projected port, its slots kept by hand-offs not yet collected
  (PORT-HANDOFF) included (``faithful.kept_slots``);
- a name is valid by the data rule of the vocabulary's ``NAME`` domain
  (1..``max_name_length`` UTF-8 bytes, no NUL);
- the ports a step abandons are found on the capability encoding's own
  post-state (the step's transitions applied): a port is receivable while a
  RECEIVE capability to it is held in a handle table or a socket, or rides in
  a message queued on a receivable port (the least fixpoint); an open or
  non-empty port that is not is abandoned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from veridian_ipc.spec import KernelState
from veridian_ipc.spec.state import Cap, InFlight, Kind, Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Fd, Handle, ObjId, Pid
from veridian_ipc.vocabulary.rights import RECEIVE, has

from ._smt import BoolVal, If, IntVal, Or, Term, truth, value
from .agree_filters import filter_state
from .agree_ports import port_state
from .enc_filters import offer_ok
from .enc_ports import SYSTEM as PORTS
from .faithful import Tokens, kept_slots, task_pid
from .induction import State

_PORT_SEND = PORTS.transition("send")
_PORT_BLOCK = PORTS.transition("block")


def held(
    s: KernelState, pid: int, handle: int, kind: Kind | None = None
) -> tuple[int, Cap] | None:
    """The capability ``pid``'s ``handle`` names (of ``kind``, if given), read
    from the handle table of its task (CAP-HANDLE, PROC-THREAD), with its id."""
    p = s.processes.get(Pid(task_pid(s, pid)))
    cid = None if p is None else p.handles.get(Handle(handle))
    cap = None if cid is None else s.caps.get(cid)
    if cid is None or cap is None or (kind is not None and cap.kind is not kind):
        return None
    return int(cid), cap


def valid_name(s: KernelState, name: str) -> bool:
    """The vocabulary's ``NAME`` domain: 1..``max_name_length`` UTF-8 bytes,
    no NUL (a lone surrogate is not text)."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= s.config.max_name_length and "\0" not in name


@lru_cache(maxsize=4096)
def _port_guard(
    pt: Port,
    kept: int,
    clock: int,
    msg_type: int,
    flags: int,
    size: int,
    ncaps: int,
    blocks: bool = False,
) -> bool:
    offer = {
        "msg_type": IntVal(msg_type),
        "size": IntVal(size),
        "closed": BoolVal(False),
        "room": BoolVal(True),
    }
    filter_ok = truth(offer_ok(filter_state(pt, clock), offer))
    params = {
        "m": IntVal(1),
        "size": IntVal(size),
        "msg_type": IntVal(msg_type),
        "flags": IntVal(flags),
        "ncaps": IntVal(ncaps),
        "caps_ok": BoolVal(True),
        "filter_ok": BoolVal(filter_ok),
    }
    move = _PORT_BLOCK if blocks else _PORT_SEND
    guard, _ = move.apply(port_state(pt, Tokens(), kept), params)
    return truth(guard)


def port_ok(
    s: KernelState,
    obj: int,
    msg_type: int,
    flags: int,
    size: int,
    ncaps: int,
    blocks: bool = False,
) -> bool:
    """A send's port side passes on port ``obj``: the port encoding's guard
    on the projected port (MSG-LIMITS' bounds, open, filter, room with the
    slots kept by uncollected hand-offs); with ``blocks``, its ``block``
    guard: every one of those checks but room (PORT-SEND-BLOCK)."""
    pt = s.objects.get(ObjId(obj))
    if not isinstance(pt, Port):
        return False
    kept = kept_slots(s, ObjId(obj))
    return _port_guard(pt, kept, s.clock, msg_type, flags, size, ncaps, blocks)


def send_target(s: KernelState, pid: int, op: object) -> int | None:
    """The port a send or buffer transfer goes to (its handle's object)."""
    if isinstance(op, sc.Send):
        found = held(s, pid, op.handle, Kind.PORT)
    elif isinstance(op, sc.TransferBuffer):
        found = held(s, pid, op.port, Kind.PORT)
    else:
        return None
    return None if found is None else int(found[1].obj)


def closed_here(s: KernelState, pid: int, op: object) -> set[int]:
    """The socket ports the operation itself closes and empties (POSIX-CLOSE,
    and PROC-KILL for each of the victim's sockets)."""
    fds: list[tuple[int, int]] = []
    if isinstance(op, sc.SockClose):
        fds = [(task_pid(s, pid), op.fd)]
    elif isinstance(op, sc.Kill) and Pid(op.target) in s.processes:
        task = task_pid(s, op.target)
        fds = [(task, int(fd)) for fd in s.processes[Pid(task)].fds]
    out: set[int] = set()
    for p, fd in fds:
        entry = s.processes[Pid(p)].fds.get(Fd(fd))
        if entry is not None:
            out.add(int(s.caps[entry.own].obj))
    return out


#: Where a capability is, on the encoding's post-state.
GONE, ROOTED, FLYING, LOOSE = 0, 1, 2, 3


def wheres(post: State, caps: Sequence[int]) -> list[int]:
    """Where each of ``caps`` is on the encoding's state (gone, in a table or
    socket, in flight), read with one simplification: the places are the
    base-4 digits of one integer term."""
    if not caps:
        return []
    total: Term = IntVal(0)
    for i, c in enumerate(caps):
        rooted = Or(post["owner"][c] != 0, post["sock"][c])
        at = If(rooted, ROOTED, If(post["flight"][c], FLYING, LOOSE))
        total = total + If(post["live"][c], at, GONE) * (4**i)
    n = value(total)
    assert isinstance(n, int)
    return [(n >> (2 * i)) & 3 for i in range(len(caps))]


def abandoned(
    before: KernelState,
    pid: int,
    op: object,
    post: State,
    moved: Sequence[int],
    back: Mapping[int, Sequence[int]] | None = None,
) -> list[tuple[int, list[int]]]:
    """The ports the step leaves unreceivable, in id order, each with the
    capabilities its queue still carries (``moved``: those the step put in
    flight on the send's target; ``back``: those a kill gave back with an
    uncollected hand-off, by port, PORT-HANDOFF), read on the encoding's
    post-state."""
    target = send_target(before, pid, op)
    on: dict[int, list[int]] = {}
    for obj, o in before.objects.items():
        if isinstance(o, Port):
            on[int(obj)] = [int(c) for m in o.queue for c in m.caps if c is not None]
    if target is not None:
        on.setdefault(target, []).extend(moved)
    for port_id, cs in (back or {}).items():
        on.setdefault(port_id, []).extend(cs)
    port_of = {c: obj for obj, cs in on.items() for c in cs}
    found = [
        (int(cid), cap)
        for cid, cap in before.caps.items()
        if cap.kind is Kind.PORT and has(cap.rights, RECEIVE)
    ]
    places = wheres(post, [cid for cid, _ in found])
    receivers: list[tuple[int, int, int]] = []  # (its port, carrier, where)
    for (cid, cap), where in zip(found, places, strict=True):
        at = cap.at
        carrier = at.port if isinstance(at, InFlight) else port_of.get(cid)
        receivers.append((int(cap.obj), -1 if carrier is None else carrier, where))
    alive: set[int] = set()
    grown = True
    while grown:
        grown = False
        for dest, carrier, where in receivers:
            if dest not in alive and (
                where == ROOTED or (where == FLYING and carrier in alive)
            ):
                alive.add(dest)
                grown = True
    skip = closed_here(before, pid, op)
    out: list[tuple[int, list[int]]] = []
    for oid, o in sorted(before.objects.items()):
        i = int(oid)
        if not isinstance(o, Port) or i in alive or i in skip:
            continue
        if o.closed and not on[i]:
            continue
        places = wheres(post, on[i])
        out.append((i, [c for c, w in zip(on[i], places, strict=True) if w == FLYING]))
    return out
