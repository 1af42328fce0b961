"""Mutants of the derivation tree and what revocation reaches (RIGHTS-DERIVE,
CAP-DROP, RIGHTS-REVOKE): a drop that orphans the dropped capability's
children, a derivation tree that stops linking past a fixed depth, a parent
that remembers only its newest child, an attenuated derive that keeps GRANT,
a revoke that spares namespace bindings, a receiver blocked through a revoked
capability told its port closed, a revoke that cancels messages queued
through the capabilities it destroys or strips what they carry.

The first three leave every handle and right as the spec has them; only a
later revoke of an ancestor shows that something escaped it.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import descendants, destroy
from veridian_ipc.spec.reclaim import reclaim
from veridian_ipc.spec.state import AtHandle, InBinding, Kind, Waiting, Woken
from veridian_ipc.spec.store import port, put_cap, put_obj
from veridian_ipc.vocabulary.names import CapId, Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import GRANT
from veridian_ipc.vocabulary.syscalls import Derive, Drop, Operation, Revoke

from .mutants_base import Mutant
from .mutants_caps import _RevokeReplaced


class DropOrphansChildren(Mutant):
    """Dropping a capability makes its children roots instead of moving them
    up to its parent: a revoke of the dropped one's ancestors no longer
    reaches them."""

    rules = (R.CAP_DROP, R.RIGHTS_REVOKE)

    def apply(self, pid: int, op: Operation) -> Result:
        c = self.cap(pid, op.handle) if isinstance(op, Drop) else None
        r = self.spec_apply(pid, op)
        if c is not None and isinstance(r, Ok):
            for child in sorted(c.children):
                self.orphan(child)
        return r


class _OnDerive(Mutant):
    """Bends every successful derive by ``derived`` (given the parent and
    the new child); every other step is the spec's."""

    def apply(self, pid: int, op: Operation) -> Result:
        if not (isinstance(op, Derive) and self.running(pid)):
            return self.spec_apply(pid, op)
        parent = self.cap(pid, op.handle)
        r = self.spec_apply(pid, op)
        if parent is not None and isinstance(r, Ok) and isinstance(r.value, int):
            child = self.cap_id(pid, r.value)
            parent_id = self.state.caps[child].parent
            assert parent_id is not None
            self.derived(pid, op, parent_id, child)
        return r

    def derived(self, pid: int, op: Derive, parent: CapId, child: CapId) -> None:
        """Change what the derive of ``child`` from ``parent`` made."""
        raise NotImplementedError


class DeepDeriveIsRoot(_OnDerive):
    """The tree keeps two levels of derivation: a capability derived from one
    that itself has a parent (depth 3 or more) is made a root, beyond the
    reach of a revoke from its ancestors."""

    rules = (R.RIGHTS_DERIVE, R.RIGHTS_REVOKE)

    def derived(self, pid: int, op: Derive, parent: CapId, child: CapId) -> None:
        if self.state.caps[parent].parent is not None:
            self.orphan(child)


class DeriveForgetsSibling(_OnDerive):
    """A capability records only its newest child (one child link, not a
    set): deriving twice from one capability orphans the first child, which
    a revoke of the parent then misses."""

    rules = (R.RIGHTS_DERIVE, R.RIGHTS_REVOKE)

    def derived(self, pid: int, op: Derive, parent: CapId, child: CapId) -> None:
        for sibling in sorted(self.state.caps[parent].children - {child}):
            self.orphan(sibling)


class DeriveKeepsGrant(_OnDerive):
    """An attenuated derive keeps its parent's GRANT even when the rights
    asked for leave it out: the narrowed capability can still be passed on."""

    rules = (R.RIGHTS_DERIVE,)

    def derived(self, pid: int, op: Derive, parent: CapId, child: CapId) -> None:
        c = self.state.caps[child]
        if self.state.caps[parent].rights & GRANT:
            self.state = put_cap(self.state, child, replace(c, rights=c.rights | GRANT))


class RevokeSparesBindings(_RevokeReplaced):
    """Revoke leaves namespace bindings derived from the capability (the
    namespace keeps its capabilities in a table revoke does not walk):
    the name stays bound, and a lookup still hands out the port."""

    rules = (R.RIGHTS_REVOKE, R.NS_BIND)

    def revoke(self, cid: CapId) -> Result:
        doomed = descendants(self.state, cid)
        kept = [c for c in doomed if isinstance(self.state.caps[c].at, InBinding)]
        for c in reversed(doomed):
            if c not in kept:
                self.state = destroy(self.state, c)
        return Ok(len(doomed) - len(kept))


class RevokedWaiterSeesClosed(Mutant):
    """A receiver blocked through a capability that a revoke destroys is woken
    with ``PortClosed`` (the close path's wake-up) instead of
    ``InvalidCapability``."""

    rules = (R.RIGHTS_REVOKE, R.PORT_RESUME)

    def apply(self, pid: int, op: Operation) -> Result:
        if not isinstance(op, Revoke):
            return self.spec_apply(pid, op)
        waiting = [
            q for q, p in self.state.processes.items() if isinstance(p.status, Waiting)
        ]
        r = self.spec_apply(pid, op)
        revoked = Woken(Err(E.InvalidCapability))
        closed = Woken(Err(E.PortClosed))
        for q in waiting:
            if self.state.processes[Pid(q)].status == revoked:
                self.edit_proc(q, lambda p: replace(p, status=closed))
        return r


class RevokeCancelsQueued(_RevokeReplaced):
    """A revoke cancels the messages other processes queued on a port through
    the capabilities it destroys (seL4's ``CancelBadgedSends`` taken for
    queued messages): every message on such a port from a process other than
    the revoker is discarded with what it carries. The spec keeps them: a
    completed send belongs to the queue (RIGHTS-REVOKE, MSG-INFLIGHT-REVOKE)."""

    rules = (R.RIGHTS_REVOKE, R.MSG_INFLIGHT_REVOKE)

    def revoke(self, cid: CapId) -> Result:
        revoker = self.state.caps[cid].at
        doomed = descendants(self.state, cid)
        ports = sorted(
            {
                self.state.caps[c].obj
                for c in doomed
                if self.state.caps[c].kind is Kind.PORT
            }
        )
        for c in reversed(doomed):
            self.state = destroy(self.state, c)
        mine = revoker.pid if isinstance(revoker, AtHandle) else None
        for obj in ports:
            pt = port(self.state, obj)
            gone = [m for m in pt.queue if m.sender != mine]
            if not gone:
                continue
            kept = tuple(m for m in pt.queue if m.sender == mine)
            self.state = put_obj(self.state, obj, replace(pt, queue=kept))
            for m in gone:
                for carried in m.caps:
                    if carried is not None:
                        self.state = destroy(self.state, carried)
        self.state = reclaim(self.state)
        return Ok(len(doomed))


class RevokeStripsCarried(_RevokeReplaced):
    """A revoke of a port capability also strips every capability carried by
    the messages queued on that port, descendants or not (the sender's own
    capabilities included): they arrive as None. The spec strips only the
    revoked capability's descendants (MSG-INFLIGHT-REVOKE)."""

    rules = (R.MSG_INFLIGHT_REVOKE, R.RIGHTS_REVOKE)

    def revoke(self, cid: CapId) -> Result:
        c = self.state.caps[cid]
        doomed = descendants(self.state, cid)
        for d in reversed(doomed):
            self.state = destroy(self.state, d)
        if c.kind is Kind.PORT:
            carried = [x for m in port(self.state, c.obj).queue for x in m.caps]
            for x in carried:
                if x is not None and x in self.state.caps:
                    self.state = destroy(self.state, x)
        self.state = reclaim(self.state)
        return Ok(len(doomed))


__all__ = [
    "DeepDeriveIsRoot",
    "DeriveForgetsSibling",
    "DeriveKeepsGrant",
    "DropOrphansChildren",
    "RevokeCancelsQueued",
    "RevokeSparesBindings",
    "RevokeStripsCarried",
    "RevokedWaiterSeesClosed",
]
