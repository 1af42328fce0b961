"""What a mutant is: the spec as a target, with one rule perturbed.

A mutant subclasses ``SpecTarget`` and overrides ``apply``: it runs the spec's
own ``step`` (``spec_apply``) and bends the outcome of one rule (named in
``rules``) the way a real implementation could get it wrong. It bends it with
the spec's state and bookkeeping helpers, never with an implementation, so
the catalogue (``mutants``) says nothing about any one implementation.

The helpers here are the few shapes every perturbation is made of: find the
capability or object behind a handle, edit one node of the state (a
capability, a port, a process), apply an operation with a port or a handle
temporarily changed and put it back afterwards, give a process a copy of a
capability it should have lost, cut a capability out of the derivation tree,
find the messages a step delivered (to the caller, or handed to a waiting
receiver) and edit what a receiver was given. Many mutants bend what happens
when the spec refuses an operation (a check left out, the wrong error
reported): those are ``Refusal`` mutants, which say which refusal and what
happens instead.

A mutant whose difference no sequence of operations can show is *equivalent*
and says so (``equivalent = True``); the campaign does not count it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

from veridian_ipc.spec import IpcError, RuleId
from veridian_ipc.spec.caps import new_handle, resolve
from veridian_ipc.spec.state import (
    Cap,
    KernelState,
    Kind,
    Port,
    Process,
    Running,
    Waiting,
    Woken,
)
from veridian_ipc.spec.store import port, proc, put_cap, put_obj, put_proc
from veridian_ipc.spec.tasks import put_table, table_of
from veridian_ipc.vocabulary.names import CapId, Handle, ObjId, Pid
from veridian_ipc.vocabulary.results import Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import MapBuffer, Operation, Resume, SetFilter

from .targets import SpecTarget

#: A change to one port, given the port as it is now.
PortEdit = Callable[[Port], Port]

OpT = TypeVar("OpT", bound=Operation)


class Mutant(SpecTarget):
    """A ``SpecTarget`` with one rule perturbed."""

    rules: tuple[RuleId, ...] = ()
    equivalent = False

    def spec_apply(self, pid: int, op: Operation) -> Result:
        """The unperturbed step."""
        return SpecTarget.apply(self, pid, op)

    def running(self, pid: int) -> bool:
        """``pid`` is a live, running process."""
        p = self.state.processes.get(Pid(pid))
        return p is not None and isinstance(p.status, Running)

    # -- what a handle names ------------------------------------------------------

    def cap(self, pid: int, handle: object, kind: Kind | None = None) -> Cap | None:
        """The capability behind ``pid``'s ``handle``, if live."""
        if pid not in self.state.processes or type(handle) is not int:
            return None
        found = resolve(self.state, Pid(pid), handle, kind)
        return None if isinstance(found, IpcError) else found[1]

    def live_cap(self, pid: int, handle: object, kind: Kind | None = None) -> Cap:
        """The capability behind a handle the caller knows to be live."""
        c = self.cap(pid, handle, kind)
        assert c is not None
        return c

    def cap_id(self, pid: int, handle: int) -> CapId:
        """The capability id behind a live handle."""
        return table_of(self.state, Pid(pid)).handles[Handle(handle)]

    def port_of(self, pid: int, handle: object) -> ObjId | None:
        """The port behind ``pid``'s ``handle``, if live."""
        return self._obj_of(pid, handle, Kind.PORT)

    def channel_of(self, pid: int, handle: object) -> ObjId | None:
        """The channel behind ``pid``'s ``handle``, if live."""
        return self._obj_of(pid, handle, Kind.CHANNEL)

    def _obj_of(self, pid: int, handle: object, kind: Kind) -> ObjId | None:
        c = self.cap(pid, handle, kind)
        return None if c is None else c.obj

    # -- editing the state ----------------------------------------------------------

    def set_rights(self, pid: int, handle: int, rights: int) -> None:
        """Overwrite a live handle's rights."""
        cid = self.cap_id(pid, handle)
        c = self.state.caps[cid]
        self.state = put_cap(self.state, cid, replace(c, rights=rights))

    def edit_port(self, obj: ObjId, edit: PortEdit) -> None:
        """Replace port ``obj`` by ``edit`` of it."""
        self.state = put_obj(self.state, obj, edit(port(self.state, obj)))

    def edit_proc(self, pid: int, edit: Callable[[Process], Process]) -> None:
        """Replace process ``pid`` by ``edit`` of it."""
        self.state = put_proc(self.state, Pid(pid), edit(proc(self.state, Pid(pid))))

    def edit_table(self, pid: int, edit: Callable[[Process], Process]) -> None:
        """Replace the tables of ``pid``'s task (PROC-THREAD) by ``edit`` of them."""
        t = table_of(self.state, Pid(pid))
        self.state = put_table(self.state, Pid(pid), edit(t))

    def copy_cap(self, pid: int, c: Cap) -> None:
        """Give ``pid`` a fresh handle to what ``c`` names, with its rights."""
        self.state, _ = new_handle(self.state, Pid(pid), c.obj, c.kind, c.rights, None)

    def orphan(self, cid: CapId) -> None:
        """Cut capability ``cid`` out of the derivation tree: its parent
        forgets it and it becomes a root (its own children stay under it), so
        a revoke of a former ancestor no longer reaches it."""
        c = self.state.caps[cid]
        if c.parent is None:
            return
        pc = self.state.caps[c.parent]
        self.state = put_cap(
            self.state, c.parent, replace(pc, children=pc.children - {cid})
        )
        self.state = put_cap(self.state, cid, replace(c, parent=None))

    # -- what a step delivered --------------------------------------------------

    def deliveries(
        self, before: KernelState, pid: int, op: Operation, r: Result
    ) -> list[tuple[int, Delivered, bool]]:
        """The messages the step from ``before`` delivered, as ``(receiver,
        message, direct)``: the caller's own receive (``direct``), then every
        process the step woke with a message (a hand-off, PORT-HANDOFF), by
        pid. ``Resume`` only collects what a hand-off delivered earlier."""
        out: list[tuple[int, Delivered, bool]] = []
        direct = isinstance(r, Ok) and isinstance(r.value, Delivered)
        if direct and not isinstance(op, Resume):
            assert isinstance(r, Ok)
            assert isinstance(r.value, Delivered)
            out.append((pid, r.value, True))
        for q, p in sorted(self.state.processes.items()):
            was = before.processes.get(q)
            if was is None or not isinstance(was.status, Waiting):
                continue
            got = p.status.result if isinstance(p.status, Woken) else None
            if isinstance(got, Ok) and isinstance(got.value, Delivered):
                out.append((int(q), got.value, False))
        return out

    def redeliver(
        self, receiver: int, given: Delivered, direct: bool, r: Result
    ) -> Result:
        """Make ``given`` what ``receiver`` received: the step's result if the
        delivery was ``direct``, else the outcome its ``Resume`` will collect;
        the step's result (``r``, or ``Ok(given)``)."""
        if direct:
            return Ok(given)
        self.edit_proc(receiver, lambda p: replace(p, status=Woken(Ok(given))))
        return r

    # -- applying with something changed for the duration -------------------------

    def apply_with_port(
        self, pid: int, op: Operation, obj: ObjId, during: PortEdit, after: PortEdit
    ) -> Result:
        """Apply ``op`` with port ``obj`` changed by ``during``; then change the
        port as the step left it by ``after`` (which puts the field back)."""
        self.edit_port(obj, during)
        r = self.spec_apply(pid, op)
        self.edit_port(obj, after)
        return r

    def apply_with_right(
        self, pid: int, op: SetFilter | MapBuffer, kind: Kind, right: int
    ) -> Result:
        """Apply ``op`` as if its ``handle`` also held ``right``; the handle's
        rights are restored afterwards."""
        handle = op.handle
        c = self.live_cap(pid, handle, kind)
        self.set_rights(pid, handle, c.rights | right)
        r = self.spec_apply(pid, op)
        self.set_rights(pid, handle, c.rights)
        return r


class Refusal(Mutant, Generic[OpT]):
    """A mutant that bends one refusal of the spec: when an operation of type
    ``refused_op`` fails with ``refused_with``, the result is ``instead``'s
    (which may act on the state, or keep the refusal where it does not apply).
    Every other step is the spec's."""

    refused_op: type[OpT]
    refused_with: IpcError

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.spec_apply(pid, op)
        if isinstance(op, self.refused_op) and r == Err(self.refused_with):
            return self.instead(pid, op, r)
        return r

    def instead(self, pid: int, op: OpT, refusal: Result) -> Result:
        """The mutant's result in place of ``refusal`` (``pid``'s ``op`` was
        refused, the state is unchanged)."""
        return refusal


__all__ = ["Mutant", "PortEdit", "Refusal"]
