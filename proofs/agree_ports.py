"""The port encoding's side of the faithfulness check (``faithful``).

``port_state`` projects one port into the port encoding (``enc_ports``), its
queue as message tokens (the ghost history: the queue itself). ``port_steps``
maps a spec step to the encoding's transitions on one port: a send, buffer
transfer or socket send that reaches it is an offer (its filter and carried
capabilities decided by the spec's helpers), a receive or socket receive a
pop, a close or socket close a close, and every waiter the step woke (deadline,
revoke, kill) a ``wake_one``; a port the step left nobody able to receive from
(spec/orphans.py) is then abandoned. The hand-offs not yet collected are
counted from the process table (``faithful.kept_slots``): a ``Resume`` of a
receiver woken by a hand-off is a ``collect``, and the kill of one a
``give_back`` of its message (PORT-HANDOFF). Every port of the pre-state is
checked.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import Kind, Port, QueuedMessage, Woken
from veridian_ipc.spec.step import MAY_ORPHAN
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Fd, ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered
from veridian_ipc.vocabulary.rights import GRANT, MANAGE, RECEIVE, SEND, has

from ._smt import BoolVal, IntVal, int_array, truth
from .agree_filters import filter_state
from .enc_filters import offer_ok
from .enc_ports import SYSTEM
from .faithful import (
    Instance,
    Pair,
    Part,
    Step,
    Tokens,
    blocked,
    cap_at,
    carried_ok,
    differences,
    kept_slots,
    object_of,
    pairs,
    served,
    task_pid,
    threads,
)
from .induction import State


def _body(m: QueuedMessage) -> tuple[int, int, int, bytes]:
    return (int(m.sender), m.msg_type, m.flags, m.data)


def port_state(pt: Port, tokens: Tokens, kept: int = 0) -> State:
    """The port encoding's view of one port (ghost history: the queue), with
    ``kept`` hand-offs from it not yet collected."""
    q = {i: tokens.of(_body(m)) for i, m in enumerate(pt.queue)}
    return {
        "cap": IntVal(pt.capacity),
        "closed": BoolVal(pt.closed),
        "q": int_array(0, q),
        "qs": int_array(0, {i: len(m.data) for i, m in enumerate(pt.queue)}),
        "qc": int_array(0, {i: len(m.caps) for i, m in enumerate(pt.queue)}),
        "qlen": IntVal(len(pt.queue)),
        "nw": IntVal(len(pt.waiters)),
        "kept": IntVal(kept),
        "nret": IntVal(0),
        "hist": int_array(0, q),
        "nsent": IntVal(len(pt.queue)),
        "out": int_array(0, {}),
        "nout": IntVal(0),
    }


def _offer(
    tokens: Tokens,
    s: KernelState,
    pt: Port,
    body: tuple[int, int, int, bytes],
    ncaps: int,
    caps_ok: bool,
) -> Step:
    _, msg_type, flags, data = body
    # the filter's verdict is the filter encoding's, on the projected filter
    # (the spec's ``admit`` is not called)
    offer = {
        "msg_type": IntVal(msg_type),
        "size": IntVal(len(data)),
        "closed": BoolVal(False),
        "room": BoolVal(True),
    }
    filter_ok = truth(offer_ok(filter_state(pt, s.clock), offer))
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


def after_port(before: Port, after: KernelState, obj: int) -> Port:
    """Port ``obj`` after the step; a port the step reclaimed (CAP-RECLAIM,
    spec/reclaim.py) is, to this encoding, the closed, empty port that
    abandoning it left (PORT-CLOSE): the encoding has no object table."""
    o = after.objects.get(ObjId(obj))
    if o is None:
        return replace(before, queue=(), waiters=(), closed=True)
    assert isinstance(o, Port)
    return o


def port_steps(
    s: KernelState,
    pid: int,
    op: object,
    obj: int,
    tokens: Tokens,
    after: KernelState,
    result: object = None,
) -> list[Step]:
    """The port encoding's steps on port ``obj`` for one spec step: those of
    the operation itself, then ``abandon`` if the step left the port
    unreceivable (``MAY_ORPHAN``: it was open or held messages, and is now
    closed and empty), or ``reclaim`` if the step reclaimed it."""
    steps = _op_steps(s, pid, op, obj, tokens, after, result)
    steps += _served(s, obj, tokens, after)
    pt = s.objects[ObjId(obj)]
    assert isinstance(pt, Port)
    pt2 = after_port(pt, after, obj)
    if (
        type(op) in MAY_ORPHAN
        and (not pt.closed or pt.queue)
        and pt2.closed
        and not pt2.queue
        and ("sock_close", {}) not in steps
    ):
        steps.append(("abandon", {}))
    if ObjId(obj) not in after.objects:  # reclaimed (CAP-RECLAIM)
        steps = [st for st in steps if st[0] != "abandon"] + [("reclaim", {})]
    return steps


def _op_steps(
    s: KernelState,
    pid: int,
    op: object,
    obj: int,
    tokens: Tokens,
    after: KernelState,
    result: object,
) -> list[Step]:
    """The encoding's steps of the operation itself on port ``obj``."""
    pt = s.objects[ObjId(obj)]
    assert isinstance(pt, Port)
    refused: list[Step] = [("wake_one", {})] * _refused_waiters(pt, after)
    if isinstance(op, sc.Send) and object_of(s, pid, op.handle, Kind.PORT, SEND) == obj:
        body = (pid, op.msg_type, op.flags, op.data)
        offer = _offer(tokens, s, pt, body, len(op.caps), carried_ok(s, pid, op))
        if blocked(op, result, after, pid, obj):
            return [("block", offer[1])]  # PORT-SEND-BLOCK: a pending admission
        return [*refused, offer]
    if (
        isinstance(op, sc.TransferBuffer)
        and object_of(s, pid, op.port, Kind.PORT, SEND) == obj
    ):
        buf = cap_at(s, pid, op.handle, Kind.BUFFER)
        if buf is None or buf.parent is not None or not has(buf.rights, MANAGE | GRANT):
            return []
        return [*refused, _offer(tokens, s, pt, (pid, op.msg_type, 0, b""), 1, True)]
    entry = None
    if isinstance(op, sc.SockSend | sc.SockRecv | sc.SockClose):
        entry = s.processes[Pid(task_pid(s, pid))].fds.get(Fd(op.fd))
    peer = None if entry is None or entry.peer is None else entry.peer
    if (
        isinstance(op, sc.SockSend)
        and peer is not None
        and int(s.caps[peer].obj) == obj
    ):
        return [*refused, _offer(tokens, s, pt, (pid, 0, 0, op.data), 0, True)]
    own = None if entry is None else int(s.caps[entry.own].obj)
    if isinstance(op, sc.SockRecv) and own == obj:
        return [("sock_recv", {"bufsize": IntVal(op.bufsize)})]
    if isinstance(op, sc.SockClose) and own == obj:
        return [("sock_close", {})]
    if isinstance(op, sc.Kill) and Pid(op.target) in s.processes:
        return _kill_steps(tokens, s, task_pid(s, op.target), obj, after)
    if isinstance(op, sc.Resume) and _handed(s, pid) == obj:
        return [("collect", {})]
    if (
        isinstance(op, sc.Receive)
        and object_of(s, pid, op.handle, Kind.PORT, RECEIVE) == obj
    ):
        timeout = 1 if op.timeout is None else op.timeout  # None: wait, no deadline
        return [("receive", {"cap_ok": BoolVal(True), "timeout": IntVal(timeout)})]
    if (
        isinstance(op, sc.Close)
        and object_of(s, pid, op.handle, Kind.PORT, MANAGE) == obj
    ):
        return [("close", {"cap_ok": BoolVal(True)})]
    o2 = after_port(pt, after, obj)
    woken = len(pt.waiters) - len(o2.waiters)
    return [("wake_one", {})] * max(0, woken)


def _served(s: KernelState, obj: int, tokens: Tokens, after: KernelState) -> list[Step]:
    """The ``send`` of each blocked sender of port ``obj`` the step served, in
    FIFO order (PORT-SEND-BLOCK: each attempt is an ordinary PORT-SEND; one
    that failed changed nothing here)."""
    pt = s.objects[ObjId(obj)]
    assert isinstance(pt, Port)
    steps: list[Step] = []
    for sender, op in served(s, obj, after):
        assert isinstance(op, sc.Send)
        body = (sender, op.msg_type, op.flags, op.data)
        ok = carried_ok(s, sender, op)
        steps.append(_offer(tokens, s, pt, body, len(op.caps), ok))
    return steps


def _kill_steps(
    tokens: Tokens, s: KernelState, task: int, obj: int, after: KernelState
) -> list[Step]:
    """PROC-KILL of ``task`` (any of its threads named), on port ``obj``: its
    threads waiting here leave the waiter queue (a ``wake_one`` each), then
    each of its threads' uncollected hand-offs from here goes back, from the
    highest pid down (``give_back``, PORT-HANDOFF), then its socket on this
    port, if any, is closed; every other waiter the kill ended (a port left
    unreceivable, spec/orphans.py) is woken."""
    pt = s.objects[ObjId(obj)]
    assert isinstance(pt, Port)
    dying = threads(s, task)
    leaving = sum(1 for w in pt.waiters if int(w) in dying)
    steps: list[Step] = [("wake_one", {})] * leaving
    back: list[Step] = []
    for thread in reversed(dying):
        back += _give_back(tokens, s, thread, obj)
    steps += back
    for e in s.processes[Pid(task)].fds.values():
        if int(s.caps[e.own].obj) == obj:
            return [*steps, ("sock_close", {})]
    handed = min(len(back), len(pt.waiters) - leaving)
    o2 = after_port(pt, after, obj)
    woken = len(pt.waiters) - leaving - handed - len(o2.waiters)
    return [*steps, *[("wake_one", {})] * max(0, woken)]


def _refused_waiters(pt: Port, after: KernelState) -> int:
    """The waiters of ``pt`` a send woke with an error before handing its
    message on: those whose table had no room for its capabilities
    (``OutOfMemory``, spec/quotas.py), read from the process table."""
    n = 0
    for w in pt.waiters:
        p = after.processes.get(w)
        if p is not None and isinstance(p.status, Woken):
            n += not isinstance(p.status.result, Ok)
    return n


def _handed(s: KernelState, pid: int) -> int | None:
    """The port whose hand-off ``pid`` was woken with and has not collected."""
    p = s.processes.get(Pid(pid))
    if p is None or not isinstance(p.status, Woken) or p.status.handed is None:
        return None
    return int(p.status.handed)


def _give_back(tokens: Tokens, s: KernelState, target: int, obj: int) -> list[Step]:
    """The ``give_back`` of the hand-off ``target`` has not collected from
    port ``obj``, if any (PORT-HANDOFF: its receiver is killed)."""
    if _handed(s, target) != obj:
        return []
    status = s.processes[Pid(target)].status
    assert isinstance(status, Woken)
    assert isinstance(status.result, Ok)
    d = status.result.value
    assert isinstance(d, Delivered)
    body = (d.sender, d.msg_type, d.flags, d.data)
    params = {
        "m": IntVal(tokens.of(body)),
        "size": IntVal(len(d.data)),
        "ncaps": IntVal(len(d.caps)),
    }
    return [("give_back", params)]


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """Every port, and the steps ``op`` maps to on it (judged when the step
    does more than wake waiters)."""
    out: list[Instance] = []
    for obj, pt in before.objects.items():
        if not isinstance(pt, Port):
            continue
        tokens = Tokens()
        steps = port_steps(before, pid, op, int(obj), tokens, after, result)
        touched = any(name != "wake_one" for name, _ in steps)
        kept = kept_slots(after, obj)
        compare = partial(_compare, after_port(pt, after, int(obj)), tokens, kept)
        pre = port_state(pt, tokens, kept_slots(before, obj))
        out.append(Instance(f"port {obj}", pre, steps, compare, touched))
    return out


def project(s: KernelState) -> list[tuple[str, State]]:
    """Every port of ``s``, projected."""
    return [
        (f"port {obj}", port_state(pt, Tokens(), kept_slots(s, obj)))
        for obj, pt in s.objects.items()
        if isinstance(pt, Port)
    ]


def _compare(pt2: object, tokens: Tokens, kept: int, post: State) -> list[str]:
    """The abstract port against the spec's: its queue, entry by entry, and
    its ``kept`` hand-offs not yet collected."""
    assert isinstance(pt2, Port)
    want = port_state(pt2, tokens, kept)
    every = range(len(pt2.queue))
    compared: list[Pair] = [
        (f, post[f], want[f]) for f in ("cap", "closed", "qlen", "nw", "kept")
    ]
    for f in ("q", "qs", "qc"):
        compared += pairs(f, post[f], want[f], every)
    return differences(compared)


#: The port encoding's part of the faithfulness check.
PART = Part("port", SYSTEM, instances, project)
