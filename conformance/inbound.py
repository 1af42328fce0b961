"""Untrusted input: safe JSON parsing and strict field checks, with their limits.

The protocol server (``serve``) and ``replay`` (``tracefiles``) read data that
anyone may have written. Whatever they are given, they answer with a short,
clear error and never a traceback, in bounded memory. This module holds what
both need:

- ``read_line``: one line of at most ``MAX_LINE`` bytes, read in bounded
  chunks; a longer line is refused without keeping the rest of it.
- ``parse_json``: UTF-8 (strict), no ``NaN`` / ``Infinity`` and no float out of
  range (``1e400``), integers of at most ``MAX_INT_DIGITS`` digits (whatever
  the interpreter's int-string limit), nesting that would exhaust the parser's
  stack refused.
- ``check_int``: a JSON integer (not a boolean, not a float) within a range.
- ``clip``: the first ``MAX_ECHO`` characters of anything echoed back.

The limits are part of the protocol and of the trace format (``PROTOCOL.md``).
"""

from __future__ import annotations

import json
import math
from typing import IO

from veridian_ipc.vocabulary.results import Data

#: Longest protocol line accepted, newline included (4 MiB: a ``WriteBuffer`` of
#: the default ``max_io``, 1 MiB, is 2 MiB of hex).
MAX_LINE = 1 << 22
#: Largest trace or vector file ``replay`` reads.
MAX_FILE = 1 << 26
#: Most processes a ``reset`` or a trace may ask for.
MAX_PROCESSES = 256
#: Numbers of the protocol (pids, ids, configuration limits) are signed 64-bit
#: integers, so that a target in any language can hold them.
INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1
#: Longest integer literal accepted (Python's default int-string limit).
MAX_INT_DIGITS = 4300
#: Longest excerpt of the input repeated in an error message.
MAX_ECHO = 200


class InputError(ValueError):
    """Input that is not acceptable; the message says why, briefly."""


def clip(text: str, width: int = MAX_ECHO) -> str:
    """``text`` cut to ``width`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def show(value: object, width: int = MAX_ECHO) -> str:
    """A short ``repr`` of ``value`` for an error message (never raises)."""
    try:
        text = repr(value)
    except Exception as exc:  # a huge int, a broken __repr__
        text = f"<{type(value).__name__}: unprintable ({type(exc).__name__})>"
    return clip(text, width)


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, clipped (never raises)."""
    try:
        text = str(exc)
    except Exception:
        text = show(exc.args)
    return clip(f"{type(exc).__name__}: {clip(text)}" if text else type(exc).__name__)


def read_line(inp: IO[bytes], limit: int = MAX_LINE) -> bytes:
    """The next line of ``inp`` (``b""`` at the end), at most ``limit`` bytes.

    Reads at most ``limit + 1`` bytes: a line longer than ``limit`` raises
    ``InputError`` and the rest of it is never read.
    """
    raw = inp.readline(limit + 1)
    if len(raw) > limit:
        raise InputError(f"line longer than {limit} bytes")
    return raw


def _reject_constant(name: str) -> float:
    raise InputError(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise InputError(f"integer with {digits} digits")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_INT_DIGITS:
        raise InputError(f"number with {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"number {clip(text, 40)} is out of range")
    return value


def parse_json(raw: bytes | str) -> Data:
    """The JSON value of ``raw``; ``InputError`` with a short reason otherwise."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} at character {exc.pos}") from None
    except RecursionError:
        raise InputError("JSON nested too deeply") from None
    except MemoryError:
        raise InputError("JSON too large to decode") from None


def check_int(value: Data, what: str, lo: int = INT_MIN, hi: int = INT_MAX) -> int:
    """``value`` if it is a JSON integer in ``lo..hi``; else ``InputError``."""
    if type(value) is not int:
        raise InputError(f"{what} must be an integer, not {show(value, 60)}")
    if not lo <= value <= hi:
        raise InputError(f"{what} must be in {lo}..{hi}, not {show(value, 60)}")
    return value


def check_object(value: Data, what: str) -> dict[str, Data]:
    """``value`` if it is a JSON object; else ``InputError``."""
    if not isinstance(value, dict):
        raise InputError(f"{what} must be an object, not {show(value, 60)}")
    return value


def check_fields(
    msg: dict[str, Data], what: str, required: set[str], optional: frozenset[str]
) -> None:
    """``msg`` has every ``required`` field and no field outside both sets."""
    missing = required - set(msg)
    if missing:
        raise InputError(f"{what} lacks {sorted(missing)}")
    extra = set(msg) - required - optional
    if extra:
        names = [clip(str(k), 40) for k in sorted(extra)[:5]]
        raise InputError(f"{what} has unknown fields {names}")
