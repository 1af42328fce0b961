"""Resource quotas (spec/quotas.py): handles per process, objects per system,
queued bytes per process; exhaustion is ``OutOfMemory`` and changes nothing.

Usage is read from the model's own state, as the spec reads it from its
state: a handle table's size, the objects created, and the inline bytes of a
process's messages not yet collected (in port queues or in a woken
receiver's kept hand-off slot, PORT-HANDOFF). That last sum walks every port
and process, so it is taken only when the quota can be met at all
(``Config.queued_bytes_reachable``); with the defaults it cannot.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.results import Delivered, Err, Ok

from .state import Message, Port, Process, State
from .store import E_OUT_OF_MEMORY, wake


def handle_room(st: State, p: Process, n: int = 1) -> bool:
    """``p``'s table has room for ``n`` more handles."""
    return len(p.handles) + n <= st.config.max_handles


def check_handles(st: State, p: Process, n: int = 1) -> Err | None:
    """``OutOfMemory`` if ``p``'s table has no room for ``n`` more handles."""
    return None if handle_room(st, p, n) else E_OUT_OF_MEMORY


def check_objects(st: State) -> Err | None:
    """``OutOfMemory`` if the system has created ``max_objects`` objects."""
    return E_OUT_OF_MEMORY if len(st.objects) >= st.config.max_objects else None


def check_create(st: State, p: Process) -> Err | None:
    """The quotas of a create: one object, one handle."""
    return check_objects(st) or check_handles(st, p)


def carried(msg: Message) -> int:
    """The capabilities a delivery of ``msg`` installs."""
    caps = msg.caps
    return sum(1 for c in caps if c is not None) if caps else 0


def check_delivery(st: State, p: Process, msg: Message) -> Err | None:
    """``OutOfMemory`` if ``p``'s table has no room for ``msg``'s capabilities."""
    return check_handles(st, p, carried(msg)) if msg.caps else None


def queued_bytes(st: State, pid: int) -> int:
    """The inline bytes of the messages of ``pid``'s task (any of its threads,
    PROC-THREAD) not yet collected: queued, or in a woken receiver's kept
    hand-off slot (PORT-HANDOFF, spec/quotas.py); a hand-off from a
    reclaimed port keeps no slot (spec/reclaim.py)."""
    senders = {t.pid for t in st.processes[pid].threads}  # its task's
    queued = sum(
        len(m.data)
        for o in st.objects.values()
        if type(o) is Port and o.queue
        for m in o.queue
        if m.sender in senders
    )
    from .ports import handoffs  # here: model/ports.py imports this module

    objects = st.objects
    for w in handoffs(st):
        assert w.handed is not None
        if objects.get(w.handed.id) is w.handed:  # not reclaimed (CAP-RECLAIM)
            r = w.result
            if (
                type(r) is Ok
                and type(r.value) is Delivered
                and r.value.sender in senders
            ):
                queued += len(r.value.data)
    return queued


def check_queued(st: State, pid: int, port: Port, size: int) -> Err | None:
    """``OutOfMemory`` if sending ``size`` bytes to ``port`` takes ``pid``'s task
    over ``max_queued_bytes``: every send with data, receivers waiting or not (a
    hand-off's bytes count until collected)."""
    del port  # queued or handed off, the bytes count the same
    cfg = st.config
    if not size or not cfg.queued_bytes_reachable:
        return None
    used = queued_bytes(st, pid)
    return E_OUT_OF_MEMORY if used + size > cfg.max_queued_bytes else None


def refuse_unfit_waiters(st: State, port: Port, msg: Message) -> None:
    """Wake with ``OutOfMemory`` each first waiter whose table has no room for
    ``msg``'s capabilities (PORT-HANDOFF then serves the next, or queues)."""
    if not msg.caps:
        return
    ws = port.waiters
    while ws and not handle_room(st, ws[0].proc, carried(msg)):
        wake(st, ws[0], E_OUT_OF_MEMORY)


__all__ = [
    "carried",
    "check_create",
    "check_delivery",
    "check_handles",
    "check_objects",
    "check_queued",
    "handle_room",
    "queued_bytes",
    "refuse_unfit_waiters",
]
