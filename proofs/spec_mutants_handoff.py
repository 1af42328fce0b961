"""Seeded spec bugs in the hand-off's slot (PORT-HANDOFF, PORT-SEND, PROC-KILL).

Entries of ``spec_mutants.MUTANTS``: a message handed to a waiting receiver
keeps its slot in the port's capacity until ``Resume`` collects it, and goes
back to the port if the receiver dies first. Each function here breaks one
half of that; the exhaustive check must catch both (STEP-MESSAGES-CONSERVED,
INV-QUEUE-BOUND).
"""

from __future__ import annotations

from veridian_ipc.spec.filters import admit
from veridian_ipc.spec.state import Filter, KernelState
from veridian_ipc.spec.store import port
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import ObjId, Pid


def give_back_nothing(s: KernelState, pid: Pid) -> KernelState:
    """PROC-KILL that lets an uncollected hand-off die with its receiver."""
    return s


def offer_ignoring_handed(
    s: KernelState, obj: ObjId, msg_type: int, size: int
) -> Filter | IpcError | None:
    """PORT-SEND whose room check forgets the slots of uncollected hand-offs."""
    pt = port(s, obj)
    if pt.closed:
        return IpcError.PortClosed
    admitted = admit(pt.filter, msg_type, size, s.clock)
    if isinstance(admitted, IpcError):
        return admitted
    if not pt.waiters and len(pt.queue) >= pt.capacity:
        return IpcError.PortFull
    return admitted


__all__ = ["give_back_nothing", "offer_ignoring_handed"]
