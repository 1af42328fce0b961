"""Properties the rules claim, stated over one transition of the real spec.

A *transition* is ``(pre, pid, op, result, post)`` with ``(post, result) =
step(pre, pid, op)``. Each property here is a predicate over a transition,
with an ID, its prose and the rule IDs whose claim it states; the explicit
state search (``explore``) checks every property on every transition it takes,
next to the invariants of ``spec.invariants`` on every state it reaches.

The properties read the states only: they never call the spec's helper
functions (``descendants``, ``refill``, ``resolve`` ...), so a seeded bug in
one of those cannot hide itself from the check that should catch it. The only
spec code they run is ``step`` itself (determinism) and the documented error
order of each rule (``RULES[rule].errors``, the docstrings).
"""

from __future__ import annotations

from collections.abc import Iterator

from veridian_ipc.spec import RuleId, quotas, step
from veridian_ipc.spec.state import AtHandle, InBinding, InFlight, Waiting, Woken
from veridian_ipc.spec.tasks import table_of, task_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Fd, ObjId
from veridian_ipc.vocabulary.results import Delivered, Err, Ok
from veridian_ipc.vocabulary.rights import GRANT, READ, SEND, WRITE, required_rights

from .step_properties_base import (
    Check,
    StepProperty,
    Transition,
    cap_behind,
    ok,
    subtree,
)
from .step_properties_blocking import send_blocks, senders_fifo, wait_ends
from .step_properties_delivery import (
    deadline_wakeup,
    drain_after_close,
    fifo,
    filter_rate,
    hand_off_first,
    messages_conserved,
    precedence,
)
from .step_properties_names import namespace_authority, published_rights
from .step_properties_threads import (
    kill_ends_every_thread,
    one_table_per_task,
    siblings_run_on,
)

# -- the properties ----------------------------------------------------------------


def failed_atomic(t: Transition) -> str | None:
    if (
        isinstance(t.result, Err)
        and not isinstance(t.op, sc.Resume)
        and t.post != t.pre
    ):
        return f"failed with {t.result.error.name} but changed the state"
    return None


def deterministic(t: Transition) -> str | None:
    post, result = step(t.pre, t.pid, t.op)
    if result != t.result or post != t.post:
        return f"a second step gave {result} (first {t.result}) or another state"
    return None


def no_right_gained(t: Transition) -> str | None:
    for cid, cap in t.post.caps.items():
        old = t.pre.caps.get(cid)
        if old is not None and (old.rights != cap.rights or old.obj != cap.obj):
            return f"capability {cid} changed rights {old.rights} -> {cap.rights}"
        if cap.parent is not None and cap.parent in t.post.caps:
            parent = t.post.caps[cap.parent]
            if cap.rights & ~parent.rights:
                return f"capability {cid} holds rights its parent {cap.parent} lacks"
    return None


def reclaimed(t: Transition) -> str | None:
    """CAP-RECLAIM, from the post-state alone: every object is reachable (a
    capability to it held in a table, a socket or a binding, or carried on a
    reachable port), and no capability names an object that is gone."""
    post = t.post
    carried: dict[ObjId, list[ObjId]] = {}
    alive: set[ObjId] = set()
    for cid, c in post.caps.items():
        if c.obj not in post.objects:
            return f"capability {cid} names object {c.obj}, which is gone"
        if isinstance(c.at, InFlight):
            carried.setdefault(c.at.port, []).append(c.obj)
        else:
            alive.add(c.obj)
    todo = list(alive)
    while todo:
        for obj in carried.get(todo.pop(), ()):
            if obj not in alive:
                alive.add(obj)
                todo.append(obj)
    kept = sorted(set(post.objects) - alive)
    if kept:
        return f"objects {kept} are unreachable but kept"
    return None


_CREATES = (sc.CreatePort, sc.CreateChannel, sc.CreateBuffer, sc.Socket)


def _given_back(t: Transition, at: object) -> bool:
    """``at`` is a handle that an uncollected hand-off installed for the
    process a ``Kill`` ends: PORT-HANDOFF gives the message, capabilities and
    all, back to its port, where the next waiter takes it."""
    if not isinstance(at, AtHandle) or at.pid != getattr(t.op, "target", None):
        return False
    status = t.pre.processes[at.pid].status
    return (
        isinstance(status, Woken)
        and status.handed is not None
        and isinstance(status.result, Ok)
        and isinstance(status.result.value, Delivered)
        and at.handle in status.result.value.caps
    )


def confinement(t: Transition) -> str | None:
    """A process gains a capability only through create, derive, lookup or a
    GRANT-checked transfer."""
    pre, post, op = t.pre, t.post, t.op
    for cid, cap in post.caps.items():
        if not isinstance(cap.at, AtHandle):
            continue
        old = pre.caps.get(cid)
        if old is not None and old.at == cap.at:
            continue
        holder = cap.at.pid
        if old is not None:  # an existing capability moved to ``holder``
            if isinstance(old.at, InFlight):
                continue  # delivered from a message (GRANT checked when sent)
            if (
                isinstance(op, sc.Send | sc.TransferBuffer)
                and isinstance(old.at, AtHandle)
                and old.at.pid == task_of(pre, t.pid)
                and old.rights & GRANT
            ):
                continue  # handed off to a waiting receiver
            if isinstance(op, sc.Kill) and _given_back(t, old.at):
                continue  # a killed receiver's hand-off, to the next waiter
            return f"capability {cid} moved {old.at} -> {cap.at} without a transfer"
        # a new capability
        if cap.parent is None:
            if isinstance(op, _CREATES) and cap.obj not in pre.objects:
                continue
            return f"new root capability {cid} for {holder} from {type(op).__name__}"
        parent = pre.caps.get(cap.parent)
        if parent is None:
            return f"new capability {cid} derived from a capability that did not exist"
        if isinstance(op, sc.Derive):
            found = cap_behind(pre, t.pid, op.handle)
            if found is None or found[0] != cap.parent:
                return f"Derive gave capability {cid} the parent {cap.parent}"
            continue
        if isinstance(op, sc.Lookup | sc.Connect) and isinstance(parent.at, InBinding):
            continue
        how = type(op).__name__
        return f"capability {cid} of {holder} derived from {cap.parent} by {how}"
    if isinstance(op, sc.Derive) and ok(t):
        found = cap_behind(pre, t.pid, op.handle)
        assert isinstance(t.result, Ok)
        made = cap_behind(post, t.pid, t.result.value)  # type: ignore[arg-type]
        if found is None or made is None or made[1].parent != found[0]:
            return "Derive's new capability is not a child of the handle's"
    return None


def rights_needed(t: Transition) -> str | None:
    """A successful operation held the right RIGHTS-REQUIRED names."""
    if not ok(t):
        return None
    op, pre = t.op, t.pre
    need = required_rights().get(type(op).__name__)
    handle = getattr(op, "handle", None)
    if need is not None and isinstance(handle, int):
        found = cap_behind(pre, t.pid, handle)
        if found is None or found[1].rights & need != need:
            return f"{type(op).__name__} succeeded without right {need}"
    if isinstance(op, sc.TransferBuffer):
        found = cap_behind(pre, t.pid, op.port)
        if found is None or not found[1].rights & SEND:
            return "TransferBuffer succeeded without SEND on the port"
    if isinstance(op, sc.Send):
        for h in op.caps:
            found = cap_behind(pre, t.pid, h)
            if found is None or not found[1].rights & GRANT:
                return f"Send moved handle {h} without GRANT"
    if isinstance(op, sc.MapBuffer):
        need = READ | WRITE if op.writable else READ
        found = cap_behind(pre, t.pid, op.handle)
        if found is None or found[1].rights & need != need:
            return "MapBuffer succeeded without READ (and WRITE)"
    return None


def revocation_complete(t: Transition) -> str | None:
    """Revoke (and a socket's close) destroys every descendant, wherever held."""
    op, pre, post = t.op, t.pre, t.post
    if not ok(t):
        return None
    if isinstance(op, sc.Revoke):
        found = cap_behind(pre, t.pid, op.handle)
        if found is None:
            return "Revoke succeeded on a handle that names nothing"
        doomed = subtree(pre, found[0])
        left = sorted(c for c in doomed if c in post.caps)
        if left:
            where = [str(post.caps[c].at) for c in left]
            return f"Revoke left descendants {left} (held at {where})"
        if t.result != Ok(len(doomed)):
            return f"Revoke reported {t.result}, destroyed {len(doomed)}"
    if isinstance(op, sc.SockClose):
        entry = table_of(pre, t.pid).fds[Fd(op.fd)]
        doomed = subtree(pre, entry.own) | {entry.own}
        left = sorted(c for c in doomed if c in post.caps)
        if left:
            return f"SockClose left capabilities {left} derived from its port"
    for pid, p in post.processes.items():
        if isinstance(p.status, Waiting) and p.status.cap not in post.caps:
            return f"process {pid} waits through a destroyed capability"
    return None


def transfer_keeps_others(t: Transition) -> str | None:
    """BUF-TRANSFER: only the owner's root capability moves; every other
    capability to the buffer and every mapping not made through the root stays."""
    op, pre, post = t.op, t.pre, t.post
    if not isinstance(op, sc.TransferBuffer) or not ok(t):
        return None
    found = cap_behind(pre, t.pid, op.handle)
    if found is None:
        return "TransferBuffer succeeded on a handle that names nothing"
    root, cap = found
    if cap.parent is not None:
        return f"TransferBuffer moved capability {root}, which is not the owner's"
    moved = post.caps.get(root)
    if moved is None or moved.at == cap.at:
        return f"TransferBuffer did not move the owner's capability {root}"
    for cid, other in pre.caps.items():
        if cid == root or other.obj != cap.obj:
            continue
        after = post.caps.get(cid)
        if after is None or after.at != other.at or after.rights != other.rights:
            return f"TransferBuffer took capability {cid} from {other.at}"
    for pid, p in pre.processes.items():
        for mid, m in p.mappings.items():
            if m.cap != root and post.processes[pid].mappings.get(mid) != m:
                return f"TransferBuffer ended mapping {mid} of process {pid}"
    return None


def quotas_kept(t: Transition) -> str | None:
    """No step takes a handle table, the objects or a process's queued bytes
    over its quota (spec/quotas.py): exhaustion is refused, never exceeded."""
    post, c = t.post, t.post.config
    if len(post.objects) > c.max_objects:
        return f"{len(post.objects)} objects, over max_objects {c.max_objects}"
    for pid, p in post.processes.items():
        if len(p.handles) > c.max_handles:
            return f"process {pid} holds {len(p.handles)} handles, over max_handles"
        if quotas.queued_bytes(post, pid) > c.max_queued_bytes:
            return f"process {pid} has more than max_queued_bytes queued"
    return None


def _p(id: str, prose: str, rules: tuple[RuleId, ...], check: Check) -> StepProperty:
    return StepProperty(id, prose, rules, check)


R = RuleId
PROPERTIES: tuple[StepProperty, ...] = (
    _p(
        "STEP-ATOMIC",
        "every failed step leaves the state unchanged",
        (R.ERR_ATOMIC,),
        failed_atomic,
    ),
    _p(
        "STEP-DETERMINISTIC",
        "step twice gives equal results",
        (R.ERR_TOTAL,),
        deterministic,
    ),
    _p(
        "STEP-NO-RIGHT-GAINED",
        "no capability gains a right; children within parents",
        (R.RIGHTS_DERIVE, R.RIGHTS_BITS),
        no_right_gained,
    ),
    _p(
        "STEP-CONFINEMENT",
        "a capability is gained only by create, derive, lookup or a GRANT-checked"
        " transfer",
        (R.CAP_HANDLE, R.RIGHTS_DERIVE, R.MSG_TRANSFER, R.NS_LOOKUP),
        confinement,
    ),
    _p(
        "STEP-RIGHTS-NEEDED",
        "each operation held the right it needs",
        (R.RIGHTS_REQUIRED, R.MSG_TRANSFER, R.BUF_MAP),
        rights_needed,
    ),
    _p(
        "STEP-REVOKE-COMPLETE",
        "revoke destroys every descendant wherever held",
        (R.RIGHTS_REVOKE, R.MSG_INFLIGHT_REVOKE, R.POSIX_CLOSE),
        revocation_complete,
    ),
    _p(
        "STEP-RECLAIM",
        "every object left is reachable; none is named after it is gone",
        (R.CAP_RECLAIM, R.CAP_DROP, R.PROC_KILL),
        reclaimed,
    ),
    _p(
        "STEP-TRANSFER-KEEPS-OTHERS",
        "a transfer moves only the owner's root capability; every other"
        " capability and mapping of the buffer stays",
        (R.BUF_TRANSFER, R.BUF_MAP),
        transfer_keeps_others,
    ),
    _p(
        "STEP-QUOTAS-KEPT",
        "no step takes handles, objects or queued bytes over their quotas",
        (R.ERR_ENUM, R.ERR_ATOMIC),
        quotas_kept,
    ),
    _p(
        "STEP-MESSAGES-CONSERVED",
        "no message lost or duplicated by any step",
        (R.PORT_SEND, R.PORT_RECEIVE, R.PORT_CLOSE, R.PROC_KILL, R.CHAN_SEND),
        messages_conserved,
    ),
    _p(
        "STEP-FIFO",
        "ports and channels deliver in the order sent",
        (R.PORT_RECEIVE, R.CHAN_RECEIVE, R.POSIX_RECV),
        fifo,
    ),
    _p(
        "STEP-HANDOFF-FIRST",
        "a send hands off to the first waiter",
        (R.PORT_HANDOFF,),
        hand_off_first,
    ),
    _p(
        "STEP-DRAIN-AFTER-CLOSE",
        "close keeps the queue; receivers drain it first",
        (R.PORT_CLOSE,),
        drain_after_close,
    ),
    _p(
        "STEP-DEADLINE",
        "a blocked receive ends at its deadline, never before",
        (R.TIME_DEADLINE, R.PORT_RECEIVE),
        deadline_wakeup,
    ),
    _p(
        "STEP-PRECEDENCE",
        "the first documented error that applies is the one reported",
        (R.ERR_PRECEDENCE,),
        precedence,
    ),
    _p(
        "STEP-NS-PUBLISHED",
        "a binding holds the rights published; a lookup gets exactly those",
        (R.NS_BIND, R.NS_LOOKUP, R.NS_CONNECT),
        published_rights,
    ),
    _p(
        "STEP-NS-AUTHORITY",
        "only a process with may_bind binds, with may_lookup looks up",
        (R.NS_BIND, R.NS_LOOKUP, R.POSIX_BIND, R.POSIX_CONNECT),
        namespace_authority,
    ),
    _p(
        "STEP-SEND-BLOCKS",
        "a send blocks only on a full open object, with its deadline, queuing nothing",
        (R.PORT_SEND_BLOCK, R.CHAN_SEND_BLOCK),
        send_blocks,
    ),
    _p(
        "STEP-SENDERS-FIFO",
        "blocked senders proceed in the order they blocked",
        (R.PORT_SEND_BLOCK, R.CHAN_SEND_BLOCK),
        senders_fifo,
    ),
    _p(
        "STEP-SEND-WAIT-ENDS",
        "a blocked send ends by room, deadline, close, revoke or kill, each"
        " with its result",
        (R.PORT_SEND_BLOCK, R.CHAN_SEND_BLOCK, R.TIME_DEADLINE),
        wait_ends,
    ),
    _p(
        "STEP-RATE",
        "a rate-limited port admits a message only with a token",
        (R.FILTER_RATE,),
        filter_rate,
    ),
    _p(
        "STEP-THREADS-RUN-ON",
        "a thread's step never blocks or resumes a sibling of its task",
        (R.PROC_THREAD, R.PROC_STATUS),
        siblings_run_on,
    ),
    _p(
        "STEP-THREADS-ONE-TABLE",
        "every thread reads its task's tables; every thread's task is alive",
        (R.PROC_THREAD,),
        one_table_per_task,
    ),
    _p(
        "STEP-KILL-ALL-THREADS",
        "a kill ends every thread of the target's task and no other",
        (R.PROC_KILL, R.PROC_THREAD),
        kill_ends_every_thread,
    ),
)


def failures(t: Transition) -> Iterator[tuple[StepProperty, str]]:
    """The properties ``t`` violates, with what is wrong."""
    for prop in PROPERTIES:
        msg = prop.check(t)
        if msg is not None:
            yield prop, msg


__all__ = [
    "PROPERTIES",
    "Check",
    "StepProperty",
    "Transition",
    "failures",
]
