"""The ``conform`` and ``replay`` subcommands of ``veridian-ipc``.

    veridian-ipc conform --target package.module:Class   (a class, in a worker)
    veridian-ipc conform --target 'CMD ARGS'             (JSON-lines protocol)
    veridian-ipc conform --mutants [--seeds 0,1,2,3] [--json FILE]
                                                          (mutation campaign)
    veridian-ipc conform --export DIR                     (static vectors)
    veridian-ipc conform --list-behaviours                (the behaviour catalogue)
    veridian-ipc replay TRACE... --target ...

A run that ends without stopping then replays every behaviour's witness
(``witnesses``), those its generated steps missed first; the report lists the
behaviours only a witness reached under "by witness" (``--generated-only``
replays none). A run
prints its report, then every rule's verdict and the summary line
(``verdicts``); ``--json FILE`` writes the report with ``verdicts`` and
``summary``, ``--junit FILE`` JUnit XML (one test case per rule),
``--markdown FILE`` a report for a pull request. While it runs, a live
progress line is shown on a terminal only (``progress``): nothing when
standard error is piped or under CI; ``replay`` shows the file (k/n) and the
step it is replaying the same way.

A ``module:Class`` target runs in a worker process (the protocol server
wrapping the class), like a command: a target that hangs past ``--timeout``,
exits or crashes on a step is a divergence of kind ``hang`` or ``crash`` (the
target is restarted and the run goes on); one that cannot start, answer the
handshake or reset is a TARGET FAILURE. Whatever it started (its whole process
group) is ended with the run.

Exit status:

- 0: the target conforms (every step of every example agreed with the spec,
  and at least one step ran), or every mutant is killed under every seed, or
  the vectors were written;
- 1: a divergence (``status: diverged``; ``reproduced: false`` when it did not
  happen again on the same steps: a non-deterministic target), a target
  failure, a run that executed no step (``status: no-steps``: nothing was
  checked), or a mutant that survives a seed;
- 2: bad usage or input (unknown target, groups, mutant; bad ``--seeds``; a
  file or directory that cannot be written);
- 130: interrupted (Ctrl-C), 143: terminated (SIGTERM); the target is ended
  first.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from veridian_ipc.vocabulary.results import Data

from .behaviours import catalogue_lines
from .compare import Mode
from .mutants import MUTANTS, MutantResult, format_matrix, run_campaign
from .observation import ObservesError, parse_observes, report_line
from .outcomes import Oracle, PartialBatchOracle, SpecOracle
from .progress import ProgressDisplay, StatusLine, progress_wanted
from .report_junit import junit_xml
from .report_markdown import markdown
from .restrictions import RestrictsError, parse_restricts
from .runner import MAX_SEED, PROFILES, Report, export_vectors, run_conformance
from .surface import ALL_GROUPS
from .targets import TargetFailure, make_driver
from .traces import TraceError, format_table, load, replay
from .verdicts import format_verdicts, rule_verdicts

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
    p.add_argument(
        "--observes",
        metavar="all|none|PATH,...",
        help="what the target observes, overriding its declaration: all, none "
        "(results only) or comma-separated observation paths, -PATH to leave "
        "one out (write --observes=-PATH,...; PROTOCOL.md)",
    )
    p.add_argument(
        "--restricts",
        metavar="JSON",
        help="what the target cannot express, overriding its declaration: a "
        'JSON list such as \'[{"op": "CreatePort", "field": "capacity", '
        '"in": [2]}]\' (PROTOCOL.md, "Declared restrictions")',
    )
    p.add_argument("--max-examples", type=int, default=None)
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="explore the sequence of this seed (default: 0 with --profile ci, "
        "else random; printed in the report and the trace)",
    )
    p.add_argument(
        "--generated-only",
        action="store_true",
        help="replay no witness for the behaviours the generated steps missed "
        "(the report then shows what the generators alone reached)",
    )
    p.add_argument("--trace-dir", type=Path, default=Path("conformance-traces"))
    p.add_argument(
        "--json", type=Path, help="write the report here (with the verdicts)"
    )
    p.add_argument(
        "--junit",
        type=Path,
        metavar="FILE",
        help="write the verdicts as JUnit XML (one test case per rule)",
    )
    p.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="write a Markdown report (for a pull request)",
    )
    p.add_argument("--oracle", choices=sorted(ORACLES), default="spec")
    p.add_argument("--mutants", action="store_true", help="run the mutant campaign")
    p.add_argument(
        "--mutant",
        action="append",
        default=None,
        metavar="NAME",
        help="with --mutants: only this mutant (repeatable)",
    )
    p.add_argument(
        "--seeds",
        default=None,
        metavar="N,N,...",
        help="with --mutants: run every mutant under each of these seeds "
        "(default: --seed, else 0)",
    )
    p.add_argument("--export", type=Path, metavar="DIR", help="write static vectors")
    p.add_argument(
        "--list-behaviours",
        action="store_true",
        help="print the catalogue of behaviours (ID, rules, description) and exit",
    )
    p.set_defaults(run=run_conform)

    r = subparsers.add_parser(
        "replay", help="re-run trace or vector files against a target"
    )
    r.add_argument("traces", nargs="+", type=Path)
    r.add_argument("--target", required=True)
    r.add_argument("--mode", choices=[m.value for m in Mode], default=None)
    r.add_argument("--timeout", type=float, default=10.0)
    r.set_defaults(run=run_replay)


def _dump(path: Path | None, data: object) -> bool:
    """Write ``data`` as JSON to ``path`` (if any); False (and a one-line
    message) when it cannot be written."""
    if path is None:
        return True
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n")
    except OSError as exc:
        print(f"conform: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _write_text(path: Path | None, text: str) -> bool:
    """Write ``text`` to ``path`` (if any); False (and a one-line message)
    when it cannot be written."""
    if path is None:
        return True
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"conform: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _outputs(args: argparse.Namespace, report: Data) -> bool:
    """The verdicts of ``report`` (plain data) written where asked: ``--json``
    (the report with ``verdicts`` and ``summary``), ``--junit``,
    ``--markdown``; False if one could not be written."""
    found = rule_verdicts(report)
    written = [
        _dump(args.json, {**report, **found.to_json()}),
        _write_text(args.junit, junit_xml(report, found)),
        _write_text(args.markdown, markdown(report, found)),
    ]
    return all(written)


def _print_verdicts(rep: Report) -> None:
    """The verdict of every rule, after the report (``verdicts``)."""
    print(format_verdicts(rule_verdicts(rep)))


def _writable_dir(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be used as the directory ``what`` (None if it can)."""
    if path.exists() and not path.is_dir():
        return f"conform: {what} {path} exists and is not a directory"
    return None


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
    print(f"seed:     {rep.seed}")
    if rep.not_compared:
        print(f"observes: {report_line(rep.observes, rep.not_compared)}")
    if rep.skipped:
        skipped = ", ".join(f"{k} ({n} skipped)" for k, n in rep.skipped.items())
        print(f"restricts: {skipped}")
    total = len(cov.get("rules", {}))
    print(f"coverage: {total - len(uncovered)}/{total} rules")
    if uncovered:
        print(f"          not exercised: {', '.join(uncovered)}")
    if rep.behaviours:
        missed = rep.missed
        reached = len(rep.behaviours) - len(missed)
        print(f"behaviours: {reached}/{len(rep.behaviours)} reached")
        if rep.witnesses:
            print(f"          {rep.witnesses} witnesses replayed at the end")
        if rep.completed:
            print(f"          by witness: {', '.join(rep.completed)}")
        if missed:
            print(f"          missed: {', '.join(missed)}")
    for len_ in rep.leniencies:
        print(
            f"leniency: spec {len_['spec']} accepted as {len_['target']}"
            f" ×{len_['count']}"
        )
    if rep.status == "pass":
        print("result:   PASS")
    elif rep.status == "target-failure":
        print(f"result:   TARGET FAILURE\n{rep.failure}")
    elif rep.status == "no-steps":
        print(f"result:   NO STEP RUN (not a pass)\n{rep.failure}")
    else:
        div = rep.divergence
        at_reset = isinstance(div, dict) and div.get("step") == 0
        if rep.reproduced is False:
            print("result:   DIVERGENCE (did not reproduce: not deterministic)")
            print(f"          {rep.failure}")
        elif at_reset:
            print("result:   DIVERGENCE at reset (the initial states differ)")
        else:
            print("result:   DIVERGENCE (shrunk)")
        print(f"          {len(rep.divergences)} distinct (id, rule, operation, kind)")
        print("\n".join(rep.divergence_lines()))


def _bad_numbers(args: argparse.Namespace) -> str | None:
    """Why ``--timeout`` or ``--max-examples`` is unusable (None if both are)."""
    if not args.timeout > 0:
        return f"conform: --timeout must be a positive number, not {args.timeout}"
    if args.max_examples is not None and args.max_examples < 1:
        return f"conform: --max-examples must be at least 1, not {args.max_examples}"
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        return f"conform: --seed must be an integer 0..2^64-1, not {args.seed}"
    if args.seeds is not None and not args.mutants:
        return "conform: --seeds applies to --mutants only (use --seed)"
    if args.seeds is not None and args.seed is not None:
        return "conform: --seed does not apply with --seeds (give one of them)"
    other = args.mutants or args.export is not None or args.list_behaviours
    for option, value in (("--junit", args.junit), ("--markdown", args.markdown)):
        if value is not None and other:
            return f"conform: {option} applies to a --target run only"
    return None


def parse_seeds(text: str) -> list[int]:
    """The seeds of ``--seeds``: comma-separated integers 0..MAX_SEED, each
    once; ``ValueError`` with a one-line reason otherwise."""
    parts = [part.strip() for part in text.split(",")]
    if parts == [""]:
        raise ValueError("conform: --seeds names no seed")
    seeds: list[int] = []
    for part in parts:
        if not part.isdecimal() or not part.isascii():
            raise ValueError(
                f"conform: --seeds must be integers 0..2^64-1 separated by "
                f"commas, not {part!r}"
            )
        seed = int(part)
        if seed > MAX_SEED:
            raise ValueError(f"conform: --seeds must be integers 0..2^64-1, not {seed}")
        if seed in seeds:
            raise ValueError(f"conform: --seeds names seed {seed} twice")
        seeds.append(seed)
    return seeds


def run_conform(args: argparse.Namespace) -> int:
    """``veridian-ipc conform``."""
    problem = _bad_numbers(args)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    if args.list_behaviours:
        print("\n".join(catalogue_lines()))
        return 0
    if args.mutants:
        return _run_mutants(args)
    if args.export is not None:
        return _run_export(args)
    if not args.target:
        print(
            "conform: --target is required (or --mutants / --export)", file=sys.stderr
        )
        return 2
    problem = _writable_dir(args.trace_dir, "--trace-dir")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    groups = None if args.groups is None else [g for g in args.groups.split(",") if g]
    if groups == []:
        print("conform: --groups names no group", file=sys.stderr)
        return 2
    try:
        observes = None if args.observes is None else parse_observes(args.observes)
    except ObservesError as exc:
        print(f"conform: --observes: {exc}", file=sys.stderr)
        return 2
    try:
        limits = None if args.restricts is None else parse_restricts(args.restricts)
    except RestrictsError as exc:
        print(f"conform: --restricts: {exc}", file=sys.stderr)
        return 2
    try:
        driver = make_driver(
            args.target, groups, args.timeout, observes=observes, restricts=limits
        )
    except TargetFailure as exc:
        print(f"result:   TARGET FAILURE\n{exc}")
        data = {"target": args.target, "status": "target-failure", "failure": str(exc)}
        return 1 if _outputs(args, data) else 2
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        print(f"conform: cannot load target {args.target!r}: {exc}", file=sys.stderr)
        return 2
    display = ProgressDisplay() if progress_wanted() else None
    try:
        with display if display is not None else nullcontext():
            rep = run_conformance(
                driver,
                args.profile,
                mode=Mode(args.mode),
                oracle=ORACLES[args.oracle](),
                trace_dir=args.trace_dir,
                max_examples=args.max_examples,
                seed=args.seed,
                progress=display if display is not None else False,
                complete=not args.generated_only,
            )
    finally:
        driver.close()
    _print_report(rep)
    _print_verdicts(rep)
    if not _outputs(args, rep.to_json()):
        return 2
    return 0 if rep.status == "pass" else 1


def _run_mutants(args: argparse.Namespace) -> int:
    """``conform --mutants``: every mutant (or the ``--mutant`` ones) under
    each seed of ``--seeds`` (or ``--seed``, else 0); the progress goes to
    stderr, the table to stdout; 1 if a mutant survives a seed."""
    try:
        seeds = (
            parse_seeds(args.seeds)
            if args.seeds is not None
            else [0 if args.seed is None else args.seed]
        )
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    def show(res: MutantResult) -> None:
        mark = "killed" if res.killed else "SURVIVED"
        print(
            f"{res.name:<24} seed {res.seed!s:<4} {mark:<8} {res.steps!s:>6} steps "
            f"{res.seconds or 0:6.2f} s  {', '.join(res.rules)}",
            file=sys.stderr,
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
        seeds=seeds,
    )
    print("\n".join(format_matrix(campaign)))
    if not _dump(args.json, campaign):
        return 2
    return 0 if not campaign["survivors"] else 1


def _run_export(args: argparse.Namespace) -> int:
    """``conform --export DIR``: static vectors."""
    problem = _writable_dir(args.export, "--export")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        paths = export_vectors(
            args.export,
            args.profile,
            max_examples=args.max_examples or 20,
            seed=args.seed or 0,
        )
    except OSError as exc:
        print(f"conform: cannot write vectors to {args.export}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} vectors to {args.export}")
    return 0


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
    line = StatusLine() if progress_wanted() else None
    try:
        if line is not None:
            line.__enter__()
        for k, (path, data) in enumerate(loaded, start=1):

            def on_step(i: int, n: int, k: int = k, path: Path = path) -> None:
                if line is not None:
                    line.show(f"replay {k}/{len(loaded)} · {path.name} · step {i}/{n}")

            try:
                out = replay(data, driver, mode, on_step)
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
        if line is not None:
            line.__exit__(None, None, None)
        driver.close()
    return status
