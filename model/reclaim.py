"""Objects nobody can reach are destroyed (CAP-RECLAIM; spec/reclaim.py).

The spec computes reachability from the roots after every step; the model
keeps it local. Every capability is recorded in its object's ``caps`` (a
reference count that knows its references), and every object that lost a
capability during an operation (destroyed, or moved into a message) is a
suspect (``State.suspects``). Once the operation is complete each suspect
still alive is looked at:

- a capability to it held in a handle table, a socket or a binding (a root)
  settles it: it is reachable (the common case: one look);
- otherwise every capability to it is in flight, and the walk goes backwards
  to the ports whose queues hold them (``Cap.port``), and from each to the
  ports holding *its* capabilities, and so on. Meeting a root anywhere makes
  the suspect reachable. If the walk ends without one, every object it visited
  is held only by messages queued on objects it visited: none is reachable
  (a self-cycle, or a longer ring), and all are destroyed, with the
  capabilities their queues carry; those capabilities' objects become
  suspects in turn.

An object with no capability left is the walk's shortest case: destroyed at
once. The cost is in proportion to the capabilities and ports walked, never a
scan of the whole state.
"""

from __future__ import annotations

from .caps import destroy
from .state import IN_FLIGHT, KObject, Port, State
from .waiting import notify


def unreachable_from(obj: KObject) -> set[KObject]:
    """The objects to destroy if ``obj`` is unreachable (see the module), or
    an empty set if a root reaches it."""
    seen = {obj}
    todo = [obj]
    while todo:
        o = todo.pop()
        for c in o.caps or ():
            if c.where != IN_FLIGHT:
                return set()
            holder = c.port
            assert holder is not None
            if holder not in seen:
                seen.add(holder)
                todo.append(holder)
    return seen


def collect(st: State) -> None:
    """Destroy every suspect nobody can reach, recursively (see the module)."""
    suspects = st.suspects
    objects = st.objects
    while suspects:
        obj = suspects.pop()
        if objects.get(obj.id) is not obj:
            continue  # already destroyed
        for dead in sorted(unreachable_from(obj), key=lambda o: o.id):
            dispose(st, dead)


def dispose(st: State, obj: KObject) -> None:
    """Remove ``obj`` from the object table; a port's queued messages go with
    the capabilities they carry (their objects become suspects)."""
    del st.objects[obj.id]
    obj.closed = True
    if type(obj) is Port:
        queue = obj.queue
        obj.queue = None
        for m in queue or ():
            for c in m.caps or ():
                if c is not None:
                    destroy(st, c)
    if obj.watchers:
        notify(obj)


__all__ = ["collect", "dispose", "unreachable_from"]
