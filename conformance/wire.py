"""Canonical plain-data encoding of operations, configurations and observations.

One encoding serves the JSON-lines protocol, trace files and static vectors:

- An operation is ``{"op": Name, "args": {field: value}}``; ``Name`` is the
  record's class name (``syscalls.OPERATIONS_BY_NAME``). ``bytes`` are lowercase
  hex strings, a tuple of bytes a list of hex strings, a ``frozenset`` a sorted
  list, a ``RateLimit`` an object ``{"burst", "refill", "period"}``, ``None``
  ``null``. A field value of another type than declared is sent as it is (a
  JSON ``true`` for an int field, say), so ill-typed operations (ERR-TOTAL)
  travel too.
- Results are ``results.encode_result`` (``{"ok": value}`` / ``{"error": Name}``).
- Observations are ``observe.observe``; JSON turns their integer keys into
  strings, ``normalize_observation`` turns them back.
"""

from __future__ import annotations

import dataclasses
import re
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import (
    OPERATIONS,
    OPERATIONS_BY_NAME,
    Operation,
    RateLimit,
)

from .inbound import INT_MAX, InputError, check_int, clip, show


class WireError(InputError):
    """Plain data that is not a valid encoding."""


def _encode_field(v: object) -> Data:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, frozenset):
        return sorted(v)
    if isinstance(v, tuple):
        return [_encode_field(x) for x in v]
    if isinstance(v, RateLimit):
        return {"burst": v.burst, "refill": v.refill, "period": v.period}
    return v


def encode_op(op: Operation) -> Data:
    """``{"op": Name, "args": {...}}`` for an operation record."""
    args = {
        f.name: _encode_field(getattr(op, f.name))
        for f in dataclasses.fields(op)  # type: ignore[arg-type]
    }
    return {"op": type(op).__name__, "args": args}


def _decode_as(tp: object, v: Data) -> Any:
    """``v`` decoded as annotation ``tp``; values that do not fit stay as they are."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        alts = get_args(tp)
        if v is None and type(None) in alts:
            return None
        for alt in alts:
            if alt is type(None):
                continue
            decoded = _decode_as(alt, v)
            if decoded is not v or _fits(alt, v):
                return decoded
        return v
    if tp is bytes and isinstance(v, str):
        try:
            return bytes.fromhex(v)
        except ValueError:
            return v
    if origin is tuple and isinstance(v, list):
        (item,) = get_args(tp)[:1]
        return tuple(_decode_as(item, x) for x in v)
    if origin is frozenset and isinstance(v, list):
        try:
            return frozenset(v)
        except TypeError:
            return v
    if tp is RateLimit and isinstance(v, dict):
        try:
            return RateLimit(**v)
        except TypeError:
            return v
    return v


def _fits(tp: object, v: Data) -> bool:
    if tp is int:
        return type(v) is int
    if tp in (bool, str):
        return type(v) is tp
    return False


_HINTS: dict[type, dict[str, Any]] = {c: get_type_hints(c) for c in OPERATIONS}


def decode_op(data: Data) -> Operation:
    """The operation record ``data`` encodes (fields of wrong type kept as sent)."""
    if not isinstance(data, dict) or not isinstance(data.get("op"), str):
        raise WireError(f"not an operation: {show(data, 80)}")
    cls = OPERATIONS_BY_NAME.get(data["op"])
    if cls is None:
        raise WireError(f"unknown operation {show(data['op'], 60)}")
    if set(data) != {"op", "args"}:
        shown = [clip(str(k), 40) for k in sorted(set(data) ^ {"op", "args"})[:5]]
        raise WireError(f"an operation is exactly {{op, args}}: {shown}")
    args = data["args"]
    if not isinstance(args, dict):
        raise WireError(f"operation args must be an object, not {show(args, 60)}")
    hints = _HINTS[cls]
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(args) - set(names))
    if unknown:
        shown = [clip(k, 40) for k in unknown[:5]]
        raise WireError(f"{cls.__name__}: unknown fields {shown}")
    kwargs = {n: _decode_as(hints[n], args[n]) for n in names if n in args}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise WireError(f"{cls.__name__}: {clip(str(exc))}") from None


def encode_config(c: Config) -> Data:
    """A configuration as ``{field: int}``."""
    return {f.name: getattr(c, f.name) for f in dataclasses.fields(c)}


def decode_config(data: Data) -> Config:
    """The configuration ``data`` encodes; missing fields take their defaults.

    Every field is an integer in ``0..INT_MAX`` (a limit); a limit the spec's
    ``Config`` refuses (``ValueError`` / ``TypeError``) is a ``WireError`` too.
    """
    if not isinstance(data, dict):
        raise WireError(f"config must be an object, not {show(data, 60)}")
    names = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise WireError(
            f"config has unknown fields {[clip(k, 40) for k in unknown[:5]]}"
        )
    try:
        for k, v in data.items():
            check_int(v, f"config {k}", 0, INT_MAX)
        return Config(**data)
    except (TypeError, ValueError) as exc:
        raise WireError(f"bad config: {clip(str(exc))}") from None


_INT_KEY = re.compile(r"-?[0-9]{1,19}")


def _int_keys(d: Data, what: str) -> dict[int, Data]:
    """``d`` with its keys, decimal integers (as JSON writes them), as ints."""
    if not isinstance(d, dict):
        raise WireError(f"{what} must be an object")
    out: dict[int, Data] = {}
    for k, v in d.items():
        if type(k) is int:
            out[k] = v
        elif isinstance(k, str) and _INT_KEY.fullmatch(k):
            out[int(k)] = v
        else:
            raise WireError(f"{what}: key {show(k, 40)} is not an integer")
    return out


#: The observation's top-level sections.
SECTIONS = ("clock", "processes", "ports", "channels", "buffers", "namespace")


def normalize_observation(
    data: Data, sections: tuple[str, ...] | frozenset[str] = SECTIONS
) -> Data:
    """An observation read from JSON, with its integer-keyed maps' keys as ints.

    ``sections`` are the top-level sections it must have: all of them, unless
    the target declared a partial observation (``observation``, which cuts
    the observation down first); then only the parts present are
    normalized, and a process's missing handles, mappings or fds are not
    filled in as empty."""
    full = tuple(sections) == SECTIONS
    if not isinstance(data, dict):
        raise WireError("an observation must be an object")
    missing = set(sections) - set(data)
    if missing:
        raise WireError(f"observation lacks {sorted(missing)}")
    out = dict(data)
    if "processes" in data:
        procs = _int_keys(data["processes"], "processes")
        for pid, p in procs.items():
            if not isinstance(p, dict):
                raise WireError(f"process {pid} must be an object")
            q = dict(p)
            for key in ("handles", "mappings", "fds"):
                if full or key in p:
                    q[key] = _int_keys(p.get(key, {}), f"process {pid} {key}")
            procs[pid] = q
        out["processes"] = procs
    for key in ("ports", "channels", "buffers"):
        if key in data:
            out[key] = _int_keys(data[key], key)
    return out
