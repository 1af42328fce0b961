"""The filter encoding's side of the faithfulness check (``faithful``).

``filter_state`` projects one port's filter and the clock into the filter
encoding (``enc_filters``), the rate window's ghosts closed. A send or socket
send that gets as far as the port's ``check_offer`` is an ``offer`` (whose
guard always holds: whether it admitted the message, counted in ``nadm``,
must agree with the spec's result), a clock advance is ``advance`` on every
port, a filter set on an open port ``set_filter``.
"""

from __future__ import annotations

from functools import partial

from veridian_ipc.spec import KernelState
from veridian_ipc.spec.state import Kind, Port
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import MAX_U32, Fd, Pid
from veridian_ipc.vocabulary.rights import MANAGE, SEND

from ._smt import BoolVal, IntVal, Term, bool_array
from .enc_filters import SYSTEM
from .faithful import (
    Instance,
    Pair,
    Part,
    Step,
    blocked,
    carried_ok,
    differences,
    kept_slots,
    object_of,
    pairs,
    served,
    task_pid,
    well_formed,
)
from .induction import State


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
        obj = object_of(s, pid, op.handle, Kind.PORT, SEND)
        if obj is None:
            return None
        if not well_formed(op) or not carried_ok(s, pid, op):
            return None
        return obj, op.msg_type, len(op.data)
    if isinstance(op, sc.SockSend):
        entry = s.processes[Pid(task_pid(s, pid))].fds.get(Fd(op.fd))
        if entry is None or entry.peer is None or len(op.data) > 64:
            return None
        return int(s.caps[entry.peer].obj), 0, len(op.data)
    return None


def filter_steps(
    s: KernelState,
    pid: int,
    op: object,
    obj: int,
    pt: Port,
    kept: int = 0,
    blocks: bool = False,
) -> list[Step]:
    """The filter encoding's steps on port ``obj``'s filter for one spec step
    (``kept``: the port's hand-offs not yet collected, PORT-HANDOFF;
    ``blocks``: the send blocked, PORT-SEND-BLOCK, so every check but room
    passed: the filter's verdict is judged with room, its effect pending)."""
    reach = _reaches_offer(s, pid, op)
    if reach is not None and reach[0] == obj:
        room = blocks or len(pt.queue) + kept < pt.capacity
        params = {
            "msg_type": IntVal(reach[1]),
            "size": IntVal(reach[2]),
            "closed": BoolVal(pt.closed),
            "room": BoolVal(room),
        }
        return [("offer", params)]
    if isinstance(op, sc.AdvanceClock):
        return [("advance", {"ticks": IntVal(op.ticks)})]
    if (
        isinstance(op, sc.SetFilter)
        and object_of(s, pid, op.handle, Kind.PORT, MANAGE) == obj
    ):
        types, rate = op.allowed_types, op.rate
        if types is not None and any(not 0 <= t <= MAX_U32 for t in types):
            return []  # the encoding's types are the valid ones (FILTER-SET)
        params = {
            "any_type": BoolVal(types is None),
            "allowed": bool_array(set(types or ())),
            "any_size": BoolVal(op.max_size is None),
            "max_size": IntVal(op.max_size or 0),
            "rated": BoolVal(rate is not None),
            "burst": IntVal(0 if rate is None else rate.burst),
            "refill": IntVal(0 if rate is None else rate.refill),
            "period": IntVal(1 if rate is None else rate.period),
        }
        return [("set_filter", params)]
    return []


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """Every port's filter, and the steps ``op`` maps to on it. A filter set
    on a closed port is the port's business (PortClosed), not compared."""
    out: list[Instance] = []
    for obj, pt in before.objects.items():
        if not isinstance(pt, Port) or obj not in after.objects:
            continue  # a reclaimed port's filter goes with it (CAP-RECLAIM)
        blocks = blocked(op, result, after, pid, int(obj))
        kept = kept_slots(before, obj)
        steps = filter_steps(before, pid, op, int(obj), pt, kept, blocks)
        if steps and steps[0][0] == "set_filter" and pt.closed:
            continue
        offer = bool(steps) and steps[0][0] == "offer"
        steps += _served(before, int(obj), after)
        pre = filter_state(pt, before.clock)
        compare = partial(_compare, after.objects[obj], after.clock)
        admits = _admits if offer else None
        out.append(
            Instance(f"port {obj} filter", pre, steps, compare, True, admits, blocks)
        )
    return out


def _served(before: KernelState, obj: int, after: KernelState) -> list[Step]:
    """The offer of each blocked send to port ``obj`` the step served
    (``faithful.served``: each went through, so it found room)."""
    steps: list[Step] = []
    for _, send in served(before, obj, after):
        assert isinstance(send, sc.Send)
        params = {
            "msg_type": IntVal(send.msg_type),
            "size": IntVal(len(send.data)),
            "closed": BoolVal(False),
            "room": BoolVal(True),
        }
        steps.append(("offer", params))
    return steps


def project(s: KernelState) -> list[tuple[str, State]]:
    """Every port's filter in ``s``, projected."""
    return [
        (f"port {obj} filter", filter_state(pt, s.clock))
        for obj, pt in s.objects.items()
        if isinstance(pt, Port)
    ]


def _admits(pre: State, post: State) -> Term:
    """The offer admitted the message: it counted one more admission."""
    return post["nadm"] != pre["nadm"]


def _compare(pt2: object, clock: int, post: State) -> list[str]:
    """The abstract filter against the spec's (the fields the spec's has)."""
    assert isinstance(pt2, Port)
    want = filter_state(pt2, clock)
    fields = ["clock", "any_type", "any_size", "rated"]
    if pt2.filter is not None and pt2.filter.rate is not None:
        fields += ["burst", "refill", "period", "tokens", "stamp"]
    if pt2.filter is not None and pt2.filter.max_size is not None:
        fields.append("max_size")
    compared: list[Pair] = [(f, post[f], want[f]) for f in fields]
    compared += pairs("allowed", post["allowed"], want["allowed"], [-1, 0, 1, 2, 3])
    return differences(compared)


#: The filter encoding's part of the faithfulness check.
PART = Part("filter", SYSTEM, instances, project)
