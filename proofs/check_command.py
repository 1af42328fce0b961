"""``veridian-ipc check``: exhaustive small-scope checking of the spec.

Searches every state reachable with ``spec.step`` in each scope (breadth
first, to the scope's depth), checking every invariant on every state and
every step property on every transition (``explore``, ``step_properties``).
On a violation it prints the shortest trace and exits 1; clean, 0; a usage
error (an unknown scope or mutant, a negative depth), 2. Without ``--scope``
the CI scopes run. ``--spec-mutants`` runs the campaign over the seeded spec
bugs instead (``spec_campaign``) and prints the matrix mutant x layer; it
exits 0 only if the exhaustive check catches every mutant.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .explore import run_scopes, terminal_progress, verdict_line
from .explore_scopes import CI_SCOPES, SCOPES
from .spec_campaign import LAYERS, MutantRow, row_line, run_campaign
from .spec_mutants import MUTANTS


def register(subparsers: Any) -> None:
    """Add the ``check`` subcommand."""
    p = subparsers.add_parser(
        "check",
        help="search every state of the spec in small scopes (invariants, step"
        " properties)",
        description=__doc__,
    )
    p.add_argument(
        "--scope",
        metavar="NAME",
        action="append",
        default=[],
        help=f"search this scope (repeatable; default the CI scopes: "
        f"{', '.join(CI_SCOPES)})",
    )
    p.add_argument("--depth", type=int, help="search to this depth in every scope")
    p.add_argument(
        "--deep",
        action="store_true",
        help="search each scope to its deep depth (minutes; on demand, not in CI)",
    )
    p.add_argument("--json", metavar="FILE", help="write the report as JSON to FILE")
    p.add_argument("--list", action="store_true", help="list the scopes and exit")
    p.add_argument(
        "--spec-mutants",
        action="store_true",
        help="run the formal layer on every seeded spec mutant; print the matrix",
    )
    p.add_argument(
        "--mutant",
        metavar="ID",
        action="append",
        default=[],
        help="with --spec-mutants: only this mutant (repeatable)",
    )
    p.add_argument(
        "--layers",
        default=",".join(LAYERS),
        help="with --spec-mutants: the layers to run (default explore,agree,prove)",
    )
    p.set_defaults(run=run)


def _usage(message: str) -> int:
    print(f"veridian-ipc check: {message}", file=sys.stderr)
    return 2


def _write(path: str, report: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
        fh.write("\n")


def run(args: argparse.Namespace) -> int:
    """Search the scopes (or run the mutant campaign); print; write JSON."""
    unknown = [n for n in args.scope if n not in SCOPES]
    if unknown:
        return _usage(
            f"unknown scope {', '.join(unknown)} (known: {', '.join(SCOPES)})"
        )
    if args.depth is not None and args.depth < 0:
        return _usage(f"--depth must be at least 0, not {args.depth}")
    if args.list:
        for s in SCOPES.values():
            ci = "ci" if s.name in CI_SCOPES else "  "
            depths = f"depth {s.depth} (deep {s.deep_depth})"
            print(f"{s.name:<10} {ci} {depths}  {s.description}")
        return 0
    if args.spec_mutants:
        return _campaign(args)
    if args.mutant:
        return _usage("--mutant needs --spec-mutants")
    names = args.scope or list(CI_SCOPES)
    if args.deep and args.depth is None:
        results = [
            r
            for n in names
            for r in run_scopes(
                [n], depth=SCOPES[n].deep_depth, progress=terminal_progress()
            )
        ]
    else:
        results = run_scopes(names, depth=args.depth, progress=terminal_progress())
    print(verdict_line(results))
    for r in results:
        print("  " + r.line())
        if r.violation is not None:
            print("\n".join("    " + x for x in r.violation.lines()))
    ok = all(r.ok for r in results)
    if args.json:
        _write(args.json, {"ok": ok, "scopes": [r.json() for r in results]})
    return 0 if ok else 1


def _campaign(args: argparse.Namespace) -> int:
    layers = [x.strip() for x in args.layers.split(",") if x.strip()]
    bad = [x for x in layers if x not in LAYERS]
    if bad or not layers:
        return _usage(f"unknown layer {', '.join(bad)} (known: {', '.join(LAYERS)})")
    known = {m.id: m for m in MUTANTS}
    missing = [i for i in args.mutant if i not in known]
    if missing:
        return _usage(f"unknown mutant {', '.join(missing)}")
    mutants = [known[i] for i in args.mutant] if args.mutant else list(MUTANTS)
    names = args.scope or list(CI_SCOPES)

    def report(row: MutantRow) -> None:
        print(row_line(row), flush=True)

    rows = run_campaign(mutants, layers, names, report)
    counts = {layer: sum(r.layers[layer].caught for r in rows) for layer in layers}
    either = sum(any(x.caught for x in r.layers.values()) for r in rows)
    print(
        f"{len(rows)} spec mutants: "
        + ", ".join(f"{k} caught {v}" for k, v in counts.items())
        + f", caught by neither: {len(rows) - either}"
    )
    ok = (
        all(r.layers["explore"].caught for r in rows)
        if "explore" in layers
        else (either == len(rows))
    )
    if args.json:
        _write(args.json, {"ok": ok, "mutants": [r.json() for r in rows]})
    return 0 if ok else 1


__all__ = ["register", "run"]
