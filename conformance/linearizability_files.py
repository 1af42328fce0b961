"""Linearizability history files: a history as JSON, to check later or elsewhere.

``encode_history`` turns the calls of a history and what its initial state is
(``initial_state(processes, config)``, then setup operations) into plain data;
``decode_history`` gives back the calls and the initial spec state, and
``python -m veridian_ipc.conformance.linearizability FILE`` checks a saved
file. Steps and results use the conformance protocol's encodings (``wire``;
``encode_result``), plus ``{"op": "Expire", "args": {}}`` for the ``Expire``
pseudo-operation. Malformed data raises ``WireError`` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable

from veridian_ipc.spec.state import KernelState, initial_state
from veridian_ipc.spec.step import step
from veridian_ipc.vocabulary.errors import error_named
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import (
    BLOCKED,
    CapInfo,
    Data,
    Delivered,
    Err,
    Ok,
    Result,
    Value,
    encode_result,
)
from veridian_ipc.vocabulary.syscalls import Operation

from .linearizability_history import Call, Expire, StepOp
from .wire import WireError, decode_config, decode_op, encode_config, encode_op

HISTORY_VERSION = 1


def encode_step(op: StepOp) -> Data:
    """A step as plain data: ``wire.encode_op``, or ``{"op": "Expire"}``."""
    if isinstance(op, Expire):
        return {"op": "Expire", "args": {}}
    return encode_op(op)


def decode_step(data: Data) -> StepOp:
    """The step ``data`` encodes (``WireError`` if it is none)."""
    if isinstance(data, dict) and data.get("op") == "Expire":
        return Expire()
    return decode_op(data)


def decode_result(data: Data) -> Result:
    """The inverse of ``results.encode_result`` (``WireError`` on bad data)."""
    if isinstance(data, dict) and set(data) == {"error"}:
        try:
            return Err(error_named(data["error"]))
        except (KeyError, ValueError) as e:
            raise WireError(f"unknown error {data['error']!r}") from e
    if not isinstance(data, dict) or set(data) != {"ok"}:
        raise WireError(f"not a result: {data!r}")
    return Ok(_decode_value(data["ok"]))


def _decode_value(v: Data) -> Value:
    if v is None or type(v) is int:
        return v
    if v == "blocked":
        return BLOCKED
    try:
        if isinstance(v, dict) and set(v) == {"bytes"}:
            return bytes.fromhex(v["bytes"])
        if isinstance(v, dict) and set(v) == {"items"}:
            return tuple(bytes.fromhex(x) for x in v["items"])
        if isinstance(v, dict) and set(v) == {"kind", "rights"}:
            return CapInfo(str(v["kind"]), int(v["rights"]))
        if isinstance(v, dict) and set(v) == {
            "sender",
            "msg_type",
            "flags",
            "data",
            "caps",
        }:
            caps = tuple(None if c is None else int(c) for c in v["caps"])
            return Delivered(
                int(v["sender"]),
                int(v["msg_type"]),
                int(v["flags"]),
                bytes.fromhex(v["data"]),
                caps,
            )
    except (TypeError, ValueError) as e:
        raise WireError(f"bad value {v!r}: {e}") from e
    raise WireError(f"not a result value: {v!r}")


def encode_history(
    calls: Iterable[Call],
    processes: int,
    config: Config | None = None,
    setup: Iterable[tuple[int, Operation]] = (),
) -> Data:
    """A history as plain data (JSON-able), with what its initial state is:
    ``initial_state(processes, config)`` then the ``setup`` operations, applied
    in order before any call (their spec results are recomputed on loading).

    ``{"version": 1, "processes": n, "config": {...}, "setup": [[pid, op]...],
    "calls": [{"pid", "thread", "ops": [op...], "result": result | null,
    "invoked": ns, "responded": ns | null}...]}``; operations and results as in
    ``wire`` (``{"op": Name, "args": {...}}``, ``{"ok": v}`` / ``{"error": N}``).
    """
    return {
        "version": HISTORY_VERSION,
        "processes": processes,
        "config": encode_config(config or Config()),
        "setup": [[pid, encode_op(op)] for pid, op in setup],
        "calls": [
            {
                "pid": c.pid,
                "thread": c.thread,
                "ops": [encode_step(op) for op in c.ops],
                "result": None if c.result is None else encode_result(c.result),
                "invoked": c.invoked,
                "responded": c.responded,
            }
            for c in calls
        ],
    }


def decode_history(data: Data) -> tuple[list[Call], KernelState]:
    """The calls and the initial spec state of an encoded history."""
    if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
        raise WireError(f"not a version {HISTORY_VERSION} history")
    try:
        s = initial_state(int(data["processes"]), decode_config(data["config"]))
        for pid, op in data.get("setup", []):
            s, _ = step(s, int(pid), decode_op(op))
        calls = [
            Call(
                int(c["pid"]),
                tuple(decode_step(op) for op in c["ops"]),
                None if c["result"] is None else decode_result(c["result"]),
                int(c["invoked"]),
                None if c["responded"] is None else int(c["responded"]),
                str(c.get("thread", "")),
            )
            for c in data["calls"]
        ]
    except (KeyError, TypeError) as e:
        raise WireError(f"malformed history: {e!r}") from e
    return calls, s


__all__ = [
    "HISTORY_VERSION",
    "decode_history",
    "decode_result",
    "decode_step",
    "encode_history",
    "encode_step",
]
