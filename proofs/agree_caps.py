"""The capability encoding's side of the faithfulness check (``faithful``).

``cap_state`` (``agree_caps_project``) projects a spec state into the
capability encoding (``enc_caps``); ``compare`` (``agree_caps_compare``)
compares an abstract post-state with the spec's. ``cap_steps``
maps a spec step to the encoding's transitions: a send carrying ``k``
capabilities is ``k`` moves, a hand-off is a send then a delivery, a kill or a
socket close is one ``destroy_any`` per capability it destroys; so is a close
for each binding of its port, and the abandoning of a port nobody can receive
from (spec/orphans.py) for each binding and carried capability; each object
the step reclaimed is then one ``reclaim`` (spec/reclaim.py). Nothing is
computed with the spec's own helpers (the check would then agree with any
drift of them): conditions the encoding leaves to another encoding
(``port_ok``, ``name_ok``) and the ports a step abandons come from the
encodings' own terms and the tables (``agree_caps_reads``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import (
    Kind,
    Port,
    QueuedMessage,
    Waiting,
    Woken,
)
from veridian_ipc.spec.step import MAY_ORPHAN
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import MAX_U32, CapId, Fd, Handle, ObjId, Pid
from veridian_ipc.vocabulary.results import BLOCKED, Delivered

from ._smt import (
    BoolVal,
    IntVal,
    Term,
    rights_val,
    truth,
)
from .agree_caps_compare import compare
from .agree_caps_invariant import CapsPart
from .agree_caps_project import NAME_IDS, cap_state
from .agree_caps_reads import abandoned, held, port_ok, valid_name
from .agree_quota import quota_state
from .enc_caps import SYSTEM
from .enc_quota import handles_fit
from .faithful import (
    Instance,
    Step,
    apply,
    served,
    succeeded,
    task_pid,
    threads,
)
from .induction import State


def _i(x: int) -> Term:
    return IntVal(x)


def _name_id(name: str) -> int:
    return NAME_IDS.get(name, 0)


def _may(s: KernelState, pid: int, authority: str) -> bool:
    """The caller holds namespace authority ``authority`` (NS-BIND's
    ``may_bind``, NS-LOOKUP's ``may_lookup``): the encoding folds it into the
    step's argument flag."""
    p = s.processes.get(Pid(pid))
    return p is not None and bool(getattr(p, authority))


def _own_cap(s: KernelState, pid: int, fd: int) -> int:
    p = s.processes[Pid(pid)]
    entry = p.fds.get(Fd(fd))
    return 0 if entry is None else int(entry.own)


def _caps_of(msg: QueuedMessage) -> list[int]:
    return [int(c) for c in msg.caps if c is not None]


def _deliveries(q: int, caps: list[int]) -> list[Step]:
    return [("deliver", {"q": _i(q), "c0": _i(c)}) for c in caps]


def _destroy_socket(
    s: KernelState, pid: int, fd: int, gone: set[int] | None = None
) -> list[Step]:
    """POSIX-CLOSE: a revoke through the socket's own capability, then each
    capability its queue carries, its peer capability and its own destroyed;
    one already gone (a descendant of the own capability: the revoke took it,
    as a socket connected to its own name; or, with ``gone``, destroyed by
    an earlier step of the same kill) is not destroyed twice."""
    gone = set() if gone is None else gone
    entry = s.processes[Pid(pid)].fds[Fd(fd)]
    own = int(entry.own)
    steps: list[Step] = [("revoke_any", {"c": _i(own)})]
    gone |= {int(c) for c in s.caps if _descends(s, int(c), own)}
    o = s.objects[s.caps[entry.own].obj]
    assert isinstance(o, Port)
    doomed = [c for m in o.queue for c in _caps_of(m)]
    if entry.peer is not None:
        doomed.append(int(entry.peer))
    for c in [*doomed, own]:
        if c not in gone:
            steps.append(("destroy_any", {"c": _i(c)}))
            gone.add(c)
    return steps


def _descends(s: KernelState, c: int, root: int) -> bool:
    """Capability ``c`` is a strict descendant of ``root`` (parent links)."""
    cap = s.caps.get(CapId(c))
    while cap is not None and cap.parent is not None:
        if int(cap.parent) == root:
            return True
        cap = s.caps.get(cap.parent)
    return False


def _handoff_target(
    s: KernelState, obj: int, n: int, moved: Sequence[int] = ()
) -> int | None:
    """The waiter of port ``obj`` a message carrying ``n`` capabilities is
    handed to (PORT-HANDOFF): the first whose table has room for them, by
    the quota encoding's own ``handles_fit`` on the projected quotas; each
    waiter before it is woken with ``OutOfMemory`` and receives nothing
    (spec/quotas.py); with none left the message is queued (None). A waiter
    whose receive waits through one of the ``moved`` capabilities is not a
    candidate: the capability left its task's table, which ended that wait
    (MSG-TRANSFER; a sibling thread sent it, PROC-THREAD)."""
    o = s.objects.get(ObjId(obj))
    if not isinstance(o, Port):
        return None
    left = set(moved)
    still = [int(w) for w in o.waiters if _waits_through(s, int(w)) not in left]
    return _first_with_room(s, still, n)


def _waits_through(s: KernelState, pid: int) -> int | None:
    """The capability thread ``pid`` waits in a receive through, if it does."""
    st = s.processes[Pid(pid)].status
    return int(st.cap) if isinstance(st, Waiting) else None


def _first_with_room(s: KernelState, waiters: list[int], n: int) -> int | None:
    """The first of ``waiters`` whose task's table has room for ``n`` more
    handles, by the quota encoding's ``handles_fit``."""
    quotas = _quotas(s)
    for w in waiters:
        if truth(handles_fit(quotas, _i(task_pid(s, w)), _i(n))):
            return w
    return None


@lru_cache(maxsize=1024)
def _quotas(s: KernelState) -> State:
    """The quota encoding's view of ``s`` (``agree_quota.quota_state``)."""
    return quota_state(s)


def _send_steps(
    s: KernelState,
    pid: int,
    op: sc.Send,
    ok: bool,
    blocks: bool = False,
    served: bool = False,
) -> list[Step]:
    """A send by task ``pid``: one ``send`` per carried capability, then the
    hand-off's delivery to the first waiter that can take it. ``blocks``: the
    send blocked (PORT-SEND-BLOCK), its port side is the port encoding's
    ``block`` guard and nothing is delivered. ``served``: a blocked send that
    went through once room freed; its port side is the port encoding's to
    judge (it does, on the port's own served offer), so it is taken as
    passed here."""
    found = held(s, pid, op.handle, Kind.PORT)
    size, ncaps = len(op.data), len(op.caps)
    port_side = found is not None and (
        served
        or port_ok(s, int(found[1].obj), op.msg_type, op.flags, size, ncaps, blocks)
    )
    # the encoding reads a carried handle 0 as an absent slot; the spec's
    # handle 0 is one never issued, so it stands as -1 (no table has it)
    carried = [h if h != 0 else -1 for h in op.caps] or [0]
    steps: list[Step] = [
        (
            "send",
            {
                "p": _i(pid),
                "hp": _i(op.handle),
                "h0": _i(h),
                "port_ok": BoolVal(port_side),
            },
        )
        for h in carried
    ]
    if ok and not blocks and found is not None:
        moved = _moved(s, pid, op.caps)
        target = _handoff_target(s, found[1].obj, len(moved), moved)
        if target is not None:
            steps += _deliveries(task_pid(s, target), moved)
    return steps


def _served_steps(before: KernelState, after: KernelState) -> list[Step]:
    """The blocked port sends the step served, port by port in id order and
    FIFO on each (``faithful.served``), each an ordinary send of its
    sender's task (PORT-SEND-BLOCK: its capabilities move only now)."""
    steps: list[Step] = []
    for obj, o in sorted(before.objects.items()):
        if isinstance(o, Port) and o.senders:
            for sender, send in served(before, int(obj), after):
                assert isinstance(send, sc.Send)
                task = task_pid(before, sender)
                steps += _send_steps(before, task, send, True, served=True)
    return steps


def cap_steps(
    s: KernelState, pid: int, op: object, result: object
) -> list[Step] | None:
    """The capability encoding's steps for one spec step (None: not mapped)."""
    ok = succeeded(result)
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
        return _send_steps(s, pid, op, ok, blocks=result == Ok(BLOCKED))
    if isinstance(op, sc.Receive):
        if ok and isinstance(result, Ok) and isinstance(result.value, Delivered):
            found = held(s, pid, op.handle, Kind.PORT)
            assert found is not None
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
        found = held(s, pid, op.handle, Kind.PORT)
        closed = found is not None and _port(s, found[1].obj).closed
        if not 0 <= op.rights < 64:
            return None  # outside the 6-bit domain of the encoding (ERR-TOTAL)
        name_ok = (
            _may(s, pid, "may_bind")
            and valid_name(s, op.name)
            and 0 <= op.service_type <= MAX_U32
            and not closed
        )
        n = _name_id(op.name)
        args = {"p": P, "h": _i(op.handle), "n": _i(n), "r": rights_val(op.rights)}
        return [("bind", {**args, "name_ok": BoolVal(name_ok)})]
    if isinstance(op, sc.Unbind):
        n = _name_id(op.name)
        return [("unbind", {"p": P, "h": _i(op.handle), "n": _i(n)})]
    if isinstance(op, sc.Lookup | sc.Connect):
        n = _name_id(op.name) if valid_name(s, op.name) else 0
        type_ok = _may(s, pid, "may_lookup")
        if isinstance(op, sc.Connect):
            b = s.namespace.get(op.name)
            type_ok = (
                type_ok
                and 0 <= op.service_type <= MAX_U32
                and (b is None or b.service_type == op.service_type)
            )
        return [("lookup", {"p": P, "n": _i(n), "type_ok": BoolVal(type_ok)})]
    if isinstance(op, sc.MapBuffer):
        return [("map", {"p": P, "h": _i(op.handle), "writable": BoolVal(op.writable)})]
    if isinstance(op, sc.Unmap):
        return [("unmap", {"p": P, "m": _i(op.mapping)})]
    if isinstance(op, sc.TransferBuffer):
        found = held(s, pid, op.port, Kind.PORT)
        port_side = found is not None and port_ok(
            s, int(found[1].obj), op.msg_type, 0, 0, 1
        )
        steps = [
            (
                "transfer",
                {
                    "p": P,
                    "hb": _i(op.handle),
                    "hp": _i(op.port),
                    "port_ok": BoolVal(port_side),
                },
            )
        ]
        if ok and found is not None:
            root = s.processes[Pid(pid)].handles[Handle(op.handle)]
            target = _handoff_target(s, found[1].obj, 1, [int(root)])
            if target is not None:
                steps += _deliveries(task_pid(s, target), [int(root)])
        return steps
    if isinstance(op, sc.Socket):
        return [("socket", {"args_ok": BoolVal(ok)})]
    if isinstance(op, sc.SockBind):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        name_ok = (
            _may(s, pid, "may_bind")
            and entry is not None
            and entry.name is None
            and valid_name(s, op.name)
        )
        c = _own_cap(s, pid, op.fd)
        n = _name_id(op.name)
        return [("sock_bind", {"c": _i(c), "n": _i(n), "name_ok": BoolVal(name_ok)})]
    if isinstance(op, sc.SockConnect):
        entry = s.processes[Pid(pid)].fds.get(Fd(op.fd))
        args_ok = (
            _may(s, pid, "may_lookup") and entry is not None and entry.peer is None
        )
        n = _name_id(op.name) if valid_name(s, op.name) else 0
        return [("sock_connect", {"n": _i(n), "args_ok": BoolVal(args_ok)})]
    if isinstance(op, sc.SockClose):
        if not ok:
            return []
        return _destroy_socket(s, pid, op.fd)
    if isinstance(op, sc.Kill):
        if not ok:
            return []
        victim = s.processes[Pid(op.target)]  # the task (``instances``)
        gone, back = _give_backs(s, op.target)
        done = {c for cs in back.values() for c in cs}
        for fd in list(victim.fds):
            gone += _destroy_socket(s, op.target, int(fd), done)
        gone += [
            ("destroy_any", {"c": _i(int(c))})
            for c in victim.handles.values()
            if int(c) not in done
        ]
        return gone
    return []  # the operation moves no capability


def _give_backs(s: KernelState, task: int) -> tuple[list[Step], dict[int, list[int]]]:
    """PROC-KILL's give-backs (PORT-HANDOFF): each thread of ``task`` woken by
    a hand-off it never collected, from the highest pid down, gives the
    capabilities the delivery installed (those its table still holds) back
    in flight (``take_back``), and the message goes to the port's next
    waiter with room (a ``deliver``), the task's own threads having left the
    waiter queues first; a port already reclaimed keeps nothing (the
    capabilities die with the table). Returns the steps and the capabilities
    that left the table, by the port they went back to."""
    dying = set(threads(s, task))
    table = s.processes[Pid(task)].handles
    waiting: dict[int, list[int]] = {}
    steps: list[Step] = []
    moved: dict[int, list[int]] = {}
    for thread in sorted(dying, reverse=True):
        st = s.processes[Pid(thread)].status
        if not isinstance(st, Woken) or st.handed is None:
            continue
        if st.handed not in s.objects or not isinstance(st.result, Ok):
            continue
        d = st.result.value
        assert isinstance(d, Delivered)
        back = [h for h in d.caps if h is not None and Handle(h) in table]
        steps += [("take_back", {"q": _i(task), "h0": _i(h)}) for h in back]
        caps = [int(table[Handle(h)]) for h in back]
        obj = int(st.handed)
        moved.setdefault(obj, []).extend(caps)
        if obj not in waiting:
            pt = _port(s, st.handed)
            waiting[obj] = [int(w) for w in pt.waiters if int(w) not in dying]
        target = _first_with_room(s, waiting[obj], len(caps))
        if target is not None:
            waiting[obj] = waiting[obj][waiting[obj].index(target) + 1 :]
            steps += _deliveries(task_pid(s, target), caps)
    return steps, moved


def _port(s: KernelState, obj: ObjId) -> Port:
    o = s.objects[obj]
    assert isinstance(o, Port)
    return o


def _unbind_port(s: KernelState, obj: ObjId) -> list[Step]:
    """NS-BIND: closing port ``obj`` destroys each of its bindings' capability."""
    return [
        ("destroy_any", {"c": _i(int(b.cap))})
        for _, b in sorted(s.namespace.items())
        if s.caps[b.cap].obj == obj
    ]


def close_steps(
    s: KernelState, pid: int, op: object, result: object, done: list[Step]
) -> list[Step]:
    """What a successful step destroys by closing ports: an explicit close its
    port's bindings (PORT-CLOSE); an operation that may leave ports
    unreceivable (``MAY_ORPHAN``) the bindings and carried capabilities of
    each port it did, found on the encoding's state after the operation's own
    transitions ``done`` (``agree_caps_reads.abandoned``)."""
    if not succeeded(result):
        return []
    if isinstance(op, sc.Close):
        found = held(s, pid, op.handle, Kind.PORT)
        return [] if found is None else _unbind_port(s, found[1].obj)
    if type(op) not in MAY_ORPHAN:
        return []
    _, mid = apply(SYSTEM, cap_state(s), done)
    moved = _moved(s, pid, op.caps) if isinstance(op, sc.Send) else []
    back = _give_backs(s, op.target)[1] if isinstance(op, sc.Kill) else {}
    steps: list[Step] = []
    for obj, carried in abandoned(s, pid, op, mid, moved, back):
        steps += [
            ("destroy_any", {"c": _i(int(b.cap))})
            for _, b in sorted(s.namespace.items())
            if s.caps[b.cap].obj == obj and truth(mid["live"][int(b.cap)])
        ]
        steps += [("destroy_any", {"c": _i(c)}) for c in carried]
    return steps


def reclaim_steps(
    before: KernelState, after: KernelState, result: object
) -> list[Step]:
    """CAP-RECLAIM: one ``reclaim`` for each object the step destroyed (in the
    pre-state's object table, not in the post-state's), after the rule's own
    effects and the abandoning of ports, as the spec orders them."""
    if not succeeded(result):
        return []
    return [
        ("reclaim", {"o": _i(int(o))})
        for o in sorted(before.objects)
        if o not in after.objects
    ]


def _moved(s: KernelState, pid: int, handles: tuple[int, ...]) -> list[int]:
    """The capabilities a send carries, read from the sender's table."""
    out: list[int] = []
    for h in handles:
        found = held(s, pid, h)
        if found is not None:
            out.append(found[0])
    return out


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """The whole capability system, and the steps ``op`` maps to: a thread's
    step as its task's (PROC-THREAD: the encoding keeps one table per task),
    a kill of any thread as the kill of its task (PROC-KILL)."""
    pid = task_pid(before, pid)
    if isinstance(op, sc.Kill):
        op = replace(op, target=task_pid(before, op.target))
    steps = cap_steps(before, pid, op, result)
    if steps is None:
        return []
    blocks = isinstance(op, sc.Send) and result == Ok(BLOCKED)
    steps += _served_steps(before, after)
    steps += close_steps(before, pid, op, result, steps)
    steps += reclaim_steps(before, after, result)
    return [
        Instance(
            "",
            cap_state(before),
            steps,
            lambda post: compare(post, before, after),
            pending=blocks,
        )
    ]


#: The capability encoding's part of the faithfulness check.
PART = CapsPart("caps", SYSTEM, instances, lambda s: [("", cap_state(s))])
