"""Mutants of capabilities, rights and processes (CAP-*, RIGHTS-*, PROC-*,
and the ERR-* rules they break): a rights leak on derive, a revoke that misses
grandchildren, a reused handle, a blocked process that may still act, a pid
given twice, a bool taken for a handle, an object never reclaimed, a
self-cycle left open...
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import descendants, destroy
from veridian_ipc.spec.state import (
    AtHandle,
    InFlight,
    Port,
    Process,
    Running,
    Waiting,
)
from veridian_ipc.spec.step import apply_rule
from veridian_ipc.spec.store import proc, put_cap, put_proc
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import CapId, Handle, Pid
from veridian_ipc.vocabulary.results import CapInfo, Ok, Result
from veridian_ipc.vocabulary.rights import RECEIVE
from veridian_ipc.vocabulary.syscalls import (
    Connect,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Operation,
    Revoke,
    Send,
    Spawn,
)

from .mutants_base import Mutant, Refusal


class DeriveKeepsRights(Mutant):
    """Derive gives the child all of its parent's rights (rights leak)."""

    rules = (R.RIGHTS_DERIVE,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Derive) and isinstance(r, Ok) and isinstance(r.value, int):
            self.set_rights(pid, r.value, self.live_cap(pid, op.handle).rights)
        return r


class _DeriveRefused(Refusal[Derive]):
    """Bends a derive refused for rights its parent lacks (RIGHTS-DERIVE)."""

    refused_op = Derive
    refused_with = E.InsufficientRights


class DeriveAmplifies(_DeriveRefused):
    """Derive accepts rights the parent lacks (no subset check)."""

    rules = (R.RIGHTS_DERIVE,)

    def instead(self, pid: int, op: Derive, refusal: Result) -> Result:
        have = self.live_cap(pid, op.handle).rights
        r = self.spec_apply(pid, Derive(op.handle, have))
        assert isinstance(r, Ok)
        assert isinstance(r.value, int)
        self.set_rights(pid, r.value, op.rights)
        return r


class FailedDeriveCreates(_DeriveRefused):
    """A derive that fails for missing rights still creates the child."""

    rules = (R.ERR_ATOMIC,)

    def instead(self, pid: int, op: Derive, refusal: Result) -> Result:
        have = self.live_cap(pid, op.handle).rights
        self.spec_apply(pid, Derive(op.handle, have & op.rights))
        return refusal


class _RevokeReplaced(Mutant):
    """Replaces the spec's revoke (RIGHTS-REVOKE) of a live handle, issued by a
    running process, with ``revoke`` of its capability."""

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Revoke) and self.running(pid)):
            return self.spec_apply(pid, op)
        if self.cap(pid, op.handle) is None:
            return self.spec_apply(pid, op)
        return self.revoke(self.cap_id(pid, op.handle))

    def revoke(self, cid: CapId) -> Result:
        """Revoke capability ``cid``'s descendants; the count destroyed."""
        raise NotImplementedError


class RevokeChildrenOnly(_RevokeReplaced):
    """Revoke destroys direct children only; grandchildren survive."""

    rules = (R.RIGHTS_REVOKE,)

    def revoke(self, cid: CapId) -> Result:
        children = sorted(self.state.caps[cid].children)
        for child in children:
            self.state = destroy(self.state, child)
        return Ok(len(children))


class InflightSurvivesRevoke(_RevokeReplaced):
    """Revoke leaves capabilities carried by queued messages alone."""

    rules = (R.MSG_INFLIGHT_REVOKE,)

    def revoke(self, cid: CapId) -> Result:
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
        before = table_of(self.state, Pid(pid)).mappings
        r = self.spec_apply(pid, op)
        if isinstance(r, Ok):
            self.edit_table(pid, lambda p: replace(p, mappings=before))
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
            self.edit_proc(pid, lambda q: replace(q, status=Running()))
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
        # a port the victim alone held is gone with it (CAP-RECLAIM)
        if (
            isinstance(st, Waiting)
            and isinstance(op, Kill)
            and st.port in self.state.objects
        ):
            victim = Pid(op.target)
            self.edit_port(
                st.port, lambda pt: replace(pt, waiters=(*pt.waiters, victim))
            )
        return r


class BoolIsInt(Mutant):
    """A bool is accepted where an int handle is declared (True is handle 1)."""

    rules = (R.ERR_TOTAL,)

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Drop) and type(op.handle) is bool:
            return self.spec_apply(pid, Drop(int(op.handle)))
        return self.spec_apply(pid, op)


class NeverReclaims(Mutant):
    """An object keeps existing after its last capability is gone (a kernel
    with no reclamation): the spec's CAP-RECLAIM removes it from the
    observation, this target keeps it there, emptied (a port closed)."""

    rules = (R.CAP_RECLAIM, R.CAP_DROP)

    def apply(self, pid: int, op: Operation) -> Result:
        before = self.state.objects
        r = self.spec_apply(pid, op)
        objects = self.state.objects
        for obj, o in before.items():
            if obj not in objects:
                if isinstance(o, Port):
                    o = replace(o, queue=(), waiters=(), closed=True)
                objects = objects.set(obj, o)
        self.state = replace(self.state, objects=objects)
        return r


class SelfCycleKept(Mutant):
    """A send that carries the destination port's own RECEIVE capability into
    its queue (a self-cycle: Mach without ``ipc_port_check_circularity``) is
    queued and nothing else: the port nobody can reach any more stays open
    with the message, instead of being closed and reclaimed (CAP-RECLAIM,
    PORT-CLOSE)."""

    rules = (R.CAP_RECLAIM, R.PORT_CLOSE)

    def apply(self, pid: int, op: Operation) -> Result:
        dest = self.port_of(pid, op.handle) if isinstance(op, Send) else None
        if dest is None or not self.running(pid):
            return self.spec_apply(pid, op)
        assert isinstance(op, Send)
        carried = [self.cap(pid, h) for h in op.caps]
        if not any(
            c is not None and c.obj == dest and c.rights & RECEIVE for c in carried
        ):
            return self.spec_apply(pid, op)
        self.state, r = apply_rule(self.state, pid, op)
        return r


__all__ = [
    "BlockedMayInspect",
    "BoolIsInt",
    "DeriveAmplifies",
    "DeriveKeepsRights",
    "DropKeepsMappings",
    "DropRevokesChildren",
    "FailedDeriveCreates",
    "HandleReuse",
    "InflightSurvivesRevoke",
    "InspectChannelAsPort",
    "KillLeavesWaiter",
    "NeverReclaims",
    "RevokeChildrenOnly",
    "SelfCycleKept",
    "SpawnReusesPid",
]
