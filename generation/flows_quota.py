"""A flow of resource exhaustion: a process fills its handle table, then
receives a message whose capability no longer fits, then queues more bytes
than its quota allows (spec/quotas.py).

The quotas of ``configs.SMALL`` (20 handles, 72 queued bytes per process)
are met by a random walk now and then; this flow meets each of them on
purpose, in the order a kernel meets them: a derive or create refused with
``OutOfMemory`` (nothing changed, ERR-ATOMIC), a receive refused with the
message left first in the queue (PORT-RECEIVE), a send refused with the
queue unchanged (PORT-SEND), and a send handed to a waiting
receiver refused too (a hand-off's bytes count until collected,
PORT-HANDOFF). Every choice is drawn through the ``Gen``, so the flow
shrinks like the others.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, Pid
from veridian_ipc.vocabulary.results import Err
from veridian_ipc.vocabulary.rights import SEND
from veridian_ipc.vocabulary.syscalls import Derive, Drop, Receive, Resume, Send

from .context import Gen, Steps
from .plan import Plan


def exhaust(g: Gen) -> Steps:
    """P creates a port and sends itself a message carrying a second port,
    derives SEND copies until its table is full (the last derive refused),
    receives (refused: the capability does not fit), drops a copy and
    receives again (delivered), then sends large messages until the
    queued-bytes quota refuses one; then sends a large message to
    a process waiting on its own port (``_to_a_waiter``)."""
    p = Plan(g)
    procs = p.processes(1)
    if procs is None:
        return p.steps
    a = procs[0]
    port = p.create(a, Kind.PORT)
    carried = None if port is None else p.create(a, Kind.PORT)
    if port is None or carried is None:
        return p.steps
    if p.has("messages", "rights"):
        p.do(a, Send(port, 0, 0, b"", (carried,)))
    last = None
    for _ in range(p.s.config.max_handles + 1):
        r = p.do(a, Derive(port, SEND))
        if r is None or isinstance(r, Err):
            break
        last = r.value
    p.do(a, Receive(port, 0))  # refused while the table is full
    if isinstance(last, int) and g.roll() < 70:
        p.do(a, Drop(last))
        p.do(a, Receive(port, 0))
    size = int(g.pick([MAX_INLINE_DATA, 40, MAX_INLINE_DATA // 2]))
    for _ in range(4):
        proc = p.s.processes.get(Pid(a))
        if proc is None:
            break
        r = p.do(a, Send(port, 0, 0, bytes(size)))
        if r is None or isinstance(r, Err):
            break
    _to_a_waiter(p, a, port, size)
    return p.steps


def _to_a_waiter(p: Plan, a: int, port: int, size: int) -> None:
    """``a`` (its queued bytes near the quota) frees two handles and links
    to another process ``b`` waiting on its port: a send of ``size`` bytes is
    refused like a queued one and ``b`` keeps waiting; one byte is handed
    off, counted until ``b`` collects it (PORT-HANDOFF, spec/quotas.py)."""
    pool = p.processes(2)
    proc = p.s.processes.get(Pid(a))
    if pool is None or proc is None:
        return
    b = pool[0] if pool[0] != a else pool[1]
    for h in [h for h in sorted(proc.handles) if h != port][-2:]:
        p.do(a, Drop(h))
    link = p.link(a, b)
    if link is None:
        return
    ha, hb = link
    p.do(b, Receive(hb, None))
    p.do(a, Send(ha, 0, 0, bytes(size)))
    p.do(a, Send(ha, 0, 0, b"x"))
    p.do(b, Resume())


__all__ = ["exhaust"]
