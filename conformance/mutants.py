"""Mutants: deliberately wrong targets that the suite must tell from the spec.

Each mutant is a small subclass of ``SpecTarget`` that perturbs exactly one rule
(named in ``rules``) in a way a real implementation could get wrong: a rights
leak on derive, a revoke that misses grandchildren, a reordered queue, an
off-by-one capacity, a capability leaked by a failed send, a filter that
admits one message too many, ownership kept after a transfer, the wrong error
precedence, the wrong fd numbering, a reused handle... The perturbations work
on the spec's own state with the spec's bookkeeping helpers, so mutants do not
depend on any implementation. ``run_campaign`` runs the suite against each
and reports the kill rate and how fast each was killed.

A mutant whose difference no sequence of operations can show is *equivalent*
and is flagged as such (``equivalent = True``); none is, today.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from veridian_ipc.spec import Config, IpcError, RuleId, step
from veridian_ipc.spec.caps import descendants, destroy, new_handle, resolve
from veridian_ipc.spec.names import (
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    CapId,
    Fd,
    Handle,
    MapId,
    ObjId,
    Pid,
)
from veridian_ipc.spec.results import CapInfo, Delivered, Err, Ok, Result
from veridian_ipc.spec.rights import MANAGE, PORT_RIGHTS, WRITE
from veridian_ipc.spec.state import (
    AtHandle,
    Cap,
    InFlight,
    InSocket,
    Kind,
    Process,
    Running,
    Waiting,
)
from veridian_ipc.spec.store import channel, port, proc, put_cap, put_obj, put_proc
from veridian_ipc.spec.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Connect,
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

from .targets import SpecTarget

R = RuleId
E = IpcError


class Mutant(SpecTarget):
    """A ``SpecTarget`` with one rule perturbed."""

    rules: tuple[RuleId, ...] = ()
    equivalent = False

    def spec_apply(self, pid: int, op: Operation) -> Result:
        """The unperturbed step."""
        return SpecTarget.apply(self, pid, op)

    def cap(self, pid: int, handle: object, kind: Kind | None = None) -> Cap | None:
        """The capability behind ``pid``'s ``handle``, if live."""
        if pid not in self.state.processes or type(handle) is not int:
            return None
        found = resolve(self.state, Pid(pid), handle, kind)
        return None if isinstance(found, IpcError) else found[1]

    def cap_id(self, pid: int, handle: int) -> CapId:
        """The capability id behind a live handle."""
        return self.state.processes[Pid(pid)].handles[Handle(handle)]

    def set_rights(self, pid: int, handle: int, rights: int) -> None:
        """Overwrite a live handle's rights."""
        cid = self.cap_id(pid, handle)
        c = self.state.caps[cid]
        self.state = put_cap(self.state, cid, replace(c, rights=rights))

    def apply_with_right(
        self, pid: int, op: SetFilter | MapBuffer, kind: Kind, right: int
    ) -> Result:
        """Apply ``op`` as if its ``handle`` also held ``right``; the handle's
        rights are restored afterwards."""
        handle = op.handle
        c = self.cap(pid, handle, kind)
        assert c is not None
        self.set_rights(pid, handle, c.rights | right)
        r = self.spec_apply(pid, op)
        self.set_rights(pid, handle, c.rights)
        return r

    def running(self, pid: int) -> bool:
        """``pid`` is a live, running process."""
        p = self.state.processes.get(Pid(pid))
        return p is not None and isinstance(p.status, Running)


# -- capabilities and rights ------------------------------------------------------


class DeriveKeepsRights(Mutant):
    """Derive gives the child all of its parent's rights (rights leak)."""

    rules = (R.RIGHTS_DERIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Derive) and isinstance(r, Ok) and isinstance(r.value, int):
            parent = self.cap(pid, op.handle)
            assert parent is not None
            self.set_rights(pid, r.value, parent.rights)
        return r


class DeriveAmplifies(Mutant):
    """Derive accepts rights the parent lacks (no subset check)."""

    rules = (R.RIGHTS_DERIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Derive) and r == Err(E.InsufficientRights):
            parent = self.cap(pid, op.handle)
            assert parent is not None
            r = self.spec_apply(pid, Derive(op.handle, parent.rights))
            assert isinstance(r, Ok)
            assert isinstance(r.value, int)
            self.set_rights(pid, r.value, op.rights)
        return r


class FailedDeriveCreates(Mutant):
    """A derive that fails for missing rights still creates the child."""

    rules = (R.ERR_ATOMIC,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Derive) and r == Err(E.InsufficientRights):
            parent = self.cap(pid, op.handle)
            assert parent is not None
            self.spec_apply(pid, Derive(op.handle, parent.rights & op.rights))
        return r


class RevokeChildrenOnly(Mutant):
    """Revoke destroys direct children only; grandchildren survive."""

    rules = (R.RIGHTS_REVOKE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Revoke) and self.running(pid)):
            return self.spec_apply(pid, op)
        if self.cap(pid, op.handle) is None:
            return self.spec_apply(pid, op)
        cid = self.cap_id(pid, op.handle)
        children = sorted(self.state.caps[cid].children)
        for child in children:
            self.state = destroy(self.state, child)
        return Ok(len(children))


class InflightSurvivesRevoke(Mutant):
    """Revoke leaves capabilities carried by queued messages alone."""

    rules = (R.MSG_INFLIGHT_REVOKE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Revoke) and self.running(pid)):
            return self.spec_apply(pid, op)
        if self.cap(pid, op.handle) is None:
            return self.spec_apply(pid, op)
        cid = self.cap_id(pid, op.handle)
        doomed = descendants(self.state, cid)
        kept = [c for c in doomed if isinstance(self.state.caps[c].at, InFlight)]
        for c in reversed(doomed):
            if c not in kept:
                self.state = destroy(self.state, c)
        return Ok(len(doomed) - len(kept))


class DropRevokesChildren(Mutant):
    """Drop destroys the capability's descendants too."""

    rules = (R.CAP_DROP,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Drop) and self.running(pid) and self.cap(pid, op.handle):
            self.spec_apply(pid, Revoke(op.handle))
        return self.spec_apply(pid, op)


class DropKeepsMappings(Mutant):
    """Dropping a buffer capability leaves the mappings made through it."""

    rules = (R.BUF_UNMAP, R.CAP_DROP)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Drop) and self.running(pid)):
            return self.spec_apply(pid, op)
        before = self.state.processes[Pid(pid)].mappings
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok):
            p = proc(self.state, Pid(pid))
            self.state = put_proc(self.state, Pid(pid), replace(p, mappings=before))
        return r


class HandleReuse(Mutant):
    """A new handle takes the lowest number no longer in use."""

    rules = (R.CAP_HANDLE,)

    NEW_HANDLE = (Derive, Lookup, Connect)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        name = type(op).__name__
        creates = isinstance(op, self.NEW_HANDLE) or name.startswith("Create")
        if not (creates and isinstance(r, Ok) and isinstance(r.value, int)):
            return r
        p = proc(self.state, Pid(pid))
        free = [h for h in range(1, r.value) if Handle(h) not in p.handles]
        if not free:
            return r
        old, new = Handle(free[0]), Handle(r.value)
        cid = p.handles[new]
        handles = p.handles.delete(new).set(old, cid)
        self.state = put_proc(self.state, Pid(pid), replace(p, handles=handles))
        c = self.state.caps[cid]
        self.state = put_cap(self.state, cid, replace(c, at=AtHandle(Pid(pid), old)))
        return Ok(int(old))


class InspectChannelAsPort(Mutant):
    """Inspect reports a channel capability as a port."""

    rules = (R.CAP_INSPECT,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if (
            isinstance(r, Ok)
            and isinstance(r.value, CapInfo)
            and r.value.kind == "channel"
        ):
            return Ok(CapInfo("port", r.value.rights))
        return r


class BlockedMayInspect(Mutant):
    """A blocked process may still inspect its handles."""

    rules = (R.PROC_STATUS,)

    def apply(self, pid: int, op: Operation) -> Result:
        p = self.state.processes.get(Pid(pid))
        if isinstance(op, Inspect) and p is not None and not self.running(pid):
            saved = self.state
            self.state = put_proc(self.state, Pid(pid), replace(p, status=Running()))
            r = self.spec_apply(pid, op)
            self.state = saved
            return r
        return self.spec_apply(pid, op)


class SpawnReusesPid(Mutant):
    """Spawn gives a dead process's pid to the new process."""

    rules = (R.PROC_SPAWN,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, Spawn):
            return self.spec_apply(pid, op)
        dead = [
            q
            for q in range(1, self.state.next_pid)
            if Pid(q) not in self.state.processes
        ]
        if not dead:
            return self.spec_apply(pid, op)
        procs = self.state.processes.set(Pid(dead[0]), Process())
        self.state = replace(self.state, processes=procs)
        return Ok(dead[0])


class KillLeavesWaiter(Mutant):
    """Killing a blocked process leaves it in its port's waiter queue."""

    rules = (R.PROC_KILL,)

    def apply(self, pid: int, op: Operation) -> Result:
        st = None
        if isinstance(op, Kill) and type(op.target) is int:
            p = self.state.processes.get(Pid(op.target))
            st = None if p is None else p.status
        r = self.spec_apply(pid, op)
        if isinstance(st, Waiting) and isinstance(op, Kill):
            pt = port(self.state, st.port)
            waiters = (*pt.waiters, Pid(op.target))
            self.state = put_obj(self.state, st.port, replace(pt, waiters=waiters))
        return r


class BoolIsInt(Mutant):
    """A bool is accepted where an int handle is declared (True is handle 1)."""

    rules = (R.ERR_TOTAL,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Drop) and type(op.handle) is bool:
            return self.spec_apply(pid, Drop(int(op.handle)))
        return self.spec_apply(pid, op)


# -- ports, messages, filters, timeouts ------------------------------------------


def _port_of(m: Mutant, pid: int, handle: object) -> ObjId | None:
    c = m.cap(pid, handle, Kind.PORT)
    return None if c is None else c.obj


class ReceiveNewestFirst(Mutant):
    """Receive takes the newest queued message instead of the oldest."""

    rules = (R.PORT_RECEIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _port_of(self, pid, op.handle) if isinstance(op, Receive) else None
        if obj is not None and self.running(pid):
            pt = port(self.state, obj)
            if len(pt.queue) >= 2:
                queue = (pt.queue[-1], *pt.queue[:-1])
                self.state = put_obj(self.state, obj, replace(pt, queue=queue))
        return self.spec_apply(pid, op)


class PortCapacityPlusOne(Mutant):
    """A port accepts one message more than its capacity."""

    rules = (R.PORT_SEND,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Send) and r == Err(E.PortFull):
            obj = _port_of(self, pid, op.handle)
            assert obj is not None
            pt = port(self.state, obj)
            if len(pt.queue) == pt.capacity:
                bigger = replace(pt, capacity=pt.capacity + 1)
                self.state = put_obj(self.state, obj, bigger)
                r = self.spec_apply(pid, op)
                pt = port(self.state, obj)
                self.state = put_obj(
                    self.state, obj, replace(pt, capacity=pt.capacity - 1)
                )
        return r


class SendLeaksCapOnFailure(Mutant):
    """A send refused by the port still takes its first capability away."""

    rules = (R.MSG_TRANSFER, R.ERR_ATOMIC)

    PORT_SIDE = (E.PortClosed, E.Filtered, E.RateLimited, E.PortFull)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        failed = isinstance(r, Err) and r.error in self.PORT_SIDE
        if isinstance(op, Send) and failed and op.caps:
            self.spec_apply(pid, Drop(op.caps[0]))
        return r


class SendCopiesCaps(Mutant):
    """Capabilities sent in a message are copied: the sender keeps them."""

    rules = (R.MSG_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Send) and op.caps and self.running(pid)):
            return self.spec_apply(pid, op)
        kept = [self.cap(pid, h) for h in op.caps]
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok):
            for c in kept:
                assert c is not None
                self.state, _ = new_handle(
                    self.state, Pid(pid), c.obj, c.kind, c.rights, None
                )
        return r


class Accept65Bytes(Mutant):
    """A message of 65 bytes is accepted (its last byte cut off)."""

    rules = (R.MSG_LIMITS,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Send) and len(op.data) == MAX_INLINE_DATA + 1:
            op = replace(op, data=op.data[:MAX_INLINE_DATA])
        return self.spec_apply(pid, op)


class FiveCaps(Mutant):
    """A message may carry five capabilities (the fifth is dropped)."""

    rules = (R.MSG_LIMITS,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Send) and len(op.caps) == MAX_MESSAGE_CAPS + 1:
            op = replace(op, caps=op.caps[:MAX_MESSAGE_CAPS])
        return self.spec_apply(pid, op)


class SenderIsReceiver(Mutant):
    """A delivered message names the receiver as its sender."""

    rules = (R.MSG_SENDER,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok) and isinstance(r.value, Delivered):
            return Ok(replace(r.value, sender=pid))
        return r


class OversizeBeforeHandle(Mutant):
    """Send checks the data size before the handle (wrong error precedence)."""

    rules = (R.ERR_PRECEDENCE, R.PORT_SEND)

    def apply(self, pid: int, op: Operation) -> Result:
        if (
            isinstance(op, Send)
            and self.running(pid)
            and len(op.data) > MAX_INLINE_DATA
        ):
            return Err(E.MessageTooLarge)
        return self.spec_apply(pid, op)


class NoHandoff(Mutant):
    """A send queues its message even when a receiver waits."""

    rules = (R.PORT_HANDOFF,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _port_of(self, pid, op.handle) if isinstance(op, Send) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        waiters = port(self.state, obj).waiters
        if not waiters:
            return self.spec_apply(pid, op)
        pt = port(self.state, obj)
        self.state = put_obj(self.state, obj, replace(pt, waiters=()))
        r = self.spec_apply(pid, op)
        pt = port(self.state, obj)
        self.state = put_obj(self.state, obj, replace(pt, waiters=waiters))
        return r


class HandoffToLastWaiter(Mutant):
    """A hand-off goes to the receiver that has waited least (LIFO)."""

    rules = (R.PORT_HANDOFF,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _port_of(self, pid, op.handle) if isinstance(op, Send) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        pt = port(self.state, obj)
        if len(pt.waiters) < 2:
            return self.spec_apply(pid, op)
        order = pt.waiters
        self.state = put_obj(self.state, obj, replace(pt, waiters=order[::-1]))
        r = self.spec_apply(pid, op)
        pt = port(self.state, obj)
        left = tuple(w for w in order if w in pt.waiters)
        self.state = put_obj(self.state, obj, replace(pt, waiters=left))
        return r


class CloseDropsQueue(Mutant):
    """Closing a port discards its queued messages."""

    rules = (R.PORT_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _port_of(self, pid, op.handle) if isinstance(op, Close) else None
        r = self.spec_apply(pid, op)
        if obj is not None and isinstance(r, Ok):
            pt = port(self.state, obj)
            self.state = put_obj(self.state, obj, replace(pt, queue=()))
        return r


class CloseLeavesWaiters(Mutant):
    """Closing a port does not wake its waiting receivers."""

    rules = (R.PORT_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _port_of(self, pid, op.handle) if isinstance(op, Close) else None
        if obj is None or not self.running(pid):
            return self.spec_apply(pid, op)
        pt = port(self.state, obj)
        waiters = pt.waiters
        self.state = put_obj(self.state, obj, replace(pt, waiters=()))
        r = self.spec_apply(pid, op)
        pt = port(self.state, obj)
        self.state = put_obj(self.state, obj, replace(pt, waiters=waiters))
        return r


class TryReceiveBlocks(Mutant):
    """A receive with timeout 0 on an empty port blocks instead of failing."""

    rules = (R.PORT_RECEIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Receive) and r == Err(E.WouldBlock):
            return self.spec_apply(pid, Receive(op.handle, None))
        return r


class ResumeTimeoutAsClosed(Mutant):
    """Resume reports a timed-out receive as PortClosed."""

    rules = (R.PORT_RESUME,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Resume) and r == Err(E.Timeout):
            return Err(E.PortClosed)
        return r


class DeadlinePlusOne(Mutant):
    """A blocked receive's deadline is one tick late."""

    rules = (R.TIME_DEADLINE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Receive) and isinstance(r, Ok) and op.timeout:
            p = proc(self.state, Pid(pid))
            st = p.status
            if isinstance(st, Waiting) and st.deadline is not None:
                late = replace(st, deadline=st.deadline + 1)
                self.state = put_proc(self.state, Pid(pid), replace(p, status=late))
        return r


class ClockNoExpiry(Mutant):
    """Advancing the clock does not fire deadlines."""

    rules = (R.TIME_ADVANCE,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, AdvanceClock) and type(op.ticks) is int and op.ticks >= 0:
            self.state = replace(self.state, clock=self.state.clock + op.ticks)
            return Ok(self.state.clock)
        return self.spec_apply(pid, op)


class RateLimitOneExtra(Mutant):
    """A rate-limited port admits one extra message per refill period."""

    rules = (R.FILTER_RATE,)

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        self.used: set[tuple[int, int]] = set()

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Send) and r == Err(E.RateLimited):
            obj = _port_of(self, pid, op.handle)
            assert obj is not None
            pt = port(self.state, obj)
            f = pt.filter
            assert f is not None
            assert f.rate is not None
            window = (obj, self.state.clock // f.rate.period)
            if window not in self.used:
                self.used.add(window)
                saved = f
                fuller = replace(f, tokens=1, stamp=self.state.clock)
                self.state = put_obj(self.state, obj, replace(pt, filter=fuller))
                r = self.spec_apply(pid, op)
                if isinstance(r, Err):
                    pt = port(self.state, obj)
                    self.state = put_obj(self.state, obj, replace(pt, filter=saved))
        return r


class FilterSizeOffByOne(Mutant):
    """A filter admits data one byte over its maximum size."""

    rules = (R.FILTER_CHECK,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Send) and r == Err(E.MessageTooLarge):
            obj = _port_of(self, pid, op.handle)
            pt = None if obj is None else port(self.state, obj)
            f = None if pt is None else pt.filter
            if (
                f is not None
                and f.max_size is not None
                and len(op.data) == f.max_size + 1
            ):
                assert obj is not None
                assert pt is not None
                loose = replace(f, max_size=f.max_size + 1)
                self.state = put_obj(self.state, obj, replace(pt, filter=loose))
                r = self.spec_apply(pid, op)
                pt = port(self.state, obj)
                assert pt.filter is not None
                back = replace(pt.filter, max_size=f.max_size)
                self.state = put_obj(self.state, obj, replace(pt, filter=back))
        return r


class FilterWithoutManage(Mutant):
    """Setting a filter needs no MANAGE right."""

    rules = (R.FILTER_SET,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SetFilter) and r == Err(E.InsufficientRights):
            r = self.apply_with_right(pid, op, Kind.PORT, MANAGE)
        return r


# -- namespace -------------------------------------------------------------------


class BindReplaces(Mutant):
    """Binding a bound name silently replaces the binding."""

    rules = (R.NS_BIND,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Bind) and r == Err(E.NameInUse):
            b = self.state.namespace.get(op.name)
            if b is not None:
                self.state = destroy(self.state, b.cap)
                r = self.spec_apply(pid, op)
        return r


class UnbindWithoutManage(Mutant):
    """Unbind succeeds with any capability to the bound port."""

    rules = (R.NS_UNBIND,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Unbind) and r == Err(E.InsufficientRights):
            c = self.cap(pid, op.handle, Kind.PORT)
            b = self.state.namespace.get(op.name)
            if c is not None and b is not None and self.state.caps[b.cap].obj == c.obj:
                self.state = destroy(self.state, b.cap)
                return Ok(None)
        return r


class LookupFullRights(Mutant):
    """A looked-up handle carries every port right, not the binding's."""

    rules = (R.NS_LOOKUP,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Lookup | Connect) and isinstance(r, Ok):
            assert isinstance(r.value, int)
            self.set_rights(pid, r.value, PORT_RIGHTS)
        return r


class ConnectIgnoresType(Mutant):
    """Typed connect does not check the service type."""

    rules = (R.NS_CONNECT,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Connect) and r == Err(E.TypeMismatch):
            return self.spec_apply(pid, Lookup(op.name))
        return r


# -- channels --------------------------------------------------------------------


def _chan_of(m: Mutant, pid: int, handle: object) -> ObjId | None:
    c = m.cap(pid, handle, Kind.CHANNEL)
    return None if c is None else c.obj


class BatchPartial(Mutant):
    """A batch that does not fit sends the messages that do."""

    rules = (R.CHAN_SEND_BATCH,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, ChannelSendBatch) and r == Err(E.WouldBlock):
            obj = _chan_of(self, pid, op.handle)
            assert obj is not None
            ring = channel(self.state, obj)
            free = ring.capacity - (ring.write_idx - ring.read_idx)
            if free > 0:
                self.spec_apply(pid, ChannelSendBatch(op.handle, op.items[:free]))
                return Ok(free)
        return r


class ReceiveBatchExtra(Mutant):
    """A batched receive takes one message more than asked."""

    rules = (R.CHAN_RECEIVE_BATCH,)

    def apply(self, pid: int, op: Operation) -> Result:
        count = op.max_count if isinstance(op, ChannelReceiveBatch) else None
        if isinstance(op, ChannelReceiveBatch) and type(count) is int and count >= 1:
            return self.spec_apply(pid, replace(op, max_count=count + 1))
        return self.spec_apply(pid, op)


class RingFullEarly(Mutant):
    """A channel reports full one slot early (capacity off by one)."""

    rules = (R.CHAN_SEND,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _chan_of(self, pid, op.handle) if isinstance(op, ChannelSend) else None
        if obj is not None and self.running(pid):
            ring = channel(self.state, obj)
            held = ring.write_idx - ring.read_idx
            _, r = step(self.state, pid, op)
            if ring.capacity > 1 and held == ring.capacity - 1 and isinstance(r, Ok):
                return Err(E.WouldBlock)
        return self.spec_apply(pid, op)


class ChannelCloseDrops(Mutant):
    """Closing a channel discards what it holds."""

    rules = (R.CHAN_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        obj = _chan_of(self, pid, op.handle) if isinstance(op, Close) else None
        r = self.spec_apply(pid, op)
        if obj is not None and isinstance(r, Ok):
            ring = channel(self.state, obj)
            empty = replace(ring, read_idx=ring.write_idx, held=())
            self.state = put_obj(self.state, obj, empty)
        return r


# -- buffers ---------------------------------------------------------------------


class TransferKeepsOwnership(Mutant):
    """After a buffer transfer the sender keeps a capability to it."""

    rules = (R.BUF_TRANSFER,)

    def apply(self, pid: int, op: Operation) -> Result:
        c = (
            self.cap(pid, op.handle, Kind.BUFFER)
            if isinstance(op, TransferBuffer)
            else None
        )
        r = self.spec_apply(pid, op)
        if c is not None and isinstance(r, Ok):
            self.state, _ = new_handle(
                self.state, Pid(pid), c.obj, c.kind, c.rights, None
            )
        return r


class MapWithoutWrite(Mutant):
    """A writable mapping is granted without the WRITE right."""

    rules = (R.BUF_MAP,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, MapBuffer) and r == Err(E.InsufficientRights) and op.writable:
            r = self.apply_with_right(pid, op, Kind.BUFFER, WRITE)
        return r


class WriteReadOnly(Mutant):
    """A write through a read-only mapping succeeds."""

    rules = (R.BUF_WRITE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, WriteBuffer) and r == Err(E.InsufficientRights):
            p = proc(self.state, Pid(pid))
            mid = MapId(op.mapping)
            m = p.mappings[mid]
            rw = p.mappings.set(mid, replace(m, writable=True))
            self.state = put_proc(self.state, Pid(pid), replace(p, mappings=rw))
            r = self.spec_apply(pid, op)
            p = proc(self.state, Pid(pid))
            back = p.mappings.set(mid, m)
            self.state = put_proc(self.state, Pid(pid), replace(p, mappings=back))
        return r


class ReadPastEnd(Mutant):
    """A read may run one byte past the end of the buffer (reads a zero)."""

    rules = (R.BUF_READ,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, ReadBuffer) and r == Err(E.OutOfBounds) and op.length >= 1:
            inner = self.spec_apply(pid, replace(op, length=op.length - 1))
            if isinstance(inner, Ok) and isinstance(inner.value, bytes):
                return Ok(inner.value + b"\0")
        return r


# -- POSIX -----------------------------------------------------------------------


def _move_fd(m: Mutant, pid: int, old: int, new: int) -> None:
    p = proc(m.state, Pid(pid))
    entry = p.fds[Fd(old)]
    m.state = put_proc(
        m.state, Pid(pid), replace(p, fds=p.fds.delete(Fd(old)).set(Fd(new), entry))
    )
    for cid, peer in ((entry.own, False), (entry.peer, True)):
        if cid is not None:
            c = m.state.caps[cid]
            m.state = put_cap(
                m.state, cid, replace(c, at=InSocket(Pid(pid), Fd(new), peer))
            )


class SocketFdNotLowest(Mutant):
    """``socket()`` takes the fd after the highest one, not the lowest free."""

    rules = (R.POSIX_SOCKET,)

    def apply(self, pid: int, op: Operation) -> Result:
        before = None
        if isinstance(op, Socket) and self.running(pid):
            before = sorted(self.state.processes[Pid(pid)].fds)
        r = self.spec_apply(pid, op)
        if before and isinstance(r, Ok) and isinstance(r.value, int):
            want = before[-1] + 1
            if r.value != want:
                _move_fd(self, pid, r.value, want)
                return Ok(want)
        return r


class ReconnectAllowed(Mutant):
    """``connect()`` on a connected socket replaces its peer."""

    rules = (R.POSIX_CONNECT,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SockConnect) and r == Err(E.AlreadyConnected):
            entry = self.state.processes[Pid(pid)].fds[Fd(op.fd)]
            assert entry.peer is not None
            self.state = destroy(self.state, entry.peer)
            r = self.spec_apply(pid, op)
        return r


class UnconnectedSendEpipe(Mutant):
    """``send()`` on an unconnected socket reports EPIPE (PortClosed)."""

    rules = (R.POSIX_SEND, R.POSIX_ERRNO)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SockSend) and r == Err(E.NotConnected):
            return Err(E.PortClosed)
        return r


class RecvTruncates(Mutant):
    """``recv()`` truncates a message longer than the buffer."""

    rules = (R.POSIX_RECV,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SockRecv) and r == Err(E.MessageTooLarge):
            r = self.spec_apply(pid, replace(op, bufsize=MAX_INLINE_DATA))
            if isinstance(r, Ok) and isinstance(r.value, bytes):
                return Ok(r.value[: op.bufsize])
        return r


class CloseReportsNothing(Mutant):
    """``close()`` reports no discarded messages (silent loss)."""

    rules = (R.POSIX_CLOSE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, SockClose) and isinstance(r, Ok):
            return Ok(0)
        return r


#: Every mutant, in rule-group order.
MUTANTS: tuple[type[Mutant], ...] = (
    DeriveKeepsRights,
    DeriveAmplifies,
    FailedDeriveCreates,
    RevokeChildrenOnly,
    InflightSurvivesRevoke,
    DropRevokesChildren,
    DropKeepsMappings,
    HandleReuse,
    InspectChannelAsPort,
    BlockedMayInspect,
    SpawnReusesPid,
    KillLeavesWaiter,
    BoolIsInt,
    ReceiveNewestFirst,
    PortCapacityPlusOne,
    SendLeaksCapOnFailure,
    SendCopiesCaps,
    Accept65Bytes,
    FiveCaps,
    SenderIsReceiver,
    OversizeBeforeHandle,
    NoHandoff,
    HandoffToLastWaiter,
    CloseDropsQueue,
    CloseLeavesWaiters,
    TryReceiveBlocks,
    ResumeTimeoutAsClosed,
    DeadlinePlusOne,
    ClockNoExpiry,
    RateLimitOneExtra,
    FilterSizeOffByOne,
    FilterWithoutManage,
    BindReplaces,
    UnbindWithoutManage,
    LookupFullRights,
    ConnectIgnoresType,
    BatchPartial,
    ReceiveBatchExtra,
    RingFullEarly,
    ChannelCloseDrops,
    TransferKeepsOwnership,
    MapWithoutWrite,
    WriteReadOnly,
    ReadPastEnd,
    SocketFdNotLowest,
    ReconnectAllowed,
    UnconnectedSendEpipe,
    RecvTruncates,
    CloseReportsNothing,
)


@dataclass
class MutantResult:
    """How the suite fared against one mutant."""

    name: str
    rules: list[str]
    killed: bool
    steps: int | None
    seconds: float | None
    kind: str | None = None
    equivalent: bool = False

    def to_json(self) -> dict[str, object]:
        """Plain data."""
        return {
            "name": self.name,
            "rules": self.rules,
            "killed": self.killed,
            "steps": self.steps,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "divergence": self.kind,
            "equivalent": self.equivalent,
        }


def run_mutant(
    cls: type[Mutant], profile: str = "ci", max_examples: int | None = None
) -> MutantResult:
    """Run the suite (no shrinking) against one mutant until it is killed."""
    from .runner import run_conformance
    from .targets import InProcessDriver

    started = time.perf_counter()
    report = run_conformance(
        InProcessDriver(cls), profile, max_examples=max_examples, shrink=False
    )
    killed = report.status != "pass"
    div = report.divergence if isinstance(report.divergence, dict) else {}
    return MutantResult(
        name=cls.__name__,
        rules=[r.value for r in cls.rules],
        killed=killed,
        steps=report.first_divergence_steps if killed else report.steps,
        seconds=report.first_divergence_seconds
        if killed
        else time.perf_counter() - started,
        kind=div.get("kind") if killed else None,
        equivalent=cls.equivalent,
    )


def run_campaign(
    profile: str = "ci",
    mutants: tuple[type[Mutant], ...] = MUTANTS,
    max_examples: int | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> dict[str, object]:
    """Run every mutant; ``{"mutants": [...], "kill_rate": R, ...}``."""
    results = []
    for cls in mutants:
        res = run_mutant(cls, profile, max_examples)
        results.append(res)
        if on_result is not None:
            on_result(res)
    counted = [r for r in results if not r.equivalent]
    killed = [r for r in counted if r.killed]
    steps = sorted(r.steps for r in killed if r.steps is not None)
    secs = sorted(r.seconds for r in killed if r.seconds is not None)
    return {
        "profile": profile,
        "mutants": [r.to_json() for r in results],
        "kill_rate": len(killed) / len(counted) if counted else 1.0,
        "killed": len(killed),
        "total": len(counted),
        "median_steps": _median(steps),
        "median_seconds": None if not secs else round(_median(secs) or 0.0, 3),
        "survivors": [r.name for r in counted if not r.killed],
    }


def _median(xs: list[int] | list[float]) -> float | None:
    if not xs:
        return None
    mid = len(xs) // 2
    return float(xs[mid]) if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
