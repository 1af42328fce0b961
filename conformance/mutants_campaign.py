"""The mutant campaign: run the suite against each mutant, over seeds.

``run_mutant`` runs the conformance suite (no shrinking) against one mutant
until it diverges from the spec, i.e. until the mutant is *killed*, or the
profile's examples run out (it *survived*). The *seed* picks the sequence of
steps the suite explores (``runner.seed_for``: 0 is the derandomized sequence
CI runs); a mutant killed under one seed may survive another, so a campaign
can run every mutant under several seeds.

``run_campaign`` does it for every mutant of the catalogue
(``mutants.MUTANTS``) or a chosen few, under each seed asked for, and reports
the *matrix* (mutant x seed: killed or not, steps and seconds to the first
divergence), per seed the kill rate, the survivors and the median steps and
seconds to kill, and over all seeds the kill rate (a mutant counts as killed
only if it is killed under every seed). Equivalent mutants are reported but
not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .mutants_base import Mutant


@dataclass
class MutantResult:
    """How the suite fared against one mutant (under one seed)."""

    name: str
    rules: list[str]
    killed: bool
    steps: int | None
    seconds: float | None
    kind: str | None = None
    equivalent: bool = False
    seed: int | None = None

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
            "seed": self.seed,
        }


def run_mutant(
    cls: type[Mutant],
    profile: str = "ci",
    max_examples: int | None = None,
    seed: int | None = None,
) -> MutantResult:
    """Run the suite (no shrinking) against one mutant until it is killed;
    ``seed`` as ``run_conformance`` takes it (None: the profile's default, 0
    for ``ci``)."""
    from .runner import run_conformance
    from .targets import InProcessDriver

    started = time.perf_counter()
    report = run_conformance(
        InProcessDriver(cls),
        profile,
        max_examples=max_examples,
        shrink=False,
        seed=seed,
        stop_at_first=True,  # one divergence is a kill
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
        seed=report.seed,
    )


def _summary(results: Sequence[MutantResult]) -> dict[str, object]:
    """Kill rate, survivors and median steps/seconds to kill of one column."""
    counted = [r for r in results if not r.equivalent]
    killed = [r for r in counted if r.killed]
    steps = sorted(r.steps for r in killed if r.steps is not None)
    secs = sorted(r.seconds for r in killed if r.seconds is not None)
    return {
        "kill_rate": len(killed) / len(counted) if counted else 1.0,
        "killed": len(killed),
        "total": len(counted),
        "median_steps": _median(steps),
        "median_seconds": None if not secs else round(_median(secs) or 0.0, 3),
        "survivors": [r.name for r in counted if not r.killed],
    }


def run_campaign(
    profile: str = "ci",
    mutants: Sequence[type[Mutant]] | None = None,
    max_examples: int | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
    seeds: Sequence[int] | None = None,
) -> dict[str, object]:
    """Run every mutant (``mutants``, or the whole catalogue when None) under
    every seed of ``seeds`` (None: once, under the profile's default seed).

    The report: ``mutants`` (the results of the first seed, one per mutant),
    ``matrix`` (one row per mutant: its name, rules, and per seed its result,
    in the order of ``seeds``), ``per_seed`` (per seed: the kill rate, the
    survivors, the median steps and seconds to kill), and over all seeds:
    ``kill_rate``, ``killed`` and ``total`` (a mutant is killed if every seed
    kills it), ``median_steps`` and ``median_seconds`` (over every kill),
    ``survivors`` (the mutants some seed did not kill) and ``surviving``
    (each ``[mutant, seed]`` that survived). ``on_result`` sees each result as
    it comes, mutant by mutant, seed by seed. An empty ``seeds`` is a
    ``ValueError``.
    """
    if mutants is None:
        from .mutants import MUTANTS  # the catalogue's index imports this module

        mutants = MUTANTS
    if seeds is not None and not seeds:
        # no run is no kill: an empty campaign must not report 100%
        raise ValueError("seeds must name at least one seed")
    columns: list[int | None] = [None] if seeds is None else list(seeds)
    rows: list[list[MutantResult]] = []
    for cls in mutants:
        row = []
        for seed in columns:
            if seed is None:
                res = run_mutant(cls, profile, max_examples)
            else:
                res = run_mutant(cls, profile, max_examples, seed=seed)
            if res.seed is None:
                res.seed = seed
            row.append(res)
            if on_result is not None:
                on_result(res)
        rows.append(row)
    per_seed = []
    for i, seed in enumerate(columns):
        column = [row[i] for row in rows]
        per_seed.append({"seed": column[0].seed if column else seed} | _summary(column))
    every = [res for row in rows for res in row]
    counted = [row for row in rows if row and not row[0].equivalent]
    survivors = [row[0].name for row in counted if not all(r.killed for r in row)]
    overall = _summary(every)
    return {
        "profile": profile,
        "seeds": [col["seed"] for col in per_seed],
        "mutants": [row[0].to_json() for row in rows if row],
        "matrix": [
            {
                "name": row[0].name,
                "rules": row[0].rules,
                "equivalent": row[0].equivalent,
                "results": [r.to_json() for r in row],
                "median_steps": _median(
                    sorted(r.steps for r in row if r.killed and r.steps is not None)
                ),
            }
            for row in rows
            if row
        ],
        "per_seed": per_seed,
        "kill_rate": (len(counted) - len(survivors)) / len(counted) if counted else 1.0,
        "killed": len(counted) - len(survivors),
        "total": len(counted),
        "median_steps": overall["median_steps"],
        "median_seconds": overall["median_seconds"],
        "survivors": survivors,
        "surviving": [[r.name, r.seed] for row in counted for r in row if not r.killed],
    }


def format_matrix(campaign: dict[str, Any]) -> list[str]:
    """The campaign report (``run_campaign``) as lines of text: the matrix,
    one row per mutant and one column per seed with the steps to kill (or
    SURVIVED) and the row's median; then per seed the kill rate and the median
    steps to kill; then the overall kill rate."""
    seeds = [str(s) for s in campaign["seeds"]]
    table = [["mutant", *(f"seed {s}" for s in seeds), "median"]]
    for row in campaign["matrix"]:
        median = row["median_steps"]
        table.append(
            [
                row["name"] + (" (equivalent)" if row["equivalent"] else ""),
                *(
                    str(r["steps"]) if r["killed"] else "SURVIVED"
                    for r in row["results"]
                ),
                "-" if median is None else f"{median:g}",
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(
            f"{text:<{w}}" if i == 0 else f"{text:>{w}}"
            for i, (text, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    lines.extend(_seed_line(col) for col in campaign["per_seed"])
    lines.append(
        f"kill rate {campaign['kill_rate']:.0%} ({campaign['killed']}/"
        f"{campaign['total']} killed under every seed of {len(seeds)}), median "
        f"{_steps(campaign)} steps, {campaign['median_seconds']} s to the first "
        "divergence"
    )
    return lines


def _seed_line(col: dict[str, Any]) -> str:
    """One seed's kill rate, median steps and seconds, and its survivors."""
    survived = col["survivors"]
    return (
        f"seed {col['seed']}: kill rate {col['kill_rate']:.0%} "
        f"({col['killed']}/{col['total']}), median {_steps(col)} steps, "
        f"{col['median_seconds']} s to the first divergence"
        + (f"; survived: {', '.join(survived)}" if survived else "")
    )


def _steps(report: dict[str, Any]) -> str:
    steps = report["median_steps"]
    return "-" if steps is None else f"{steps:g}"


def _median(xs: list[int] | list[float]) -> float | None:
    if not xs:
        return None
    mid = len(xs) // 2
    return float(xs[mid]) if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


__all__ = ["MutantResult", "format_matrix", "run_campaign", "run_mutant"]
