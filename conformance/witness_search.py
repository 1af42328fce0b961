"""Finding the witnesses: generated runs of the spec, shortest prefixes, minimised.

``search`` runs the ``ci`` profile's lock-step examples against the spec
itself under several seeds (the same generators, scenarios and flows as any
run), keeps every example's steps, and takes for each behaviour the shortest
prefix of an example whose last step reaches it. ``minimise`` then removes
steps one at a time, keeping each removal after which the behaviour is still
reached on the last step and not before (``witnesses.valid``): a 1-minimal
witness, in the spec's handles, usually a few steps long. Run::

    python -m veridian_ipc.conformance.witness_search --write conformance

(the folder of the ``conformance`` sources) after adding a behaviour or
changing what one means (a test fails until the file is current). A witness
already in the file that is still valid stays unless the search finds a
shorter one, so a behaviour generated runs do not reach (a kill whose next
waiter's table is full) keeps the witness written for it by hand. Exit
status 0 when every behaviour has a witness, 1 when some behaviour was reached
by no search run (listed), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hypothesis.stateful import run_state_machine_as_test

from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.syscalls import Operation

from .behaviour_survey import seed_list
from .behaviours import BEHAVIOURS, BehaviourTracker
from .checker import SMALL_CONFIG, Checker
from .constants import pinned_constants
from .machine import RunStats, lockstep
from .runner import seed_for, seeded, settings_for
from .targets import InProcessDriver, SpecTarget
from .witnesses import (
    WITNESS_FILE,
    Witness,
    WitnessFileError,
    dumps,
    kept,
    read,
    to_json,
    valid,
)

#: Seeds searched by default: those the project's surveys and campaigns use.
SEEDS = (0, 1, 2, 3)


def _examples(
    seed: int, processes: int, config: Config
) -> list[list[tuple[int, Operation]]]:
    """Every example of the ``ci`` profile's run of the spec under ``seed``."""
    checker = Checker(InProcessDriver(SpecTarget), processes=processes, config=config)
    stats = RunStats(keep_history=True)
    with pinned_constants():
        run_state_machine_as_test(
            seeded(lockstep(checker, stats), seed_for("ci", seed)),
            settings=settings_for("ci", shrink=False, seed_stable=seed == 0),
        )
    return [[(r.pid, r.op) for r in steps] for steps in stats.history]


def shortest_prefixes(
    examples: Sequence[Sequence[tuple[int, Operation]]],
    processes: int,
    config: Config,
    best: dict[str, Witness] | None = None,
) -> dict[str, Witness]:
    """For each behaviour, the shortest prefix of an example ending at a step
    that reaches it (added to ``best``, keeping the shorter)."""
    from veridian_ipc.spec import initial_state, step

    out = dict(best or {})
    for ops in examples:
        s = initial_state(processes=processes, config=config)
        tracker = BehaviourTracker()
        for i, (pid, op) in enumerate(ops):
            after, result = step(s, pid, op)
            for b in tracker.step(s, pid, op, result, after):
                known = out.get(b)
                if known is None or len(known.steps) > i + 1:
                    out[b] = Witness(b, processes, config, tuple(ops[: i + 1]))
            s = after
    return out


def minimise(w: Witness) -> Witness:
    """Drop steps while ``w`` stays valid, from the last but one backwards,
    until no single step can go (1-minimal)."""
    steps = list(w.steps)
    changed = True
    while changed:
        changed = False
        i = len(steps) - 2
        while i >= 0:
            trial = replace(w, steps=tuple(steps[:i] + steps[i + 1 :]))
            if valid(trial):
                steps = list(trial.steps)
                changed = True
            i -= 1
    return replace(w, steps=tuple(steps))


def search(
    seeds: Sequence[int] = SEEDS,
    processes: int = 3,
    config: Config = SMALL_CONFIG,
    keep: dict[str, Witness] | None = None,
) -> dict[str, Witness]:
    """A minimal witness for every behaviour some seed's run reaches; a
    witness of ``keep`` (the file as it is) that is still valid stays where
    the search found none or none shorter (a witness written by hand, for a
    behaviour generated runs do not reach, is kept so)."""
    found: dict[str, Witness] = {}
    for seed in seeds:
        found = shortest_prefixes(
            _examples(seed, processes, config), processes, config, found
        )
        if len(found) == len(BEHAVIOURS):
            break
    out = {b: minimise(w) for b, w in found.items()}
    for b, w in (keep or {}).items():
        if w.processes != processes or w.config != config or not valid(w):
            continue
        if b not in out or len(w.steps) < len(out[b].steps):
            out[b] = w
    return {b: out[b] for b in BEHAVIOURS if b in out}


def main(argv: Sequence[str] | None = None) -> int:
    """Search, print a summary, and with ``--write`` rewrite the file."""
    ap = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.witness_search",
        description="find a minimal witness run for every behaviour",
    )
    ap.add_argument("--seeds", type=seed_list, default=list(SEEDS), help="N,N,...")
    ap.add_argument(
        "--write",
        type=Path,
        metavar="DIR",
        help=f"write {WITNESS_FILE.name} into DIR (the conformance sources)",
    )
    args = ap.parse_args(argv)
    if args.write is not None and not args.write.is_dir():
        print(f"witness_search: {args.write} is not a directory", file=sys.stderr)
        return 2
    try:
        current = read(args.write / WITNESS_FILE.name) if args.write else kept()
    except WitnessFileError:
        current = {}  # no file yet, or one to replace
    found = search(args.seeds, keep=current)
    missing = [b for b in BEHAVIOURS if b not in found]
    lengths = sorted(len(w.steps) for w in found.values())
    if lengths:
        print(
            f"{len(found)}/{len(BEHAVIOURS)} behaviours have a witness; steps: "
            f"median {lengths[len(lengths) // 2]}, longest {lengths[-1]}"
        )
    for b in missing:
        print(f"  no witness: {b}")
    if args.write is not None:
        out = args.write / WITNESS_FILE.name
        out.write_text(dumps(to_json(found.values())))
        print(f"wrote {out}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
