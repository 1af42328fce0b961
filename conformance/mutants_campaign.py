"""The mutant campaign: run the suite against each mutant, report the kill rate.

``run_mutant`` runs the conformance suite (no shrinking) against one mutant
until it diverges from the spec, i.e. until the mutant is *killed*, or the
profile's examples run out (it *survived*). ``run_campaign`` does it for every
mutant of the catalogue (``mutants.MUTANTS``) or a chosen few and reports the
kill rate, the survivors, and how fast the mutants were killed: the median
steps and seconds to the first divergence. Equivalent mutants are reported but
not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .mutants_base import Mutant


@dataclass
class MutantResult:
    """How the suite fared against one mutant."""

    name: str
    rules: list[str]
    killed: bool
    steps: int | None
    seconds: float | None
    kind: str | None = None
    equivalent: bool = False

    def to_json(self) -> dict[str, object]:
        """Plain data."""
        return {
            "name": self.name,
            "rules": self.rules,
            "killed": self.killed,
            "steps": self.steps,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "divergence": self.kind,
            "equivalent": self.equivalent,
        }


def run_mutant(
    cls: type[Mutant], profile: str = "ci", max_examples: int | None = None
) -> MutantResult:
    """Run the suite (no shrinking) against one mutant until it is killed."""
    from .runner import run_conformance
    from .targets import InProcessDriver

    started = time.perf_counter()
    report = run_conformance(
        InProcessDriver(cls), profile, max_examples=max_examples, shrink=False
    )
    # a run that executed no step ("no-steps") examined nothing: not a kill
    killed = report.status in ("diverged", "target-failure")
    div = report.divergence if isinstance(report.divergence, dict) else {}
    return MutantResult(
        name=cls.__name__,
        rules=[r.value for r in cls.rules],
        killed=killed,
        steps=report.first_divergence_steps if killed else report.steps,
        seconds=report.first_divergence_seconds
        if killed
        else time.perf_counter() - started,
        kind=div.get("kind") if killed else None,
        equivalent=cls.equivalent,
    )


def run_campaign(
    profile: str = "ci",
    mutants: Sequence[type[Mutant]] | None = None,
    max_examples: int | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> dict[str, object]:
    """Run every mutant (``mutants``, or the whole catalogue when None);
    ``{"mutants": [...], "kill_rate": R, ...}``."""
    if mutants is None:
        from .mutants import MUTANTS  # the catalogue's index imports this module

        mutants = MUTANTS
    results = []
    for cls in mutants:
        res = run_mutant(cls, profile, max_examples)
        results.append(res)
        if on_result is not None:
            on_result(res)
    counted = [r for r in results if not r.equivalent]
    killed = [r for r in counted if r.killed]
    steps = sorted(r.steps for r in killed if r.steps is not None)
    secs = sorted(r.seconds for r in killed if r.seconds is not None)
    return {
        "profile": profile,
        "mutants": [r.to_json() for r in results],
        "kill_rate": len(killed) / len(counted) if counted else 1.0,
        "killed": len(killed),
        "total": len(counted),
        "median_steps": _median(steps),
        "median_seconds": None if not secs else round(_median(secs) or 0.0, 3),
        "survivors": [r.name for r in counted if not r.killed],
    }


def _median(xs: list[int] | list[float]) -> float | None:
    if not xs:
        return None
    mid = len(xs) // 2
    return float(xs[mid]) if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


__all__ = ["MutantResult", "run_campaign", "run_mutant"]
