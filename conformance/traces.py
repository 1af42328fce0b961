"""Trace files and static vectors: write, read, print, replay.

A **trace** records a divergence: the (shrunk) operations, the spec's result
and the target's at every step, and at the divergent step what differed. A
**vector** records a run of the spec alone: operations, expected results and
the observation after each step, for implementations that cannot be driven
live. Both are JSON (``trace.schema.json``) and share the step format:

    {"pid": 1, "op": {"op": "Send", "args": {...}}, "spec": {"ok": null}, ...}

Implementation-chosen numbers (pids, handles, mapping ids; ``surface.ID_FIELDS``
and ``surface.RESULT_ID`` say which fields hold them) are **symbolic**: they
are the spec's numbering, bound to the target's own numbers as the target
returns them, so a trace replays on any implementation (``replay``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veridian_ipc.vocabulary.operations import OPS_BY_NAME
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import Operation

from .checker import Checker, Divergence
from .compare import Mode
from .targets import Driver, TargetFailure
from .tracefiles import (
    FORMAT_VERSION,
    TRACE_FORMAT,
    VECTOR_FORMAT,
    TraceError,
    read,
    validate,
)
from .wire import decode_config, decode_op, encode_config

__all__ = [
    "FORMAT_VERSION",
    "TRACE_FORMAT",
    "VECTOR_FORMAT",
    "ReplayOutcome",
    "TraceError",
    "format_table",
    "load",
    "minimize",
    "replay",
    "trace_data",
    "vector_data",
    "write_json",
]


def trace_data(
    checker: Checker, divergence: Divergence, target: str, seed: int | None = None
) -> Data:
    """The trace of ``divergence`` found by ``checker`` against ``target``
    (by a run of ``seed``, if known: ``runner.seed_for``)."""
    out: dict[str, Data] = {
        "format": TRACE_FORMAT,
        "version": FORMAT_VERSION,
        "target": target,
        "processes": checker.processes,
        "config": encode_config(checker.config),
        "groups": sorted(checker.driver.groups),
        "mode": checker.mode.value,
        "steps": [r.to_json() for r in divergence.steps],
        "divergence": divergence.to_json(),
    }
    if seed is not None:
        out["seed"] = seed
    return out


def vector_data(checker: Checker, steps: list[Any], name: str) -> Data:
    """A static vector of one example (records made with observations)."""
    return {
        "format": VECTOR_FORMAT,
        "version": FORMAT_VERSION,
        "name": name,
        "processes": checker.processes,
        "config": encode_config(checker.config),
        "groups": sorted(checker.driver.groups),
        "steps": [
            {
                "pid": r.pid,
                "op": r.to_json()["op"],
                "spec": r.spec,
                "rules": r.rules,
                "observation": r.observation,
            }
            for r in steps
        ],
    }


def write_json(path: Path, data: Data) -> Path:
    """Write ``data`` as indented JSON (creating directories)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def load(path: Path) -> Data:
    """A trace or vector file, completely checked (``tracefiles.validate``).

    Raises ``TraceError`` (``path: what is wrong``, one line) for a file that
    cannot be read, is not JSON, not a valid trace or vector, or a vector whose
    recorded results or observations are not the spec's.
    """
    data = read(path)
    try:
        validate(data)
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None
    return data


#: Byte payloads longer than this are shown by their length: ``b'…'(64 B)``.
SHORT_BYTES = 8
#: Strings longer than this are shown by their start and length.
LONG_TEXT = 32
#: The widest a table's operation column gets; longer operations are clipped.
OP_WIDTH = 100
#: The widest the spec's result column gets (the target's is the last column).
RESULT_WIDTH = 40
#: Result fields holding bytes, as lowercase hex (``results.encode_value``).
RESULT_BYTES = ("data", "bytes")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class _Shown(str):
    """Text standing for a value in a table (written as it is, unquoted)."""


def _bytes_text(hex_text: str) -> str | None:
    """``b'hi'`` for a short payload, ``b'…'(64 B)`` for a long one; None if
    ``hex_text`` is not a hex encoding."""
    try:
        raw = bytes.fromhex(hex_text)
    except ValueError:
        return None
    return repr(raw) if len(raw) <= SHORT_BYTES else f"b'…'({len(raw)} B)"


def _value_text(v: Data) -> str:
    """Compact JSON, with ``_Shown`` parts as they are."""
    if isinstance(v, _Shown):
        return str(v)
    if isinstance(v, dict):
        inner = ",".join(f"{json.dumps(str(k))}:{_value_text(x)}" for k, x in v.items())
        return "{" + inner + "}"
    if isinstance(v, list):
        return "[" + ",".join(_value_text(x) for x in v) + "]"
    if isinstance(v, str) and len(v) > LONG_TEXT:
        return f"{json.dumps(v[: LONG_TEXT // 2], ensure_ascii=False)}…({len(v)} chars)"
    return json.dumps(v, ensure_ascii=False)


def _payloads(v: Data) -> Data:
    """A result with its byte payloads (``RESULT_BYTES``, ``items``) shown as
    ``b'…'(N B)``."""
    if isinstance(v, dict):
        out: dict[str, Data] = {}
        for k, x in v.items():
            shown = _bytes_text(x) if k in RESULT_BYTES and isinstance(x, str) else None
            if k == "items" and isinstance(x, list):
                out[k] = [
                    _Shown(_bytes_text(i) or i) if isinstance(i, str) else i for i in x
                ]
            else:
                out[k] = _Shown(shown) if shown is not None else _payloads(x)
        return out
    if isinstance(v, list):
        return [_payloads(x) for x in v]
    return v


def result_text(v: Data) -> str:
    """A result (or any value of a trace) as compact JSON, its byte payloads
    shown as ``b'…'(N B)``."""
    return _value_text(_payloads(v))


def _short(v: Data, width: int) -> str:
    return _clip(result_text(v), width)


def _arg_text(kind: object, v: Data) -> str:
    """One argument of an operation: bytes as ``b'..'`` (long ones by their
    length), everything else as compact JSON, in full."""
    if kind is bytes and isinstance(v, str):
        shown = _bytes_text(v)
        if shown is not None:
            return shown
    if kind == tuple[bytes, ...] and isinstance(v, list):
        return _value_text(
            [_Shown(_bytes_text(x) or x) if isinstance(x, str) else x for x in v]
        )
    return _value_text(v)


def op_text(op: Data) -> str:
    """``Send(handle=1, msg_type=7, flags=0, data=b'…'(64 B), caps=[2])`` from
    an encoded operation: every argument in full but long byte payloads, which
    are shown by their length (``SHORT_BYTES``)."""
    spec = OPS_BY_NAME.get(str(op.get("op")))
    kinds = {f.name: f.type for f in spec.fields} if spec is not None else {}
    args = op.get("args", {})
    shown = ", ".join(
        f"{k}={_arg_text(kinds.get(k), v)}"
        for k, v in (args.items() if isinstance(args, dict) else [])
    )
    return f"{op.get('op')}({shown})"


def _widths(steps: list[Data]) -> tuple[int, int]:
    """The operation and spec-result columns' widths: as wide as their widest
    entry, at most ``OP_WIDTH`` and ``RESULT_WIDTH``."""
    ops = [len(op_text(st["op"])) for st in steps]
    specs = [len(_short(st["spec"], RESULT_WIDTH)) for st in steps]
    return (
        min(max([len("operation"), *ops]), OP_WIDTH),
        min(max([len("spec"), *specs]), RESULT_WIDTH),
    )


def _check_text(check: Data) -> str:
    """``PORT-SEND 11/11`` (``*``: the error is listed more than once, the
    first listed position is shown)."""
    if not isinstance(check, dict):
        return ""
    star = "*" if check.get("ambiguous") else ""
    return f"{check.get('rule')} {check.get('position')}/{check.get('of')}{star}"


def rule_text(step: Data) -> str:
    """The rule column of one step: the check the spec's error stopped at
    (``PORT-SEND 11/11``), or else the first rule the step names (the
    operation's own), or ``-`` for a step recorded without rules."""
    check = step.get("check")
    if isinstance(check, dict):
        return _check_text(check)
    rules = step.get("rules")
    return str(rules[0]) if isinstance(rules, list) and rules else "-"


def format_table(data: Data, divergence: Data | None = None) -> str:
    """A readable table of a trace's steps and its divergence, with the rule
    the spec applied at each step (and the check, for an error)."""
    div = divergence if divergence is not None else data.get("divergence")
    bad = div.get("step") if isinstance(div, dict) else None
    w_op, w_spec = _widths(data["steps"])
    lines = [
        f"{'#':>3} {'pid':>3}  {'operation':<{w_op}} {'rule':<22} "
        f"{'spec':<{w_spec}} target"
    ]
    for i, st in enumerate(data["steps"], start=1):
        mark = "✗" if i == bad else " "
        target = st.get("target", st.get("spec"))
        t_check = _check_text(st.get("target_check"))
        lines.append(
            f"{i:>3} {st['pid']:>3}{mark} {_clip(op_text(st['op']), w_op):<{w_op}} "
            f"{_clip(rule_text(st), 22):<22} "
            f"{_short(st['spec'], w_spec):<{w_spec}} {_short(target, 60)}"
            + (f" ({t_check})" if t_check else "")
        )
    if isinstance(div, dict):
        lines.append("")
        lines.append(f"divergence at step {div.get('step')}: {div.get('kind')}")
        lines.append(f"  {div.get('message')}")
        if div.get("invariants"):
            lines.append(f"  invariants violated: {', '.join(div['invariants'])}")
        lines.extend(
            f"  {d['path']}: spec {_short(d['spec'], 30)}"
            f"  target {_short(d['target'], 30)}"
            for d in div.get("diff", [])[:12]
        )
    return "\n".join(lines)


@dataclass
class ReplayOutcome:
    """What replaying a trace or vector against a target gave."""

    steps: int
    divergence: Divergence | None
    spec_changed: list[int]

    @property
    def conforms(self) -> bool:
        """The target agreed with the spec on every step."""
        return self.divergence is None


def replay(
    data: Data,
    driver: Driver,
    mode: Mode | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> ReplayOutcome:
    """Run a trace's (or vector's) operations against ``driver`` in lock-step.

    The file is checked first (``tracefiles.validate``: ``TraceError`` if it is
    bad, before the target runs). Also notes steps of a trace where the spec's
    result today differs from the one recorded (the spec changed since the
    file was written); a vector's recorded results and observations must be
    the spec's, and the target's observations are compared with the spec's.
    ``on_step(i, n)``, if given, is called before step ``i`` of ``n`` runs
    (the progress of ``veridian-ipc replay``).
    """
    validate(data)
    chosen = mode or Mode(data.get("mode", Mode.EXACT.value))
    checker = Checker(
        driver,
        processes=data["processes"],
        config=decode_config(data["config"]),
        mode=chosen,
    )
    try:
        checker.reset()
    except Divergence as div:  # the initial states differ (a step-0 trace)
        return ReplayOutcome(0, div, [])
    changed: list[int] = []
    total = len(data["steps"])
    for i, st in enumerate(data["steps"], start=1):
        if on_step is not None:
            on_step(i, total)
        try:
            rec = checker.apply(st["pid"], decode_op(st["op"]))
        except Divergence as div:
            if div.steps and div.steps[-1].spec != st.get("spec"):
                changed.append(i)
            return ReplayOutcome(i, div, changed)
        if rec.spec != st.get("spec"):
            changed.append(i)
    return ReplayOutcome(len(data["steps"]), None, changed)


def minimize(
    ops: list[tuple[int, Operation]],
    make_checker: Callable[[], Checker],
    kind: str,
    budget: int = 400,
) -> Divergence | None:
    """A shorter sequence showing a divergence of the same ``kind``, if any.

    Finishes Hypothesis's shrinking: removes chunks of 8, 4, 2 and single steps
    (delta debugging) while the divergence persists, replaying each candidate
    from the initial state, at most ``budget`` replays. Ops keep their symbolic
    numbers, so a removed step changes what later numbers name; a candidate
    counts only if it still diverges the same way.
    """
    tries = 0
    broken = False

    def diverges(candidate: list[tuple[int, Operation]]) -> Divergence | None:
        nonlocal tries, broken
        tries += 1
        checker = make_checker()
        try:
            checker.reset()
            for pid, op in candidate:
                checker.apply(pid, op)
        except Divergence as div:
            return div if div.kind == kind else None
        except TargetFailure:  # stop: a broken target makes replays meaningless
            broken = True
            return None
        return None

    best = diverges(ops)
    if best is None:
        return None
    current = ops[: best.step]
    changed = True
    while changed and tries < budget and not broken:
        changed = False
        for chunk in (8, 4, 2, 1):
            i = 0
            while i < len(current) and tries < budget and not broken:
                candidate = current[:i] + current[i + chunk :]
                found = diverges(candidate) if candidate else None
                if found is not None:
                    best, current, changed = found, candidate[: found.step], True
                else:
                    i += chunk
    return best
