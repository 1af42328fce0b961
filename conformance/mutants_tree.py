"""Mutants of the derivation tree and what revocation reaches (RIGHTS-DERIVE,
CAP-DROP, RIGHTS-REVOKE): a drop that orphans the dropped capability's
children, a derivation tree that stops linking past a fixed depth, a parent
that remembers only its newest child, an attenuated derive that keeps GRANT,
a revoke that spares namespace bindings, a receiver blocked through a revoked
capability told its port closed.

The first three leave every handle and right as the spec has them; only a
later revoke of an ancestor shows that something escaped it.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import descendants, destroy
from veridian_ipc.spec.state import InBinding, Waiting, Woken
from veridian_ipc.spec.store import put_cap
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


__all__ = [
    "DeepDeriveIsRoot",
    "DeriveForgetsSibling",
    "DeriveKeepsGrant",
    "DropOrphansChildren",
    "RevokeSparesBindings",
    "RevokedWaiterSeesClosed",
]
