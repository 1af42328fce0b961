"""The report's list of distinct divergences: shrink each one, write its trace.

A run records, per distinct signature (``signatures``), the first example
that reached it (``machine.Found``). ``finding`` turns one into the entry of
``Report.divergences``: it replays the example's steps on a fresh target
(``reproduced``: did the same steps show the same signature again?), shrinks
them to a 1-minimal trace of that signature (``shrinking``), writes the trace
file and returns plain data:

    {"id": "D1", "signature": {"rule", "op", "kind"}, "count": 7,
     "step": 4, "kind": "result", "message": ..., "diff": [...],
     "invariants": [...], "check": ..., "target_check": ...,
     "steps": [...], "trace": "...json" or None, "reproduced": true,
     "minimal": true, "original_length": 23,
     "found_after": {"steps": 812, "seconds": 1.9}}

A divergence that does not reproduce is shown as first seen, unshrunk.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from veridian_ipc.vocabulary.results import Data

from .checker import Checker
from .machine import Found
from .shrinking import shrink
from .traces import format_table, trace_data, write_json


@dataclass
class Entry:
    """One entry of ``Report.divergences``, and what went wrong making it."""

    data: dict[str, Data]
    #: A target broken during shrinking, or a trace that could not be written.
    failure: str | None = None


def _fresh(checker: Checker) -> Checker:
    return Checker(
        checker.driver,
        checker.processes,
        checker.config,
        checker.mode,
        checker.oracle,
    )


def finding(
    number: int,
    found: Found,
    checker: Checker,
    *,
    target: str,
    seed: int,
    trace_dir: Path | None,
    shrink_it: bool,
    reproduced: bool | None = None,
    shrink_seconds: float = 30.0,
) -> Entry:
    """The ``number``-th entry (``D<number>``) for ``found`` (module docstring).

    ``reproduced`` False: known not to reproduce (nothing is replayed);
    ``shrink_it`` False: reported as found (the mutant campaign)."""
    div = found.divergence
    failure: str | None = None
    minimal = False
    if reproduced is not False and shrink_it and found.ops:
        shrunk = shrink(
            found.ops,
            lambda: _fresh(checker),
            found.signature,
            seconds=shrink_seconds,
        )
        if shrunk is None:
            reproduced = False
        else:
            reproduced = True
            div, minimal = shrunk.divergence, shrunk.minimal
            failure = shrunk.failure
    elif reproduced is not False and not found.ops:
        minimal = True  # at reset: no step to remove
    data = trace_data(checker, div, target, seed)
    ident = f"D{number}"
    entry: dict[str, Data] = {
        "id": ident,
        "signature": found.signature.to_json(),
        "count": found.count,
        **div.to_json(),
        "steps": data["steps"],
        "trace": None,
        "reproduced": bool(reproduced) if reproduced is not None else True,
        "minimal": minimal,
        "original_length": len(found.ops),
        "found_after": {"steps": found.steps, "seconds": round(found.seconds, 3)},
    }
    if trace_dir is not None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"divergence-{stamp}-{os.getpid()}-{ident}.json"
        try:
            entry["trace"] = str(write_json(trace_dir / name, data))
        except OSError as exc:
            note = f"the trace could not be written to {trace_dir}: {exc}"
            failure = f"{failure}\n{note}" if failure else note
    return Entry(entry, failure)


def headline(entry: Data, total: int) -> str:
    """``D2  PORT-SEND Send error  ×7  3 steps (from 23)`` for one entry."""
    sig = entry.get("signature") or {}
    shrunk = "1-minimal" if entry.get("minimal") else "not minimal"
    if not entry.get("reproduced"):
        shrunk = "not reproduced, as first seen"
    return (
        f"{entry.get('id')}/{total}  {sig.get('rule') or '-'} {sig.get('op')} "
        f"{sig.get('kind')}  ×{entry.get('count')}  "
        f"{len(entry.get('steps') or [])} steps ({shrunk}; "
        f"from {entry.get('original_length')})"
    )


def divergence_lines(entries: list[Data]) -> list[str]:
    """Every entry: its headline, its trace table, its trace file."""
    lines: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        lines.append("")
        lines.append(headline(entry, len(entries)))
        lines.append(format_table({"steps": entry.get("steps", [])}, entry))
        if entry.get("trace"):
            lines.append(f"trace:    {entry['trace']}")
    return lines


__all__ = ["Entry", "divergence_lines", "finding", "headline"]
