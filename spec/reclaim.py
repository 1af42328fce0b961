"""Reclamation: an object no capability can reach is destroyed (CAP-RECLAIM).

*Roots.* A capability is **rooted** when it is held in a process's handle
table (``AtHandle``: this covers the process's mappings, its blocked receive
and a woken receive's delivered handles, all made through such handles), by a
socket (``InSocket``) or by a namespace binding (``InBinding``). A capability
carried by a message queued on a port (``InFlight``) is only as reachable as
that port: whoever can reach the port can, in the end, receive the message.

*Reachable objects* are the least fixpoint: the object of every rooted
capability, and the object of every capability in flight on a reachable port.
Every other object is **unreachable**: no process holds it, nor ever can again,
since authority is obtained only from a capability one holds (CAP-HANDLE).

*The rule.* Every operation that succeeds ends (after PORT-CLOSE's abandoning
of unreceivable ports, spec/orphans.py) by destroying every unreachable
object, in the same step: a port's queued messages are destroyed with the
capabilities they carry (which may name reachable objects: those capabilities
go, their children move up to their parents as on CAP-DROP), and the object
leaves the object table. Recursion needs no second pass: an object reachable
only through a message of an unreachable port is itself unreachable.

*Observable.* The object is gone from the observation (``ports``,
``channels``, ``buffers``): its number is never reused (INV-IDS-FRESH), and no
handle can name it, since every capability to it was destroyed; a stale
handle gives ``InvalidCapability`` (CAP-HANDLE). INV-NO-UNREACHABLE states
the result: every live object is reachable.

*Cycles* (a port's queue holding the only capability to itself, or a ring
of ports each holding the only capability to the next: ``Derive(root,
SEND)``, ``root`` sent through the derived handle, the handle dropped). Such
a group is unreachable by the definition above, and is reclaimed with
everything it carries; sending into a cycle is not refused. In practice the
work is shared with PORT-CLOSE (spec/orphans.py): an unreachable port is
also unreceivable, so the operation that cut it off has already closed it
and destroyed its queue, and this rule then finds objects no capability
names at all. The reachability definition is what INV-NO-UNREACHABLE states
and the model checks (a walk back from the objects that lost a capability,
model/reclaim.py), so a cycle the abandoning missed would still be caught.

*Precedents.* Zircon destroys an object with its last handle, and the handles
in a queued channel message are owned by the message, so they die with it;
the one cycle a handle count cannot see is refused at write time
(``zx_channel_write`` of a channel's own handle into it:
``ZX_ERR_NOT_SUPPORTED``), longer rings still leak. Mach (XNU
osfmk/ipc/ipc_port.c, ``ipc_port_check_circularity``: "Check if queueing
'port' in a message for 'dest' would create a circular group of ports and
messages", walking ``dest``'s ``ip_destination`` chain) marks a message that
would move a receive right into its own chain ``MACH_MSGH_BITS_CIRCULAR``,
and ``ipc_kmsg_send`` then destroys it and returns ``MACH_MSG_SUCCESS``
("don't allow the creation of a circular loop"); cycles made of send rights
alone are not seen and leak. seL4 has no collector: memory comes back only by
revoking the untyped capability it was retyped from. This spec follows
Zircon's "the last reference destroys" and, like Mach, lets the send that
closes a cycle succeed while destroying what it sent (PORT-CLOSE); it
departs from both by settling every cycle, of any length and any rights,
by reachability instead of a send-time check of the one case each can see.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import CapId, ObjId

from .caps import destroy
from .state import InFlight, KernelState, Port, Woken
from .store import port, put_obj


def reachable(s: KernelState) -> frozenset[ObjId]:
    """The objects some root reaches (the least fixpoint; see the module)."""
    carried: dict[ObjId, list[ObjId]] = {}
    alive: set[ObjId] = set()
    todo: list[ObjId] = []
    for c in s.caps.values():
        at = c.at
        if isinstance(at, InFlight):
            carried.setdefault(at.port, []).append(c.obj)
        elif c.obj not in alive:
            alive.add(c.obj)
            todo.append(c.obj)
    while todo:
        for obj in carried.get(todo.pop(), ()):
            if obj not in alive:
                alive.add(obj)
                todo.append(obj)
    return frozenset(alive)


def unreachable(s: KernelState) -> list[ObjId]:
    """The live objects no root reaches, in id order."""
    alive = reachable(s)
    return sorted(obj for obj in s.objects if obj not in alive)


@rule(RuleId.CAP_RECLAIM)
def reclaim(s: KernelState) -> KernelState:
    """An object no capability can reach any more is destroyed.

    Run by ``step`` at the end of every operation that succeeds (after
    PORT-CLOSE's abandoning of unreceivable ports). An object is reachable
    when a capability to it is held in a handle table, a socket or a binding,
    or is carried by a message queued on a reachable port (the least
    fixpoint). Every other object leaves the object table, with the
    capabilities its queue carries (their children move up to their parents,
    as on CAP-DROP). Its number is never reused, and a handle that named it
    was destroyed before, so it gives ``InvalidCapability`` (CAP-HANDLE). A
    receiver woken by a hand-off from a reclaimed port keeps its message (it
    collects it with PORT-RESUME), but no slot is kept for it any more: were
    the receiver killed first, the message would go with it (PORT-HANDOFF).
    The module docstring gives the precedents (Zircon's last handle, Mach's
    circularity check, seL4's untyped revoke) and where this departs.
    """
    dead = unreachable(s)
    if not dead:
        return s
    doomed: list[CapId] = []
    for obj in dead:
        o = s.objects[obj]
        if isinstance(o, Port) and o.queue:
            doomed.extend(c for m in o.queue for c in m.caps if c is not None)
            s = put_obj(s, obj, replace(port(s, obj), queue=()))
    for cap_id in doomed:
        s = destroy(s, cap_id)
    objects = s.objects
    for obj in dead:
        objects = objects.delete(obj)
    processes = s.processes
    for pid, p in s.processes.items():  # a hand-off's kept slot goes with its port
        st = p.status
        if isinstance(st, Woken) and st.handed in dead:
            processes = processes.set(pid, replace(p, status=replace(st, handed=None)))
    return replace(s, objects=objects, processes=processes)


__all__ = ["reachable", "reclaim", "unreachable"]
