"""A target that crashes or hangs on a step: a divergence like any other.

When the target exits, does not answer within the step timeout, or answers
outside the protocol while a step is applied, the driver raises
``TargetFailure`` (and has already ended the program: ``protocol``). In a run
that explores every divergence (``machine.RunStats``) and while shrinking
(``shrinking``), that step becomes a ``Divergence`` of kind ``crash``,
``hang`` or ``protocol`` (``signatures.failure_kind``) whose last step shows
the spec's result beside ``{"failure": kind}``: it is recorded, shrunk and
traced like a wrong result, and the next reset starts the program again
(``ProcessDriver.reset`` restarts a program that is gone; ``InProcessDriver``
makes a fresh instance).

A failure while *resetting* stays a ``TargetFailure``: a target that cannot
start, answer ``hello`` or get ready has nothing to compare.
"""

from __future__ import annotations

from veridian_ipc.spec import step
from veridian_ipc.vocabulary.results import encode_result
from veridian_ipc.vocabulary.syscalls import Operation

from .checker import Checker, Divergence, StepRecord, check_of
from .coverage import tags
from .signatures import failure_kind
from .targets import TargetFailure


def first_line(text: str) -> str:
    """The first line of ``text`` (the driver's sentence, without the
    target's standard error that follows it)."""
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "the target failed"


def failure_divergence(
    checker: Checker, pid: int, op: Operation, fail: TargetFailure
) -> Divergence:
    """``fail``, raised while ``checker`` applied ``op``, as a divergence at
    that step (the steps before it as the checker recorded them)."""
    before = checker.spec_state
    after, result = step(before, pid, op)
    rules, path = tags(before, pid, op, result, after)
    kind = failure_kind(str(fail))
    record = StepRecord(pid, op, encode_result(result), {"failure": kind})
    record.rules = [*map(str, rules)]
    record.check = None if path is None else check_of(*path)
    steps = [*checker.steps, record]
    return Divergence(kind, first_line(str(fail)), len(steps), steps)


def apply_step(checker: Checker, pid: int, op: Operation) -> StepRecord:
    """``checker.apply(pid, op)``, a target failure on the step raised as a
    ``Divergence`` (``failure_divergence``)."""
    try:
        return checker.apply(pid, op)
    except TargetFailure as fail:
        raise failure_divergence(checker, pid, op, fail) from None


__all__ = ["apply_step", "failure_divergence", "first_line"]
