"""Linearizability: is a concurrent history explained by some run of the spec?

Sequential conformance (``checker``) compares one operation at a time. A
thread-safe implementation is also used by many threads at once, and then the
question is the one Herlihy and Wing asked: can every call be given a single
point, somewhere between its invocation and its response, such that the calls
taken in the order of those points are a run of the spec that gives exactly the
results the callers saw?

This module is the checker's entry point: it re-exports the public names of
the modules that hold each part, and is the command that checks a saved
history.

- ``linearizability_history``: the calls of a history (``Call``), the steps
  each stands for (``StepOp``, ``Expire``, ``blocking_receive``,
  ``apply_step``), the thread-safe ``Recorder``, and ``validate`` (one call at
  a time per process, PROC-STATUS);
- ``linearizability_search``: ``check``, the Wing-Gong/Lowe search for a
  witness, with its memo and budgets;
- ``linearizability_explain``: the ``Report`` and its ``Verdict``, and
  ``describe``, the explanation of a history that is not linearizable;
- ``linearizability_files``: the JSON codec of histories (``encode_history``,
  ``decode_history``).

Use, with results already in the spec's terms (``Ok``/``Err`` records)::

    rec = Recorder()
    # in each thread, acting as its own process ``pid``:
    rec.call(pid, (Send(h, 0, 0, b"x"),), lambda: impl_send(h, b"x"))
    rec.call(pid, partial(blocking_receive, h), lambda: impl_receive(h))
    # once every thread is joined:
    report = check(rec.history(), initial)  # the spec state the run began in
    assert report.ok, report.describe()

A history can be saved (``encode_history``, JSON) and checked later or by
another tool: ``python -m veridian_ipc.conformance.linearizability FILE``
prints the report and exits 0 (linearizable), 1 (not linearizable), 2 (bad
usage or input: a missing or malformed history, printed as one line) or 3
(undecided: the search budget ran out).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .linearizability_explain import Attempt, Placed, Report, Verdict, describe
from .linearizability_files import (
    HISTORY_VERSION,
    decode_history,
    decode_result,
    decode_step,
    encode_history,
    encode_step,
)
from .linearizability_history import (
    Call,
    Expire,
    Recorder,
    StepOp,
    apply_step,
    blocking_receive,
    validate,
)
from .linearizability_search import check

#: Exit status of ``main`` per verdict; ``EXIT_BAD_INPUT`` for a bad input.
EXIT_STATUS: dict[Verdict, int] = {
    Verdict.LINEARIZABLE: 0,
    Verdict.VIOLATION: 1,
    Verdict.UNDECIDED: 3,
}
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m veridian_ipc.conformance.linearizability HISTORY.json``:
    check a recorded history; exit 0 linearizable, 1 not linearizable, 2 bad
    usage or input (one line on standard error), 3 undecided."""
    parser = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.linearizability",
        description="Check a recorded concurrent history against the spec.",
        epilog="exit status: 0 linearizable, 1 not linearizable, "
        "2 bad usage or input, 3 undecided (search budget spent)",
    )
    parser.add_argument("history", type=Path, help="a history file (JSON)")
    parser.add_argument("--max-nodes", type=int, default=1_000_000)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.history.read_text(encoding="utf-8"))
        calls, s = decode_history(data)
        validate(calls)
    except OSError as exc:
        print(f"{parser.prog}: cannot read {args.history}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # bad JSON (ValueError), a bad history (WireError), bad calls
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{parser.prog}: {args.history}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = check(calls, s, max_nodes=args.max_nodes, max_seconds=args.max_seconds)
    print(report.describe())
    return EXIT_STATUS[report.verdict]


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_STATUS",
    "HISTORY_VERSION",
    "Attempt",
    "Call",
    "Expire",
    "Placed",
    "Recorder",
    "Report",
    "StepOp",
    "Verdict",
    "apply_step",
    "blocking_receive",
    "check",
    "decode_history",
    "decode_result",
    "decode_step",
    "describe",
    "encode_history",
    "encode_step",
    "main",
    "validate",
]


if __name__ == "__main__":
    raise SystemExit(main())
