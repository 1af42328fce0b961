"""How fast the conformance suite runs: steps per second, in-process and over
the JSON-lines protocol, for the spec against itself and for the model.

    python bench/conformance_speed.py [--examples N] [--json FILE]

A step is one operation applied to both the spec and the target, followed by
the comparison of results and observations (renaming, invariant monitors,
coverage tags). Hypothesis's generation time is included, as in a real run;
``target share`` is the part of the time spent inside the target.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from hypothesis.stateful import run_state_machine_as_test

from veridian_ipc.conformance.checker import Checker
from veridian_ipc.conformance.machine import RunStats, lockstep
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.runner import settings_for
from veridian_ipc.conformance.targets import Driver, InProcessDriver, load_class

SPEC = "veridian_ipc.conformance.targets:SpecTarget"
MODEL = "veridian_ipc.model.kernel:Kernel"


def measure(driver: Driver, examples: int) -> dict[str, float]:
    """Run ``examples`` generated examples (ci profile, no shrinking)."""
    checker = Checker(driver)
    stats = RunStats()
    started = time.perf_counter()
    run_state_machine_as_test(
        lockstep(checker, stats),
        settings=settings_for("ci", max_examples=examples, shrink=False),
    )
    seconds = time.perf_counter() - started
    return {
        "steps": stats.steps,
        "seconds": round(seconds, 3),
        "steps_per_second": round(stats.steps / seconds, 1),
        "target_share": round(checker.target_seconds / seconds, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    impls = [("spec", SPEC)]
    if importlib.util.find_spec("veridian_ipc.model.kernel") is not None:
        impls.append(("model", MODEL))
    results: dict[str, dict[str, float]] = {}
    for label, impl in impls:
        results[f"{label} in-process"] = measure(
            InProcessDriver(load_class(impl)), args.examples
        )
        argv = [sys.executable, "-m", "veridian_ipc.conformance.serve", "--impl", impl]
        driver = ProcessDriver(argv, timeout=30.0)
        try:
            results[f"{label} over protocol"] = measure(driver, args.examples)
        finally:
            driver.close()
    for name, r in results.items():
        print(
            f"{name:<22} {r['steps']:>6} steps {r['seconds']:>7.1f} s "
            f"{r['steps_per_second']:>7.0f} steps/s  target {r['target_share']:.0%}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
