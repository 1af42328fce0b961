"""``veridian-ipc prove``: run every obligation and the CrossHair contracts.

First, the exhaustive small-scope check of the spec itself (``veridian-ipc
check``'s CI scopes; ``--no-explore`` skips it, as does ``--only``): its
verdict is the first line printed, and a violation fails ``prove``. Then the
encodings' agreement with the spec on every transition and reachable state
of the agreement scopes (``agree_explored``; skipped with the exhaustive
check): a disagreement fails ``prove``, since a proof about an encoding that
drifted from the spec proves nothing about the spec.
One line per obligation: its verdict, its negative control's verdict and the
time taken; a refuted obligation or a control that is not refuted prints the
decoded counterexample (or says that the broken rule was "proved"). CrossHair
runs in the background while the solver works. Exit status 0 only if every
obligation is proved, every negative control refuted, no contract falsified
and the seeded bug found.

On a terminal (standard error, not under CI) a live line names the phase
while it runs: the exhaustive check's scope k/n, the agreement pass's scope
k/n, obligation k/n, the CrossHair contracts (``proofs.progress``); piped or
under CI only the report is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from . import agree_explored, check_command, contracts_seeded, crosshair_run
from . import contracts as contract_defs
from .crosshair_run import ContractResult
from .explore import ExploreResult, run_scopes, verdict_line
from .explore_scopes import CI_SCOPES
from .induction import CheckResult, Obligation, ObligationResult, run_obligation
from .obligations import OBLIGATIONS, THEOREMS
from .progress import PhaseLine

#: The scopes of the agreement pass ``prove`` runs.
AGREE_SCOPES: tuple[str, ...] = tuple(agree_explored.AGREE_SCOPES)


def register(subparsers: Any) -> None:
    """Add the ``prove`` subcommand."""
    p = subparsers.add_parser(
        "prove",
        help="prove the Z3 obligations and run the CrossHair contracts",
        description=__doc__,
    )
    p.add_argument("--json", metavar="FILE", help="write the report as JSON to FILE")
    p.add_argument(
        "--only",
        metavar="ID",
        action="append",
        default=[],
        help="run only this obligation (repeatable)",
    )
    p.add_argument("--no-crosshair", action="store_true", help="skip CrossHair")
    p.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        help="solver timeout per query, in seconds (default 20)",
    )
    p.add_argument(
        "--crosshair-timeout",
        type=float,
        default=2.0,
        help="CrossHair per-condition timeout, in seconds (default 2)",
    )
    p.add_argument("--list", action="store_true", help="list the obligations and exit")
    p.add_argument(
        "--no-explore",
        action="store_true",
        help="skip the exhaustive small-scope check of the spec",
    )
    p.set_defaults(run=run)
    check_command.register(subparsers)


def selected(only: list[str]) -> list[Obligation]:
    """The obligations named by ``--only`` (all if none); unknown IDs raise."""
    if not only:
        return list(OBLIGATIONS)
    known = {ob.id: ob for ob in OBLIGATIONS}
    missing = [i for i in only if i not in known]
    if missing:
        raise KeyError(", ".join(missing))
    return [known[i] for i in only]


def _check_json(c: CheckResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": c.name,
        "verdict": c.verdict,
        "seconds": round(c.seconds, 4),
    }
    if c.counterexample is not None:
        out["counterexample"] = c.counterexample
    return out


def result_json(r: ObligationResult) -> dict[str, Any]:
    """One obligation's entry in the report."""
    ob = r.obligation
    return {
        "id": ob.id,
        "covers": [c.value for c in ob.covers],
        "exercises": [c.value for c in ob.exercises],
        "theorem": ob.theorem or None,
        "by_construction": ob.by_construction or None,
        "summary": ob.summary,
        "verdict": r.verdict,
        "negative_control": r.control_verdict,
        "control": ob.control,
        "seconds": round(r.seconds, 4),
        "queries": len(r.checks),
        "counterexample": r.counterexample(),
        "control_counterexample": r.control_counterexample(),
        "checks": [_check_json(c) for c in r.checks],
    }


def contract_json(c: ContractResult) -> dict[str, Any]:
    """One contract's entry in the report."""
    return {
        "function": c.function,
        "verdict": c.verdict,
        "seeded_bug": c.seeded,
        "ok": c.ok,
        "seconds": round(c.seconds, 3),
        "message": c.message,
    }


def _line(r: ObligationResult) -> str:
    mark = "ok  " if r.ok else "FAIL"
    ob = r.obligation
    name = f"  {ob.id}" if ob.theorem else ob.id
    built = "  [by construction]" if ob.by_construction else ""
    return (
        f"{mark} {name:<24} {r.verdict:<8} control {r.control_verdict:<8} "
        f"{r.seconds:6.2f}s  ({len(r.checks)} queries){built}"
    )


def theorem_line(theorem: str, parts: list[Obligation]) -> str:
    """The header printed before a theorem's first part."""
    names = ", ".join(ob.id for ob in parts)
    return f"theorem {theorem} ({len(parts)} named parts: {names}):"


def run(args: argparse.Namespace) -> int:
    """Run the obligations (and CrossHair); print and optionally write JSON."""
    try:
        todo = selected(args.only)
    except KeyError as e:
        print(f"unknown obligation: {e.args[0]}", file=sys.stderr)
        return 2
    if args.list:
        for ob in todo:
            print(f"{ob.id:<24} {', '.join(c.value for c in ob.covers)}")
        return 0
    with PhaseLine() as line:
        return _run(args, todo, line)


def _run(args: argparse.Namespace, todo: list[Obligation], line: PhaseLine) -> int:
    """``run`` once the obligations are chosen; ``line`` shows the phase."""
    start = time.perf_counter()
    explored: list[ExploreResult] = []
    agreed: list[agree_explored.AgreeResult] = []
    if not args.no_explore and not args.only:
        for k, name in enumerate(CI_SCOPES, start=1):
            line.show(f"exhaustive check scope {k}/{len(CI_SCOPES)} · {name}")
            explored += run_scopes([name], progress=line.scopes(CI_SCOPES))
        print(verdict_line(explored), flush=True)
        for found in explored:
            if found.violation is not None:
                print("\n".join("     " + x for x in found.violation.lines()))
        for k, name in enumerate(AGREE_SCOPES, start=1):
            line.show(f"agreement pass scope {k}/{len(AGREE_SCOPES)} · {name}")
            agreed += agree_explored.agree_scopes([name])
            if not agreed[-1].ok:  # agree_scopes' rule: stop at the first
                break
        print(agree_explored.verdict_line(agreed), flush=True)
        for a in agreed:
            if a.search.violation is not None:
                print("\n".join("     " + x for x in a.search.violation.lines()))
    use_crosshair = not args.no_crosshair and not args.only
    procs = []
    if use_crosshair:
        procs = [
            crosshair_run.start(crosshair_run.CONTRACT_MODULE, args.crosshair_timeout),
            crosshair_run.start(crosshair_run.SEEDED_MODULE, args.crosshair_timeout),
        ]
    cache: dict[str, CheckResult] = {}
    results: list[ObligationResult] = []
    headed: set[str] = set()
    for i, ob in enumerate(todo, 1):
        line.show(f"obligation {i}/{len(todo)} · {ob.id}")
        if ob.theorem and ob.theorem not in headed:
            headed.add(ob.theorem)
            parts = [x for x in todo if x.theorem == ob.theorem]
            print(theorem_line(ob.theorem, parts), flush=True)
        r = run_obligation(ob, int(args.timeout * 1000), cache)
        results.append(r)
        print(_line(r), flush=True)
        if r.verdict != "proved":
            bad = [c for c in r.checks if c.verdict != "proved"]
            for c in bad[:3]:
                print(f"     {c.verdict}: {c.name}")
                if c.counterexample:
                    print("       " + c.counterexample.replace("\n", "\n       "))
        if r.control_verdict != "refuted":
            print(f"     negative control not refuted ({ob.control}): vacuous proof")
    contracts: list[ContractResult] = []
    if use_crosshair:
        line.show("CrossHair contracts (collecting)")
        elapsed = time.perf_counter() - start
        contracts = crosshair_run.collect(
            procs[0],
            crosshair_run.CONTRACT_MODULE,
            contract_defs.CONTRACTS,
            elapsed,
            False,
        )
        contracts += crosshair_run.collect(
            procs[1],
            crosshair_run.SEEDED_MODULE,
            contracts_seeded.SEEDED,
            elapsed,
            True,
        )
        for cr in contracts:
            mark = "ok  " if cr.ok else "FAIL"
            kind = "seeded bug" if cr.seeded else "contract"
            print(f"{mark} {kind} {cr.function:<40} {cr.verdict}")
    total = time.perf_counter() - start
    ok = all(r.ok for r in results) and all(c.ok for c in contracts)
    ok = ok and all(x.ok for x in explored) and all(a.ok for a in agreed)
    proved = sum(r.verdict == "proved" for r in results)
    print(
        f"{proved}/{len(results)} obligations proved, "
        f"{sum(r.control_verdict == 'refuted' for r in results)}/{len(results)} "
        f"negative controls refuted, {len(cache)} distinct queries, {total:.1f}s"
    )
    if args.json:
        report = {
            "theorems": {
                name: {
                    "summary": THEOREMS[name],
                    "parts": [
                        r.obligation.id for r in results if r.obligation.theorem == name
                    ],
                    "proved": all(
                        r.ok for r in results if r.obligation.theorem == name
                    ),
                }
                for name in sorted(headed)
            },
            "obligations": [result_json(r) for r in results],
            "crosshair": [contract_json(c) for c in contracts],
            "explore": [x.json() for x in explored],
            "agreement": [a.json() for a in agreed],
            "seconds": round(total, 3),
            "ok": ok,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
    return 0 if ok else 1
