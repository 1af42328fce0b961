"""The ``conform`` and ``replay`` subcommands of ``veridian-ipc``.

    veridian-ipc conform --target package.module:Class   (in-process)
    veridian-ipc conform --target 'CMD ARGS'             (JSON-lines protocol)
    veridian-ipc conform --mutants [--json FILE]          (mutation campaign)
    veridian-ipc conform --export DIR                     (static vectors)
    veridian-ipc replay TRACE... --target ...

Exit status: 0 when the target conforms (or every mutant is killed), 1 on a
divergence, a target failure or a surviving mutant, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .compare import Mode
from .mutants import MUTANTS, MutantResult, run_campaign
from .outcomes import Oracle, PartialBatchOracle, SpecOracle
from .runner import PROFILES, Report, export_vectors, run_conformance
from .surface import ALL_GROUPS
from .targets import TargetFailure, make_driver
from .traces import TraceError, format_table, load, replay

ORACLES: dict[str, type[Oracle]] = {
    "spec": SpecOracle,
    "partial-batch": PartialBatchOracle,
}


def register(subparsers: Any) -> None:
    """Add ``conform`` and ``replay`` to the ``veridian-ipc`` command."""
    p = subparsers.add_parser(
        "conform",
        help="check a target against the spec, step by step",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--target", help="package.module:Class, or a command line")
    p.add_argument("--profile", choices=sorted(PROFILES), default="dev")
    p.add_argument("--mode", choices=[m.value for m in Mode], default="exact")
    p.add_argument(
        "--groups", help=f"comma-separated subset of {','.join(ALL_GROUPS)} to test"
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per step")
    p.add_argument("--max-examples", type=int, default=None)
    p.add_argument("--trace-dir", type=Path, default=Path("conformance-traces"))
    p.add_argument("--json", type=Path, help="write the report here")
    p.add_argument("--oracle", choices=sorted(ORACLES), default="spec")
    p.add_argument("--mutants", action="store_true", help="run the mutant campaign")
    p.add_argument(
        "--mutant",
        action="append",
        default=None,
        metavar="NAME",
        help="with --mutants: only this mutant (repeatable)",
    )
    p.add_argument("--export", type=Path, metavar="DIR", help="write static vectors")
    p.set_defaults(run=run_conform)

    r = subparsers.add_parser(
        "replay", help="re-run trace or vector files against a target"
    )
    r.add_argument("traces", nargs="+", type=Path)
    r.add_argument("--target", required=True)
    r.add_argument("--mode", choices=[m.value for m in Mode], default=None)
    r.add_argument("--timeout", type=float, default=10.0)
    r.set_defaults(run=run_replay)


def _dump(path: Path | None, data: object) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n")


def _print_report(rep: Report) -> None:
    cov = rep.coverage if isinstance(rep.coverage, dict) else {}
    uncovered = cov.get("uncovered", [])
    print(f"target:   {rep.target}")
    print(f"groups:   {', '.join(rep.groups)}")
    print(
        f"mode:     {rep.mode}" + ("" if rep.mode == "exact" else " (not conformance)")
    )
    print(
        f"run:      {rep.examples} examples, {rep.steps} steps, "
        f"{rep.seconds:.1f} s, {rep.steps_per_second:.0f} steps/s ({rep.profile})"
    )
    total = len(cov.get("rules", {}))
    print(f"coverage: {total - len(uncovered)}/{total} rules")
    if uncovered:
        print(f"          not exercised: {', '.join(uncovered)}")
    for len_ in rep.leniencies:
        print(
            f"leniency: spec {len_['spec']} accepted as {len_['target']}"
            f" ×{len_['count']}"
        )
    if rep.status == "pass":
        print("result:   PASS")
    elif rep.status == "target-failure":
        print(f"result:   TARGET FAILURE\n{rep.failure}")
    else:
        div = rep.divergence
        print("result:   DIVERGENCE (shrunk)")
        if isinstance(div, dict):
            print(format_table({"steps": div.get("steps", [])}, div))
        if rep.trace:
            print(f"trace:    {rep.trace}")


def run_conform(args: argparse.Namespace) -> int:
    """``veridian-ipc conform``."""
    if args.mutants:

        def show(res: MutantResult) -> None:
            mark = "killed" if res.killed else "SURVIVED"
            print(
                f"{res.name:<24} {mark:<8} {res.steps!s:>6} steps "
                f"{res.seconds or 0:6.2f} s  {', '.join(res.rules)}",
                flush=True,
            )

        chosen = MUTANTS
        if args.mutant:
            by_name = {m.__name__: m for m in MUTANTS}
            unknown = [n for n in args.mutant if n not in by_name]
            if unknown:
                print(f"conform: unknown mutants {unknown}", file=sys.stderr)
                return 2
            chosen = tuple(by_name[n] for n in args.mutant)
        campaign = run_campaign(
            args.profile if args.profile != "dev" else "ci",
            mutants=chosen,
            max_examples=args.max_examples,
            on_result=show,
        )
        print(
            f"kill rate {campaign['kill_rate']:.0%} ({campaign['killed']}/"
            f"{campaign['total']}), median {campaign['median_steps']} steps, "
            f"{campaign['median_seconds']} s to the first divergence"
        )
        _dump(args.json, campaign)
        return 0 if not campaign["survivors"] else 1
    if args.export is not None:
        paths = export_vectors(
            args.export, args.profile, max_examples=args.max_examples or 20
        )
        print(f"wrote {len(paths)} vectors to {args.export}")
        return 0
    if not args.target:
        print(
            "conform: --target is required (or --mutants / --export)", file=sys.stderr
        )
        return 2
    groups = None if args.groups is None else [g for g in args.groups.split(",") if g]
    try:
        driver = make_driver(args.target, groups, args.timeout)
    except TargetFailure as exc:
        print(f"result:   TARGET FAILURE\n{exc}")
        _dump(
            args.json,
            {"target": args.target, "status": "target-failure", "failure": str(exc)},
        )
        return 1
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        print(f"conform: cannot load target {args.target!r}: {exc}", file=sys.stderr)
        return 2
    try:
        rep = run_conformance(
            driver,
            args.profile,
            mode=Mode(args.mode),
            oracle=ORACLES[args.oracle](),
            trace_dir=args.trace_dir,
            max_examples=args.max_examples,
        )
    finally:
        driver.close()
    _print_report(rep)
    _dump(args.json, rep.to_json())
    return 0 if rep.status == "pass" else 1


def run_replay(args: argparse.Namespace) -> int:
    """``veridian-ipc replay``: 0 when every file conforms, 1 on a divergence or
    a target failure, 2 on bad usage or a bad file.

    Every file is read and checked (``traces.load``) before the target starts;
    a bad file is reported on one line, ``veridian-ipc replay: FILE: what is
    wrong``, and nothing runs: a bad file is never blamed on the target.
    """
    loaded: list[tuple[Path, dict[str, Any]]] = []
    for path in args.traces:
        try:
            loaded.append((path, load(path)))
        except TraceError as exc:
            print(f"veridian-ipc replay: {exc}", file=sys.stderr)
    if len(loaded) < len(args.traces):
        return 2
    status = 0
    try:
        driver = make_driver(args.target, None, args.timeout)
    except TargetFailure as exc:
        print(f"TARGET FAILURE\n{exc}")
        return 1
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        print(
            f"veridian-ipc replay: cannot load target {args.target!r}: {exc}",
            file=sys.stderr,
        )
        return 2
    mode = None if args.mode is None else Mode(args.mode)
    try:
        for path, data in loaded:
            try:
                out = replay(data, driver, mode)
            except TargetFailure as exc:
                print(f"{path}: TARGET FAILURE\n{exc}")
                status = 1
                continue
            if out.spec_changed:
                print(
                    f"{path}: note: the spec's results changed at steps "
                    f"{out.spec_changed}"
                )
            if out.divergence is None:
                print(f"{path}: {out.steps} steps, conforms")
                continue
            status = 1
            div = out.divergence
            print(f"{path}: DIVERGENCE at step {div.step}")
            print(
                format_table({"steps": [r.to_json() for r in div.steps]}, div.to_json())
            )
    finally:
        driver.close()
    return status
