"""The spec-mutant campaign: does the formal layer catch each seeded spec bug?

For each mutant of ``spec_mutants``, applied at run time, three layers run:

- *explore*: the exhaustive small-scope check (``explore``) over the CI scopes,
  in order, until one finds a violation; the row records the scope, the
  violated invariant or step property, the trace length (the depth at which
  the bug shows) and the time.
- *agree*: the encodings' agreement with the spec on every transition and
  reachable state of the agreement scopes (``agree_explored``, the pass
  ``veridian-ipc prove`` runs after the exhaustive check); caught at the
  first disagreement (or when the spec or a projection raises).
- *prove*: the Z3 obligations (``veridian-ipc prove``) and the faithfulness
  checks of the encodings against spec runs (``agreement.CHECKERS`` on
  ``generation.random_run``); caught when an obligation is not proved, a
  negative control is not refuted, an encoding disagrees with a spec step, or
  the spec raises.

The matrix mutant x layer is the result; the target is that explore catches
every mutant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from veridian_ipc.generation import random_run

from .agree_explored import AGREE_SCOPES, agree_scopes
from .agreement import CHECKERS
from .explore import explore
from .explore_scopes import CI_SCOPES, SCOPES
from .induction import run_obligation
from .obligations import OBLIGATIONS
from .spec_mutants import SpecMutant

LAYERS = ("explore", "agree", "prove")
AGREEMENT_SEEDS = 3
AGREEMENT_STEPS = 40


@dataclass
class LayerResult:
    """What one layer said about one mutant."""

    caught: bool
    detail: str
    seconds: float
    scope: str | None = None
    trace_length: int | None = None
    depth: int | None = None
    """Steps searched from the scope's initial state (the trace less the
    scope's fixed set-up)."""

    def json(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "caught": self.caught,
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
            "scope": self.scope,
            "trace_length": self.trace_length,
            "depth": self.depth,
        }


@dataclass
class MutantRow:
    """One mutant and each layer's verdict."""

    mutant: SpecMutant
    layers: dict[str, LayerResult]

    def json(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "id": self.mutant.id,
            "description": self.mutant.description,
            "layers": {k: v.json() for k, v in self.layers.items()},
        }


#: The campaign deepens over all scopes together: every scope to depth 3, then
#: 4, then 5, then to its full depth, so a bug that shows in a few steps anywhere is
#: found without first searching the larger scopes completely.
PASSES = (3, 4, 5, None)


def explore_layer(scopes: Sequence[str] = CI_SCOPES) -> LayerResult:
    """Search the scopes, deepening; caught at the first violation."""
    start = time.perf_counter()
    for limit in PASSES:
        for name in scopes:
            scope = SCOPES[name]
            depth = scope.depth if limit is None else min(limit, scope.depth)
            r = explore(scope, depth=depth)
            if r.violation is None:
                continue
            v = r.violation
            return LayerResult(
                True,
                f"{v.id}: {v.message}",
                time.perf_counter() - start,
                scope=name,
                trace_length=len(v.trace),
                depth=len(v.trace) - len(scope.setup),
            )
    return LayerResult(False, "clean", time.perf_counter() - start)


def agree_layer() -> LayerResult:
    """The agreement pass; caught at the first disagreement."""
    start = time.perf_counter()
    try:
        results = agree_scopes()
    except Exception as e:  # a mutant can make the spec or a projection raise
        detail = f"the agreement pass raised {type(e).__name__}"
        return LayerResult(True, detail, time.perf_counter() - start)
    for r in results:
        v = r.search.violation
        if v is not None:
            return LayerResult(
                True,
                f"{v.id}: {v.message}",
                time.perf_counter() - start,
                scope=r.search.scope,
                trace_length=len(v.trace),
                depth=len(v.trace) - len(AGREE_SCOPES[r.search.scope].setup),
            )
    return LayerResult(False, "all agree", time.perf_counter() - start)


def prove_layer() -> LayerResult:
    """The obligations, then the encodings' agreement with spec runs."""
    start = time.perf_counter()
    cache: dict[str, Any] = {}
    for ob in OBLIGATIONS:
        r = run_obligation(ob, 20_000, cache)
        if not r.ok:
            return LayerResult(
                True, f"obligation {ob.id}: {r.verdict}", time.perf_counter() - start
            )
    for seed in range(AGREEMENT_SEEDS):
        try:
            run = random_run(seed, AGREEMENT_STEPS)
        except Exception as e:
            detail = f"a spec run raised {type(e).__name__}"
            return LayerResult(True, detail, time.perf_counter() - start)
        for i, s in enumerate(run):
            for name, check in CHECKERS.items():
                try:
                    out = check(s.before, s.pid, s.op, s.after, s.result)
                except Exception as e:
                    out = [f"raised {type(e).__name__}"]
                if out:
                    detail = f"agreement {name}, seed {seed} step {i}: {out[0]}"
                    return LayerResult(True, detail, time.perf_counter() - start)
    return LayerResult(False, "all proved, all agree", time.perf_counter() - start)


Report = Callable[[MutantRow], None]


def run_campaign(
    mutants: Sequence[SpecMutant],
    layers: Sequence[str] = LAYERS,
    scopes: Sequence[str] = CI_SCOPES,
    report: Report | None = None,
) -> list[MutantRow]:
    """Apply each mutant in turn and run the layers on it."""
    rows: list[MutantRow] = []
    for m in mutants:
        results: dict[str, LayerResult] = {}
        with m.apply():
            if "explore" in layers:
                results["explore"] = explore_layer(scopes)
            if "agree" in layers:
                results["agree"] = agree_layer()
            if "prove" in layers:
                results["prove"] = prove_layer()
        row = MutantRow(m, results)
        rows.append(row)
        if report is not None:
            report(row)
    return rows


def row_line(row: MutantRow) -> str:
    """The matrix line of one mutant."""
    cells = []
    for name, r in row.layers.items():
        if not r.caught:
            cells.append(f"{name}: -")
        elif r.scope is not None:
            where = f"{r.scope}, depth {r.depth}, trace {r.trace_length}"
            cells.append(f"{name}: caught ({where}, {r.seconds:.1f}s)")
        else:
            cells.append(f"{name}: caught ({r.seconds:.1f}s)")
    return f"{row.mutant.id:<30} " + "  ".join(cells)


__all__ = [
    "LAYERS",
    "LayerResult",
    "MutantRow",
    "agree_layer",
    "explore_layer",
    "prove_layer",
    "row_line",
    "run_campaign",
]
