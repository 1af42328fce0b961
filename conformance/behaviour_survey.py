"""Behaviour survey: which behaviours a run reaches, seed by seed.

A ``ci`` run is derandomized at seed 0 and seeded otherwise, so each seed
explores its own fixed sequence of steps. The survey runs the profile against
a target (by default the model, in process) for several seeds and tabulates,
per behaviour of the catalogue, how many steps reached it under each seed, and
the behaviours a seed missed. A behaviour the generated steps missed is
reached by replaying its witness (``witnesses``); the table marks those counts
with ``*`` and lists them per seed, so the generators' own reach stays
measured (``--generated-only`` replays none)::

    python -m veridian_ipc.conformance.behaviour_survey --seeds 0,1,2,3
    python -m veridian_ipc.conformance.behaviour_survey --seeds 0 --missed-only

Exit status 0 when every seed reached every behaviour, 1 when one missed one,
2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .behaviours_catalogue import CATALOGUE
from .runner import PROFILES, run_conformance
from .targets import make_driver

#: The target surveyed unless told otherwise: the model, in this process.
MODEL = "veridian_ipc.model.kernel:Kernel"


@dataclass
class SeedSurvey:
    """One run's behaviour counts, and what the run was."""

    seed: int
    counts: dict[str, int]
    status: str
    steps: int
    seconds: float
    missed: list[str] = field(default_factory=list)
    #: Behaviours the generated steps missed and a witness reached.
    completed: list[str] = field(default_factory=list)


def survey_seed(
    target: str, profile: str, seed: int, complete: bool = True
) -> SeedSurvey:
    """Run ``profile`` against ``target`` under ``seed``; count behaviours
    (``complete`` False: the generated steps alone, no witness replayed)."""
    driver = make_driver(target, isolated=False)
    started = time.perf_counter()
    rep = run_conformance(driver, profile, seed=seed, shrink=False, complete=complete)
    seconds = time.perf_counter() - started
    return SeedSurvey(
        seed=seed,
        counts=dict(rep.behaviours),
        status=rep.status,
        steps=rep.steps,
        seconds=seconds,
        missed=rep.missed,
        completed=rep.completed,
    )


def format_table(surveys: Sequence[SeedSurvey], missed_only: bool = False) -> list[str]:
    """One line per behaviour (count per seed; ``*`` marks a count reached
    only by the behaviour's witness), then one line per seed."""
    head = f"{'behaviour':<36}" + "".join(f"{'s' + str(s.seed):>7}" for s in surveys)
    lines = [head]
    for b in CATALOGUE:
        row = [s.counts.get(b.id, 0) for s in surveys]
        by_witness = [b.id in s.completed for s in surveys]
        if missed_only and all(row) and not any(by_witness):
            continue
        cells = "".join(
            f"{'-':>7}" if not n else f"{str(n) + '*':>7}" if w else f"{n:>7}"
            for n, w in zip(row, by_witness, strict=True)
        )
        lines.append(f"{b.id:<36}{cells}")
    total = len(CATALOGUE)
    for s in surveys:
        reached = total - len(s.missed)
        rate = s.steps / s.seconds if s.seconds else 0.0
        lines.append(
            f"seed {s.seed}: {reached}/{total} behaviours, status {s.status}, "
            f"{s.steps} steps in {s.seconds:.1f} s ({rate:.0f} steps/s)"
        )
        if s.completed:
            lines.append(f"  reached by witness: {', '.join(s.completed)}")
        if s.missed:
            lines.append(f"  missed: {', '.join(s.missed)}")
    return lines


def seed_list(text: str) -> list[int]:
    """``--seeds``: integers >= 0 separated by commas."""
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seeds must be integers separated by commas, not {text!r}"
        ) from None
    if not seeds or any(s < 0 for s in seeds):
        raise argparse.ArgumentTypeError(f"seeds must be >= 0, not {text!r}")
    return seeds


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.behaviour_survey",
        description="behaviours reached per seed by a conformance run",
    )
    ap.add_argument("--seeds", type=seed_list, default=[0], help="N,N,... (default 0)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    ap.add_argument("--target", default=MODEL, help="package.module:Class")
    ap.add_argument(
        "--missed-only",
        action="store_true",
        help="list only behaviours some seed missed or reached by witness",
    )
    ap.add_argument(
        "--generated-only",
        action="store_true",
        help="replay no witness: measure the generated steps alone",
    )
    args = ap.parse_args(argv)
    surveys = []
    for seed in args.seeds:
        try:
            s = survey_seed(
                args.target, args.profile, seed, complete=not args.generated_only
            )
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            print(
                f"behaviour_survey: bad target {args.target!r}: {exc}", file=sys.stderr
            )
            return 2
        surveys.append(s)
        print(
            f"seed {seed}: {len(s.missed)} missed, {len(s.completed)} by witness",
            file=sys.stderr,
            flush=True,
        )
    for line in format_table(surveys, args.missed_only):
        print(line)
    return 1 if any(s.missed or s.status != "pass" for s in surveys) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
