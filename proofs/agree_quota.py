"""The quota encoding's side of the faithfulness check (``faithful``).

``quota_state`` projects the whole system into the quota encoding
(``enc_quota``), read from the tables: each process's handles and queued
bytes (the inline data of its messages not yet collected: waiting in port
queues, or handed off to a woken receiver that keeps their slot,
PORT-HANDOFF), the objects, and the configured quotas. A step that would
charge a quota maps to the encoding's ``create``, ``install`` or ``enqueue``,
its amount read from the operation and the tables (a receive's capabilities
still carried by the oldest queued message; a send's data, handed off or
queued).

Every rule checks its quotas last, after every other check
(spec/quotas.py), so the quota encoding decides a step exactly when every
other check passed: when the spec's result is ``Ok`` or ``OutOfMemory``. Then
its guard must hold exactly when the spec succeeded, and a successful step's
charge must equal the spec's on the counts it charged. A step the quota
encoding refuses is, to every other encoding, a failed step: nothing changes
(``agree_explored`` composes them).
"""

from __future__ import annotations

from functools import partial

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import Kind, Port, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Fd, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err
from veridian_ipc.vocabulary.rights import RECEIVE, SEND

from ._smt import IntVal, int_array
from .enc_quota import SYSTEM
from .faithful import (
    Instance,
    Pair,
    Part,
    Step,
    apply,
    differences,
    object_of,
    served,
    task_pid,
)
from .induction import State, System


def quota_state(s: KernelState) -> State:
    """The quota encoding's view of the whole system."""
    queued: dict[int, int] = {}
    for o in s.objects.values():
        if isinstance(o, Port):
            for m in o.queue:
                t = task_pid(s, int(m.sender))
                queued[t] = queued.get(t, 0) + len(m.data)
    for pr in s.processes.values():  # the kept slots of uncollected hand-offs
        st = pr.status
        if isinstance(st, Woken) and st.handed is not None:
            r = st.result
            if isinstance(r, Ok) and isinstance(r.value, Delivered):
                d = r.value
                t = task_pid(s, d.sender)
                queued[t] = queued.get(t, 0) + len(d.data)
    c = s.config
    return {
        "h": int_array(0, {int(p): len(pr.handles) for p, pr in s.processes.items()}),
        "b": int_array(0, queued),
        "nobj": IntVal(len(s.objects)),
        "maxh": IntVal(c.max_handles),
        "maxb": IntVal(c.max_queued_bytes),
        "maxobj": IntVal(c.max_objects),
    }


def _create(
    pid: int, size: int, limit: int, handles: int = 1, size2: int = 0, limit2: int = 0
) -> Step:
    """A create by ``pid``: its sizes and their configured maxima, the
    handles it installs (0 for a socket's descriptor)."""
    return (
        "create",
        {
            "p": IntVal(pid),
            "size": IntVal(size),
            "limit": IntVal(limit),
            "size2": IntVal(size2),
            "limit2": IntVal(limit2),
            "handles": IntVal(handles),
        },
    )


def _install(pid: int, n: int) -> Step:
    """``n`` new handles in ``pid``'s table."""
    return ("install", {"p": IntVal(pid), "n": IntVal(n)})


def _head_caps(s: KernelState, obj: int | None) -> int | None:
    """The capabilities the oldest message queued on port ``obj`` still
    carries (a revoked one is ``None``), or None without one."""
    o = None if obj is None else s.objects.get(ObjId(obj))
    if not isinstance(o, Port) or not o.queue:
        return None
    return sum(1 for c in o.queue[0].caps if c is not None)


def _enqueue(s: KernelState, pid: int, obj: int | None, size: int) -> list[Step]:
    """``size`` bytes sent by ``pid`` to port ``obj`` (queued, or handed to a
    waiting receiver: charged alike)."""
    o = None if obj is None else s.objects.get(ObjId(obj))
    if not isinstance(o, Port):
        return []
    return [("enqueue", {"p": IntVal(pid), "size": IntVal(size)})]


def quota_steps(s: KernelState, pid: int, op: object) -> list[Step]:
    """The quota encoding's steps for one spec step (none: it charges none)."""
    c = s.config
    if isinstance(op, sc.CreatePort):
        return [_create(pid, op.capacity, c.max_port_capacity)]
    if isinstance(op, sc.CreateChannel):
        return [
            _create(
                pid,
                op.capacity,
                c.max_channel_capacity,
                size2=op.max_message,
                limit2=c.max_channel_message,
            )
        ]
    if isinstance(op, sc.CreateBuffer):
        return [_create(pid, op.size, c.max_buffer_size)]
    if isinstance(op, sc.Socket):
        size = c.default_socket_capacity if op.capacity is None else op.capacity
        return [_create(pid, size, c.max_port_capacity, handles=0)]
    if isinstance(op, sc.Derive | sc.Lookup | sc.Connect):
        return [_install(pid, 1)]
    if isinstance(op, sc.Receive):
        n = _head_caps(s, object_of(s, pid, op.handle, Kind.PORT, RECEIVE))
        return [] if n is None else [_install(pid, n)]
    if isinstance(op, sc.Send):
        obj = object_of(s, pid, op.handle, Kind.PORT, SEND)
        return _enqueue(s, pid, obj, len(op.data))
    if isinstance(op, sc.SockRecv | sc.SockSend):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        if entry is None:
            return []
        if isinstance(op, sc.SockRecv):
            n = _head_caps(s, int(s.caps[entry.own].obj))
            return [] if n is None else [_install(pid, n)]
        if entry.peer is not None:
            return _enqueue(s, pid, int(s.caps[entry.peer].obj), len(op.data))
    return []


def out_of_memory(result: object) -> bool:
    """The spec step failed with ``OutOfMemory``."""
    return isinstance(result, Err) and result.error is IpcError.OutOfMemory


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """The whole system, when the quota encoding decides the step (the spec's
    result is ``Ok`` or ``OutOfMemory``: every other check passed). A
    thread's step is charged to its task (PROC-THREAD: the quotas are the
    task's), its table read there too."""
    if not (isinstance(result, Ok) or out_of_memory(result)):
        return []
    pid = task_pid(before, pid)
    steps = [] if result == Ok(BLOCKED) else quota_steps(before, pid, op)
    charged = [pid] * len(steps)
    sends = _served_sends(before, after)
    if sends:  # served once the step freed a slot: its bytes first
        steps += _freed(before, op, result)
    for sender, send in sends:
        steps += _enqueue(
            before, sender, _port_of(before, sender, send), len(send.data)
        )
        charged.append(sender)
    if not steps:
        return []
    charge = steps[0][0]
    if charge == "enqueue" and _abandoned(before, after, pid, op):
        charge = "given back"  # the queue, bytes and all, went at once
    compare = partial(_compare, quota_state(after), charged, charge)
    return [Instance("quotas", quota_state(before), steps, compare)]


def _abandoned(before: KernelState, after: KernelState, pid: int, op: object) -> bool:
    """The send left the port it queued on closed and empty (it carried the
    port's last RECEIVE: PORT-CLOSE, spec/orphans.py)."""
    if not isinstance(op, sc.Send):
        return False
    obj = object_of(before, pid, op.handle, Kind.PORT, SEND)
    o = None if obj is None else after.objects.get(ObjId(obj))
    return not isinstance(o, Port) or (o.closed and not o.queue)


def refuses(
    before: KernelState,
    pid: int,
    op: object,
    after: KernelState,
    result: object,
    system: System | None = None,
) -> bool:
    """The spec says ``OutOfMemory`` and the quota encoding (or ``system``)
    refuses the step too: to every other encoding it is a failed step."""
    if not out_of_memory(result):
        return False
    found = instances(before, pid, op, after, result)
    system = SYSTEM if system is None else system
    return bool(found) and not any(apply(system, i.pre, i.steps)[0] for i in found)


def project(s: KernelState) -> list[tuple[str, State]]:
    """The whole system, projected."""
    return [("quotas", quota_state(s))]


#: The counts each charge is compared on: what it charged.
_CHARGED: dict[str, tuple[str, ...]] = {
    "create": ("nobj", "h"),
    "install": ("h",),
    "enqueue": ("b",),
    "given back": (),
    "release": (),
}


def _compare(want: State, pids: list[int], charge: str, post: State) -> list[str]:
    """The charged counts of the abstract post-state against the spec's (of
    the issuer's task, and of each served blocked sender's)."""
    compared: list[Pair] = []
    for f in _CHARGED[charge]:
        if f == "nobj":
            compared.append((f, post[f], want[f]))
            continue
        compared += [(f"{f}[{p}]", post[f][p], want[f][p]) for p in dict.fromkeys(pids)]
    compared += [(f"b[{p}]", post["b"][p], want["b"][p]) for p in set(pids[1:])]
    return differences(compared)


def _served_sends(before: KernelState, after: KernelState) -> list[tuple[int, sc.Send]]:
    """The blocked port sends the step served (``agree_ports.served``), each
    charged to its sender's task (PORT-SEND-BLOCK: nothing is charged while
    a send waits, its bytes when it is queued or handed off)."""
    out: list[tuple[int, sc.Send]] = []
    for obj, o in sorted(before.objects.items()):
        if isinstance(o, Port) and o.senders:
            for sender, send in served(before, int(obj), after):
                assert isinstance(send, sc.Send)
                out.append((task_pid(before, sender), send))
    return out


def _freed(before: KernelState, op: object, result: object) -> list[Step]:
    """The ``release`` of the bytes a step's delivery stopped counting (a
    receive's message, a resumed receiver's collected hand-off: PORT-HANDOFF
    keeps its bytes until then), charged to its sender's task; none for a
    step that delivered nothing."""
    if not isinstance(op, sc.Receive | sc.SockRecv | sc.Resume):
        return []
    d = result.value if isinstance(result, Ok) else None
    if not isinstance(d, Delivered):
        return []
    params = {"dh": IntVal(0), "db": IntVal(len(d.data)), "dobj": IntVal(0)}
    return [("release", {"p": IntVal(task_pid(before, d.sender)), **params})]


def _port_of(s: KernelState, task: int, send: sc.Send) -> int | None:
    """The port a blocked send goes to, through its task's table."""
    return object_of(s, task, send.handle, Kind.PORT, SEND)


#: The quota encoding's part of the faithfulness check.
PART = Part("quota", SYSTEM, instances, project)
