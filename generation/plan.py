"""Plans: multi-step flows written against the spec's own next states.

A scenario decides all its steps before the first one runs (the state machine
runs them as one rule). A long flow (a capability sent by P1, received in P2,
then used, derived, forwarded and revoked from the origin) needs to know what
each step will return: the handle a ``CreatePort`` gives, the handles a
``Receive`` installs, whether a send was admitted. A ``Plan`` knows, because it
applies every step it adds to a copy of the spec state with the spec's own
``step`` (the one source of truth: the plan never guesses a rule). The steps
then run for real, on the target and the spec, like any others.

A plan only adds operations of the groups the target claims (the harness
refuses any other): ``do`` skips the rest and returns ``None``, so flows can
offer optional steps without checking every group themselves.

``MASKS`` are the attenuated rights flows derive with: the interesting subsets
(MANAGE+GRANT without READ or WRITE, SEND without GRANT, RECEIVE only ...)
rather than random bits that shrink towards no rights at all.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Buffer, KernelState, Kind, Process, Running
from veridian_ipc.spec.step import step
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import Handle, Pid
from veridian_ipc.vocabulary.results import Delivered, Ok, Result
from veridian_ipc.vocabulary.rights import (
    GRANT,
    MANAGE,
    READ,
    RECEIVE,
    SEND,
    WRITE,
)
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Lookup,
    Operation,
    Spawn,
)

from .context import Gen, Steps
from .registry import OP_GROUP

#: Attenuated rights worth deriving, by kind: each lacks something an
#: operation needs (RIGHTS-REQUIRED), and those with GRANT can travel.
MASKS: dict[Kind, tuple[int, ...]] = {
    Kind.PORT: (
        SEND | GRANT,
        SEND,
        RECEIVE | GRANT,
        MANAGE | GRANT,
        SEND | RECEIVE,
        MANAGE,
        RECEIVE,
        SEND | RECEIVE | GRANT,
    ),
    Kind.BUFFER: (
        MANAGE | GRANT,
        READ | GRANT,
        READ,
        READ | WRITE,
        MANAGE | GRANT | READ,
        WRITE | GRANT,
    ),
    Kind.CHANNEL: (SEND | GRANT, RECEIVE | GRANT, SEND, RECEIVE, MANAGE | GRANT),
}


class Plan:
    """Steps being written, and the spec state they lead to."""

    def __init__(self, g: Gen) -> None:
        self.g = g
        self.s: KernelState = g.s
        self.steps: Steps = []

    def has(self, *groups: str) -> bool:
        """The target claims every one of ``groups``."""
        return all(x in self.g.groups for x in groups)

    def do(self, pid: int, op: Operation) -> Result | None:
        """Add a step (of a claimed group) and return the spec's result."""
        if OP_GROUP[type(op).__name__] not in self.g.groups:
            return None
        self.s, r = step(self.s, pid, op)
        self.steps.append((pid, op))
        return r

    def value(self, pid: int, op: Operation) -> object:
        """Add a step; its result's value if it succeeded, else ``None``."""
        r = self.do(pid, op)
        return r.value if isinstance(r, Ok) else None

    def handle(self, pid: int, op: Operation) -> int | None:
        """Add a step that creates a handle; the handle, or ``None``."""
        v = self.value(pid, op)
        return v if type(v) is int else None

    def delivered(self, pid: int, op: Operation) -> list[int]:
        """Add a receive (or resume); the handles it installed."""
        v = self.value(pid, op)
        if isinstance(v, Delivered):
            return [h for h in v.caps if h is not None]
        return []

    def running(self) -> list[int]:
        """Running processes, in pid order."""
        return sorted(
            int(p) for p, q in self.s.processes.items() if isinstance(q.status, Running)
        )

    def processes(self, n: int) -> list[int] | None:
        """``n`` distinct running processes (drawn), spawning if need be and
        allowed; ``None`` if there are not enough."""
        while len(self.running()) < n and self.has("caps"):
            self.do(0, Spawn())
        pool = self.running()
        if len(pool) < n:
            return None
        out: list[int] = []
        for _ in range(n):
            p = int(self.g.pick([x for x in pool if x not in out]))
            out.append(p)
        return out

    def _table(self, pid: int) -> Process | None:
        """The record holding the tables of ``pid``'s task (PROC-THREAD)."""
        if Pid(pid) not in self.s.processes:
            return None
        return table_of(self.s, Pid(pid))

    def fresh(self, pid: int) -> int:
        """The next handle ``pid`` would get (never issued yet); 1 if ``pid``
        is not a process."""
        p = self._table(pid)
        return 1 if p is None else p.next_handle

    def rights_of(self, pid: int, handle: int) -> int:
        """The rights behind ``pid``'s ``handle`` (0 if none)."""
        p = self._table(pid)
        cid = None if p is None else p.handles.get(Handle(handle))
        return 0 if cid is None else self.s.caps[cid].rights

    def kind_of(self, pid: int, handle: int) -> Kind | None:
        """The kind behind ``pid``'s ``handle``, if it is live."""
        p = self._table(pid)
        cid = None if p is None else p.handles.get(Handle(handle))
        return None if cid is None else self.s.caps[cid].kind

    def size_of(self, pid: int, handle: int) -> int | None:
        """The size of the buffer behind ``pid``'s ``handle``, if it is one."""
        p = self._table(pid)
        cid = None if p is None else p.handles.get(Handle(handle))
        obj = None if cid is None else self.s.objects.get(self.s.caps[cid].obj)
        return obj.size if isinstance(obj, Buffer) else None

    def mask(self, kind: Kind, need: int = 0) -> int:
        """An interesting attenuated mask of ``kind`` that keeps ``need``."""
        masks = [m for m in MASKS[kind] if m & need == need] or [need]
        return int(self.g.pick(masks))

    def derive(self, pid: int, handle: int, need: int = 0) -> int | None:
        """Derive an attenuated copy (keeping ``need``); its handle."""
        kind = self.kind_of(pid, handle)
        if kind is None:
            return None
        mask = self.mask(kind, need) & self.rights_of(pid, handle)
        return self.handle(pid, Derive(handle, mask))

    def create(self, pid: int, kind: Kind) -> int | None:
        """A new port (capacity 3), buffer (8 or 4 bytes) or channel (2
        slots of 4 bytes) of ``pid``."""
        if kind is Kind.BUFFER:
            return self.handle(pid, CreateBuffer(int(self.g.pick([8, 4]))))
        if kind is Kind.CHANNEL:
            return self.handle(pid, CreateChannel(2, 4))
        return self.handle(pid, CreatePort(3))

    def free_name(self) -> str:
        """A valid name not bound now (the small pool first)."""
        for n in self.g.names_pool():
            if n not in self.s.namespace:
                return n
        i = 0
        while f"n{i}" in self.s.namespace:
            i += 1
        return f"n{i}"

    def link(self, sender: int, receiver: int) -> tuple[int, int] | None:
        """A port ``receiver`` receives on and ``sender`` can send to (with
        GRANT too): ``receiver`` creates and binds it, ``sender`` looks it up.
        Returns (sender's handle, receiver's handle)."""
        if not self.has("namespace"):
            return None
        hr = self.create(receiver, Kind.PORT)
        if hr is None:
            return None
        name = self.free_name()
        self.do(receiver, Bind(hr, name, 0, SEND | GRANT))  # published (NS-BIND)
        hs = self.handle(sender, Lookup(name))
        return None if hs is None else (hs, hr)


__all__ = ["MASKS", "Plan"]
