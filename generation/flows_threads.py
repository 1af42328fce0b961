"""Flows of threads within a process (PROC-THREAD, PROC-STATUS, PROC-KILL).

A random walk seldom lines these up: a second thread must be spawned in a
process that holds a port, then both threads must block on it while a third
party (or a running sibling) sends. The flow writes that story as a
``Plan``: process A gets a port and one or two more threads; the new thread
uses A's handle (the table is shared); one or two threads of A wait on the
port; a running sibling derives and inspects while they wait; another
process B, or the sibling, sends (hand-offs serve the waiting threads in
FIFO order, whatever their task); sometimes a sibling drops the capability a
thread waits through (its receive ends), and sometimes A is killed through
one of its threads (every thread ends). Every choice is drawn through the
``Gen``, so the flow shrinks like the rest.
"""

from __future__ import annotations

from veridian_ipc.spec.state import Kind
from veridian_ipc.vocabulary.rights import PORT_RIGHTS, SEND
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    Receive,
    Resume,
    Send,
    SpawnThread,
)

from .context import Gen, Steps
from .plan import Plan


def threads(g: Gen) -> Steps:
    """Two threads of one process wait on its port and are served FIFO; a
    running sibling acts on the shared table meanwhile; the process may be
    killed through any thread (PROC-THREAD, PROC-KILL)."""
    p = Plan(g)
    procs = p.processes(2 if p.has("namespace") else 1)
    if procs is None:
        return p.steps
    a = procs[0]
    port = p.create(a, Kind.PORT)
    if port is None:
        return p.steps
    t = p.handle(0, SpawnThread(a))
    if t is None:
        return p.steps
    sib = p.handle(0, SpawnThread(int(g.pick([a, t])))) if g.roll() < 50 else None
    p.do(t, Inspect(port))  # the new thread uses the task's handle
    waiting = [x for x in (a, t) if g.roll() < 80]
    for x in waiting:
        p.do(x, Receive(port, None))
    actor = sib if sib is not None else None
    if actor is not None:
        copy = p.handle(actor, Derive(port, SEND))
        p.do(actor, Inspect(port))
        if copy is not None and g.roll() < 50:
            p.do(actor, Drop(copy))
    sender: int | None = actor
    via = port
    if len(procs) > 1 and g.roll() < 60:
        name = p.free_name()
        p.do(actor if actor is not None else a, Bind(port, name, 0, PORT_RIGHTS))
        got = p.handle(procs[1], Lookup(name))
        if got is not None:
            sender, via = procs[1], got
    if g.roll() < 20 and actor is not None and waiting:
        p.do(actor, Drop(port))  # the waiters' receives end
    elif sender is not None:
        for i in range(len(waiting)):
            p.do(sender, Send(via, 0, 0, bytes([i])))
    for x in waiting:
        if g.roll() < 70:
            p.do(x, Resume())
    if g.roll() < 40:
        p.do(0, Kill(int(g.pick([x for x in (a, t, sib) if x is not None]))))
    return p.steps


__all__ = ["threads"]
