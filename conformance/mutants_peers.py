"""Mutants of peer death (PORT-CLOSE's implicit close, spec/orphans.py): a
port whose receivers are all gone that stays open, so its senders get ``Ok``
until the queue is full, then ``PortFull``, and never ``PortClosed``.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId as R
from veridian_ipc.spec.step import MAY_ORPHAN, apply_rule
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.syscalls import Operation

from .mutants_base import Mutant


class OrphanPortStaysOpen(Mutant):
    """A port nobody can receive from any more (its last RECEIVE dropped,
    killed with its process, or sent into a cycle) stays open with its queue:
    the step's rule runs, the abandoning does not."""

    rules = (R.PORT_CLOSE, R.PROC_KILL, R.CAP_DROP)

    def apply(self, pid: int, op: Operation) -> Result:
        if type(op) not in MAY_ORPHAN:
            return self.spec_apply(pid, op)
        self.state, r = apply_rule(self.state, pid, op)
        return r


__all__ = ["OrphanPortStaysOpen"]
