"""Reading trace and vector files that anyone may have written, completely checked.

``replay`` runs nothing until the file is known to be good: ``read`` reads it
within ``inbound.MAX_FILE`` bytes and parses it safely, ``check_structure``
checks every field against the format (``trace.schema.json``, by hand, so the
runtime needs no JSON Schema library) and the protocol's limits, and
``check_with_spec`` runs the spec alone over the steps:

- a **vector** claims the spec's result and observation after every step; a
  recorded result or observation that is not the spec's makes a **bad vector**
  (``TraceError``: the file is corrupt, or the spec changed since it was
  written and the vector must be re-recorded). Since the replay then compares
  the target's observation with the spec's after every step, up to renaming
  (``checker``), the target is compared with the recorded observations too;
- a **trace** records the spec's results for information only: steps where
  they differ from the spec's today are returned (a note, not an error).

Every problem is a ``TraceError`` with a one-line message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from veridian_ipc.spec import IpcError, RuleId, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary.results import Data, encode_result

from .compare import Mode, diff
from .inbound import (
    MAX_FILE,
    MAX_PROCESSES,
    InputError,
    check_int,
    check_object,
    clip,
    parse_json,
    show,
)
from .surface import ALL_GROUPS
from .wire import decode_config, decode_op, normalize_observation

TRACE_FORMAT = "veridian-ipc-trace"
VECTOR_FORMAT = "veridian-ipc-vector"
FORMAT_VERSION = 1
_RULE_IDS = frozenset(r.value for r in RuleId)
DIVERGENCE_KINDS = (
    "result",
    "observation",
    "invariant",
    "renaming",
    "spec",
    "crash",
    "hang",
    "protocol",
)


class TraceError(InputError):
    """A file that is not a valid trace or vector (a one-line message)."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(" ".join(message.split()), 400))


def read(path: Path) -> Data:
    """The JSON content of ``path`` (at most ``MAX_FILE`` bytes)."""
    try:
        with Path(path).open("rb") as f:
            raw = f.read(MAX_FILE + 1)
    except OSError as exc:
        raise TraceError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE:
        raise TraceError(f"{path}: larger than {MAX_FILE} bytes")
    try:
        return parse_json(raw)
    except InputError as exc:
        raise TraceError(f"{path}: {exc}") from None


def _strings(value: Data, what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(f"{what} must be a list of strings")


_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_DELIVERED = {"sender", "msg_type", "flags", "data", "caps"}


def _is_int(v: Data) -> bool:
    return type(v) is int


def _is_hex(v: Data) -> bool:
    return isinstance(v, str) and _HEX.fullmatch(v) is not None


def _is_value(v: Data) -> bool:
    """``v`` is a result value as ``results.encode_result`` writes one."""
    if v is None or v == "blocked" or _is_int(v):
        return True
    if not isinstance(v, dict):
        return False
    keys = set(v)
    if keys == {"bytes"}:
        return _is_hex(v["bytes"])
    if keys == {"items"}:
        items = v["items"]
        return isinstance(items, list) and all(_is_hex(x) for x in items)
    if keys == {"kind", "rights"}:
        return v["kind"] in ("port", "channel", "buffer") and _is_int(v["rights"])
    if keys == _DELIVERED:
        caps = v["caps"]
        return (
            all(_is_int(v[k]) for k in ("sender", "msg_type", "flags"))
            and _is_hex(v["data"])
            and isinstance(caps, list)
            and all(c is None or _is_int(c) for c in caps)
        )
    return False


def _result_problem(r: Data) -> str | None:
    """Why ``r`` is not an encoded result of the spec (``{"ok": value}`` /
    ``{"error": Name}``, ``Name`` an ``IpcError`` member: a target's result may
    carry any name, the spec's may not)."""
    if not isinstance(r, dict) or len(r) != 1:
        return "a result is an object with exactly one of 'ok', 'error'"
    if "error" in r:
        if not isinstance(r["error"], str) or r["error"] not in IpcError.__members__:
            return f"unknown error name {show(r['error'], 40)}"
        return None
    if "ok" not in r:
        return "a result is an object with exactly one of 'ok', 'error'"
    if not _is_value(r["ok"]):
        return "not a result value"
    return None


_CHECK_KEYS = {"rule", "error", "position", "of"}


def _check_check(value: Data, what: str) -> None:
    """A ``check`` (``checker.check_of``): a rule ID, an error name, its
    1-based ``position`` within the rule's ``of`` documented checks, and
    ``ambiguous`` when the error is listed more than once."""
    c = check_object(value, what)
    keys = set(c)
    if not keys >= _CHECK_KEYS or not keys <= _CHECK_KEYS | {"ambiguous"}:
        raise InputError(
            f"{what} must have {sorted(_CHECK_KEYS)} and optionally 'ambiguous'"
        )
    if not isinstance(c["rule"], str) or c["rule"] not in _RULE_IDS:
        raise InputError(f"{what} rule {show(c['rule'], 40)} is not a rule ID")
    if not isinstance(c["error"], str):
        raise InputError(f"{what} error must be a string")
    check_int(c["of"], f"{what} of", 1, 10_000)
    check_int(c["position"], f"{what} position", 1, c["of"])
    if "ambiguous" in c and not isinstance(c["ambiguous"], bool):
        raise InputError(f"{what} ambiguous must be true or false")


def _check_step(i: int, st: Data, trace: bool) -> None:
    where = f"step {i}"
    s = check_object(st, where)
    needed = ("pid", "op", "spec", "target" if trace else "observation")
    missing = [k for k in needed if k not in s]
    if missing:
        raise InputError(f"{where} lacks {missing}")
    check_int(s["pid"], f"{where} pid")
    try:
        decode_op(s["op"])
    except InputError as exc:
        raise InputError(f"{where} op: {exc}") from None
    problem = _result_problem(s["spec"])
    if problem is not None:
        raise InputError(f"{where} spec result {show(s['spec'], 60)}: {problem}")
    if "rules" in s:
        _strings(s["rules"], f"{where} rules")
    for key in ("check", "target_check"):
        if key in s:
            _check_check(s[key], f"{where} {key}")
    if not trace:
        try:
            normalize_observation(s["observation"])
        except InputError as exc:
            raise InputError(f"{where} observation: {exc}") from None


def _check_divergence(div: Data, steps: int) -> None:
    d = check_object(div, "divergence")
    missing = [k for k in ("step", "kind", "message") if k not in d]
    if missing:
        raise InputError(f"divergence lacks {missing}")
    check_int(d["step"], "divergence step", 0, steps)
    if d["kind"] not in DIVERGENCE_KINDS:
        raise InputError(f"divergence kind must be one of {list(DIVERGENCE_KINDS)}")
    if not isinstance(d["message"], str):
        raise InputError("divergence message must be a string")
    if "invariants" in d:
        _strings(d["invariants"], "divergence invariants")
    for key in ("check", "target_check"):
        if key in d:
            _check_check(d[key], f"divergence {key}")
    entries = d.get("diff", [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and {"path", "spec", "target"} <= set(e) for e in entries
    ):
        raise InputError("divergence diff must be a list of {path, spec, target}")


def check_structure(data: Data) -> None:
    """Every field of a trace or vector, as ``trace.schema.json`` defines it,
    within the protocol's limits; ``InputError`` says what is wrong."""
    d = check_object(data, "the file")
    kind = d.get("format")
    if kind not in (TRACE_FORMAT, VECTOR_FORMAT):
        raise InputError(f"format must be {TRACE_FORMAT!r} or {VECTOR_FORMAT!r}")
    version = d.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise InputError(f"format version {show(version, 40)}, not {FORMAT_VERSION}")
    trace = kind == TRACE_FORMAT
    needed = ["processes", "config", "groups", "steps"]
    needed += ["target", "mode", "divergence"] if trace else []
    missing = [k for k in needed if k not in d]
    if missing:
        raise InputError(f"lacks {missing}")
    check_int(d["processes"], "processes", 0, MAX_PROCESSES)
    decode_config(d["config"])
    groups = d["groups"]
    if not isinstance(groups, list) or not all(g in ALL_GROUPS for g in groups):
        raise InputError(f"groups must be a list of {list(ALL_GROUPS)}")
    steps = d["steps"]
    if not isinstance(steps, list):
        raise InputError("steps must be a list")
    for i, st in enumerate(steps, start=1):
        _check_step(i, st, trace)
    if trace:
        if not isinstance(d["target"], str):
            raise InputError("target must be a string")
        if d["mode"] not in [m.value for m in Mode]:
            raise InputError(f"mode must be one of {[m.value for m in Mode]}")
        _check_divergence(d["divergence"], len(steps))
        if "seed" in d:
            check_int(d["seed"], "seed", 0, 2**64 - 1)
    elif "name" in d and not isinstance(d["name"], str):
        raise InputError("name must be a string")


def _as_json(v: Data, i: int) -> Data:
    try:
        return json.loads(json.dumps(v))
    except ValueError:  # an integer beyond the int-string limit
        raise InputError(f"step {i}: a number too large to write") from None


def _canonical(v: Data) -> str:
    """JSON text that tells ``1`` from ``true`` and ``1.0`` (``==`` does not)."""
    return json.dumps(v, sort_keys=True)


def check_with_spec(data: Data) -> list[int]:
    """Run the spec alone over a checked file's steps.

    A vector's recorded results and observations must be the spec's
    (``InputError`` otherwise); for a trace, the steps whose recorded result
    differs from the spec's today are returned.
    """
    vector = data["format"] == VECTOR_FORMAT
    s = initial_state(processes=data["processes"], config=decode_config(data["config"]))
    changed: list[int] = []
    for i, st in enumerate(data["steps"], start=1):
        try:
            s, r = step(s, st["pid"], decode_op(st["op"]))
        except Exception:  # a spec bug (ERR-TOTAL): the replay reports it
            return changed
        result = encode_result(r)
        if _canonical(_as_json(result, i)) != _canonical(st["spec"]):
            if vector:
                raise InputError(
                    f"step {i}: the recorded result {show(st['spec'], 60)} is not "
                    f"the spec's {show(result, 60)} (corrupt, or the spec changed: "
                    "re-record the vector)"
                )
            changed.append(i)
        if vector:
            mine = _as_json(observe(s), i)
            recorded = st["observation"]
            if _canonical(recorded) != _canonical(mine):
                where = ", ".join(str(x["path"]) for x in diff(mine, recorded)[:3])
                raise InputError(
                    f"step {i}: the recorded observation differs from the spec's "
                    f"at {clip(where, 120)} (corrupt, or the spec changed: "
                    "re-record the vector)"
                )
    return changed


def validate(data: Data) -> list[int]:
    """``check_structure`` then ``check_with_spec``; ``TraceError`` if bad."""
    try:
        check_structure(data)
        return check_with_spec(data)
    except TraceError:
        raise
    except InputError as exc:
        raise TraceError(str(exc)) from None
