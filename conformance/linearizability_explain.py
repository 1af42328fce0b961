"""Linearizability reports: the verdict, and the explanation of a failure.

``check`` (``linearizability_search``) returns a ``Report``: the ``Verdict``,
the witness (the ``Placed`` steps in linearization order) on success, and on
failure what explains it. ``describe`` reads it out:

- the longest prefix of steps the search could place;
- at that point, each call that could come next and why it could not
  (``Attempt``: the spec's result against the recorded one, or a step the spec
  accepted but after which every continuation failed);
- the call whose response closed the window (``barrier``): every call still
  to place was invoked after it returned, so nothing else could come first;
- the calls that returned and were never placed.

An ``UNDECIDED`` report (the search budget ran out) says only how far the
search got: it is never read as a violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from veridian_ipc.vocabulary.results import Result

from .linearizability_history import Call, StepOp, step_text


class Verdict(StrEnum):
    """The outcome of a check."""

    LINEARIZABLE = "linearizable"
    VIOLATION = "not linearizable"
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class Placed:
    """One step of the witness: call ``call`` (index into the history) took
    step ``op`` and the spec returned ``result``."""

    call: int
    op: StepOp
    result: Result


@dataclass(frozen=True, slots=True)
class Attempt:
    """A call that could have come next at the deepest point of a failed search."""

    call: int
    op: StepOp
    got: Result
    expected: Result | None
    explored: bool
    """True: the spec accepted the step, and what follows was explored and failed."""


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict, the witness (if linearizable) and what the search did."""

    verdict: Verdict
    calls: tuple[Call, ...]
    witness: tuple[Placed, ...]
    """The full order on success; the longest accepted prefix otherwise."""
    attempts: tuple[Attempt, ...]
    barrier: int | None
    """On failure: the call whose response no later call could be placed before."""
    nodes: int
    cache: int
    seconds: float
    budget: str = ""

    @property
    def ok(self) -> bool:
        """True only when a witness was found."""
        return self.verdict is Verdict.LINEARIZABLE

    def describe(self, limit: int = 40) -> str:
        """A readable account: the verdict, then the witness or the failure."""
        return describe(self, limit)


def _result_text(r: Result | None) -> str:
    if r is None:
        return "(never returned)"
    text = repr(r)
    return text if len(text) <= 110 else text[:107] + "..."


def _call_text(report: Report, i: int) -> str:
    c = report.calls[i]
    t0 = min((x.invoked for x in report.calls), default=0)
    end = "..." if c.responded is None else f"{(c.responded - t0) / 1000:.3f}"
    who = f"pid {c.pid}" + (f" [{c.thread}]" if c.thread else "")
    ops = " ; ".join(step_text(o) for o in c.ops)
    return (
        f"#{i} {who} {ops} -> {_result_text(c.result)}"
        f"  @[{(c.invoked - t0) / 1000:.3f}, {end}] us"
    )


def describe(report: Report, limit: int = 40) -> str:
    """The report as text: verdict and statistics, then the witness (or the
    longest accepted prefix), then for a failure what could not be placed."""
    n = len(report.calls)
    steps = sum(len(c.ops) for c in report.calls)
    lines = [
        f"{report.verdict.value}: {n} calls; {report.nodes} search nodes, "
        f"{report.cache} cached configurations, {report.seconds:.3f} s"
        + (f" (budget spent: {report.budget})" if report.budget else "")
    ]
    if report.ok:
        lines.append("witness (linearization order):")
    else:
        lines.append(
            f"longest accepted prefix: {len(report.witness)} steps "
            f"(of at most {steps}):"
        )
    shown = report.witness[-limit:] if not report.ok else report.witness[:limit]
    skipped = len(report.witness) - len(shown)
    if skipped and not report.ok:
        lines.append(f"  ... {skipped} earlier steps")
    lines.extend(
        f"  #{p.call} pid {report.calls[p.call].pid}: "
        f"{step_text(p.op)} -> {_result_text(p.result)}"
        for p in shown
    )
    if skipped and report.ok:
        lines.append(f"  ... {skipped} more steps")
    if report.ok:
        return "\n".join(lines)
    if report.verdict is Verdict.UNDECIDED:
        lines.append("the search stopped before deciding; raise the budget")
        return "\n".join(lines)
    lines.append("then no call could be placed next:")
    if not report.attempts:
        lines.append("  (no call was invoked early enough)")
    for a in report.attempts:
        lines.append(f"  {_call_text(report, a.call)}")
        if a.explored:
            lines.append(
                f"    step {step_text(a.op)} is accepted ({_result_text(a.got)}), "
                "but every continuation fails"
            )
        elif a.expected is None:
            lines.append(
                f"    step {step_text(a.op)}: the spec says {_result_text(a.got)}, "
                "the call should have gone on waiting (Ok(BLOCKED))"
            )
        else:
            lines.append(
                f"    step {step_text(a.op)}: the spec says {_result_text(a.got)}, "
                f"the call returned {_result_text(a.expected)}"
            )
    if report.barrier is not None:
        if report.barrier in {a.call for a in report.attempts}:
            lines.append(
                f"and #{report.barrier} returned before every other remaining call "
                "was invoked, so nothing else could be placed before it"
            )
        else:
            lines.append(
                "and every other remaining call was invoked after this one "
                f"returned, so it had to come first:\n  "
                f"{_call_text(report, report.barrier)}"
            )
    placed = {p.call for p in report.witness}
    unplaced = [
        i
        for i, c in enumerate(report.calls)
        if c.responded is not None and i not in placed
    ]
    lines.append(f"returned calls never placed ({len(unplaced)}):")
    lines.extend(f"  {_call_text(report, i)}" for i in unplaced[:limit])
    if len(unplaced) > limit:
        lines.append(f"  ... {len(unplaced) - limit} more")
    return "\n".join(lines)


__all__ = ["Attempt", "Placed", "Report", "Verdict", "describe"]
