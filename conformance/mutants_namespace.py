"""Mutants of the namespace (NS-*): a bind that replaces a binding, an unbind
without MANAGE, an unbind that looks the name up before MANAGE, a lookup that
grants every right, a typed connect that does not check the type, a lookup
cache that unbind does not invalidate, a close that leaves the port's
bindings in place, a bind that publishes the binder's every right instead of
the rights asked for, a namespace that needs no authority.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.spec import Config
from veridian_ipc.spec import IpcError as E
from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.caps import destroy, new_handle
from veridian_ipc.spec.state import Kind, Process
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import ObjId, Pid
from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, PORT_RIGHTS
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Close,
    Connect,
    Lookup,
    Operation,
    SockBind,
    SockConnect,
    Unbind,
)

from .mutants_base import Mutant, Refusal


class BindReplaces(Refusal[Bind]):
    """Binding a bound name silently replaces the binding."""

    rules = (R.NS_BIND,)
    refused_op = Bind
    refused_with = E.NameInUse

    def instead(self, pid: int, op: Bind, refusal: Result) -> Result:
        b = self.state.namespace.get(op.name)
        if b is None:
            return refusal
        self.state = destroy(self.state, b.cap)
        return self.spec_apply(pid, op)


class UnbindWithoutManage(Refusal[Unbind]):
    """Unbind succeeds with any capability to the bound port."""

    rules = (R.NS_UNBIND,)
    refused_op = Unbind
    refused_with = E.InsufficientRights

    def instead(self, pid: int, op: Unbind, refusal: Result) -> Result:
        c = self.cap(pid, op.handle, Kind.PORT)
        b = self.state.namespace.get(op.name)
        if c is not None and b is not None and self.state.caps[b.cap].obj == c.obj:
            self.state = destroy(self.state, b.cap)
            return Ok(None)
        return refusal


class UnbindNameFirst(Refusal[Unbind]):
    """Unbind looks the name up before it checks MANAGE: a caller without
    MANAGE learns which names are unbound (``PortNotFound``), against
    RIGHTS-REQUIRED and NS-UNBIND's documented order."""

    rules = (R.NS_UNBIND, R.RIGHTS_REQUIRED)
    refused_op = Unbind
    refused_with = E.InsufficientRights

    def instead(self, pid: int, op: Unbind, refusal: Result) -> Result:
        if op.name not in self.state.namespace:
            return Err(E.PortNotFound)
        return refusal


class LookupFullRights(Mutant):
    """A looked-up handle carries every port right, not the binding's."""

    rules = (R.NS_LOOKUP,)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, Lookup | Connect) and isinstance(r, Ok):
            assert isinstance(r.value, int)
            self.set_rights(pid, r.value, PORT_RIGHTS)
        return r


class BindPublishesHeldRights(Mutant):
    """Bind publishes the rights of the binder's capability, not the mask it
    was given: the seed's ``bind(name, port.capability)`` hands every client
    RECEIVE and MANAGE (against NS-BIND's published rights)."""

    rules = (R.NS_BIND, R.NS_LOOKUP)

    def apply(self, pid: int, op: Operation) -> Result:
        c = self.cap(pid, op.handle, Kind.PORT) if isinstance(op, Bind) else None
        if isinstance(op, Bind) and c is not None and 0 <= op.rights <= ALL_RIGHTS:
            return self.spec_apply(pid, replace(op, rights=c.rights))
        return self.spec_apply(pid, op)


#: The operations that need namespace authority, and the authority each needs.
NEEDS: dict[type, str] = {
    Bind: "may_bind",
    SockBind: "may_bind",
    Lookup: "may_lookup",
    Connect: "may_lookup",
    SockConnect: "may_lookup",
}


class AmbientNamespace(Mutant):
    """The namespace is ambient authority: a process spawned without
    ``may_bind`` or ``may_lookup`` binds (squats) and looks up all the same
    (against NS-BIND and NS-LOOKUP)."""

    rules = (R.NS_BIND, R.NS_LOOKUP)

    def apply(self, pid: int, op: Operation) -> Result:
        need = NEEDS.get(type(op))
        p = (
            table_of(self.state, Pid(pid))
            if need and Pid(pid) in self.state.processes
            else None
        )
        if need is None or p is None or getattr(p, need):
            return self.spec_apply(pid, op)
        self.edit_table(pid, lambda q: _authority(q, need, True))
        r = self.spec_apply(pid, op)
        if Pid(pid) in self.state.processes:
            self.edit_table(pid, lambda q: _authority(q, need, False))
        return r


def _authority(p: Process, need: str, value: bool) -> Process:
    """``p`` with namespace authority ``need`` set to ``value``."""
    if need == "may_bind":
        return replace(p, may_bind=value)
    return replace(p, may_lookup=value)


class ConnectIgnoresType(Refusal[Connect]):
    """Typed connect does not check the service type."""

    rules = (R.NS_CONNECT,)
    refused_op = Connect
    refused_with = E.TypeMismatch

    def instead(self, pid: int, op: Connect, refusal: Result) -> Result:
        return self.spec_apply(pid, Lookup(op.name))


class StaleLookupAfterUnbind(Mutant):
    """Unbind removes the name but not its entry in the lookup cache (name ->
    port, rights, service type), which ``Lookup`` and ``Connect`` consult:
    the unbound name still resolves, to a new capability to the port that no
    revoke of the binder reaches, until the name is bound again."""

    rules = (R.NS_UNBIND, R.NS_LOOKUP)

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        #: name -> the bound port, the binding's rights and its service type
        self.cache: dict[str, tuple[ObjId, int, int]] = {}

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Bind):
            self.cache.pop(op.name, None)
        b = self.state.namespace.get(op.name) if isinstance(op, Unbind) else None
        bc = None if b is None else self.state.caps[b.cap]
        r = self.spec_apply(pid, op)
        if isinstance(op, Unbind) and isinstance(r, Ok) and b and bc:
            self.cache[op.name] = (bc.obj, bc.rights, b.service_type)
        if isinstance(op, Lookup | Connect) and r == Err(E.PortNotFound):
            return self._stale(pid, op, r)
        return r

    def _stale(self, pid: int, op: Lookup | Connect, refusal: Result) -> Result:
        """What the cache entry of ``op.name`` gives, if it has one; else
        ``refusal``."""
        cached = self.cache.get(op.name)
        if cached is None:
            return refusal
        obj, rights, service_type = cached
        if isinstance(op, Connect) and op.service_type != service_type:
            return Err(E.TypeMismatch)
        self.state, h = new_handle(self.state, Pid(pid), obj, Kind.PORT, rights, None)
        return Ok(int(h))


class CloseKeepsBindings(Mutant):
    """Closing a port leaves its bindings: the name still resolves, to a
    closed port, and stays taken (against PORT-CLOSE and NS-BIND: a binding
    dies with its port)."""

    rules = (R.PORT_CLOSE, R.NS_BIND)

    def apply(self, pid: int, op: Operation) -> Result:
        c = self.cap(pid, op.handle, Kind.PORT) if isinstance(op, Close) else None
        if c is None:
            return self.spec_apply(pid, op)
        ns = self.state.namespace
        kept = {n: b for n, b in ns.items() if self.state.caps[b.cap].obj == c.obj}
        for name in kept:
            ns = ns.delete(name)
        self.state = replace(self.state, namespace=ns)
        r = self.spec_apply(pid, op)
        ns = self.state.namespace
        for name, b in kept.items():
            ns = ns.set(name, b)
        self.state = replace(self.state, namespace=ns)
        return r


__all__ = [
    "AmbientNamespace",
    "BindPublishesHeldRights",
    "BindReplaces",
    "CloseKeepsBindings",
    "ConnectIgnoresType",
    "LookupFullRights",
    "StaleLookupAfterUnbind",
    "UnbindWithoutManage",
]
