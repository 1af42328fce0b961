"""Hostile inputs for the campaigns against the protocol server and ``replay``.

Strategies that take valid data (protocol lines, trace files) and break it:
hostile JSON values spliced in at any place, bytes flipped, lines cut, dropped,
repeated or reordered, random bytes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: JSON texts (some deliberately not JSON) that break a field's expectations.
HOSTILE_TEXTS: list[str] = [
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.9",
    "-0.0",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    '"1"',
    '""',
    '"\\ud800"',
    '"\\u0000"',
    "[]",
    "{}",
    "[[[]]]",
    '{"op":"CreatePort","args":{"capacity":1}}',
    str(1 << 63),
    str(-(1 << 63) - 1),
    str(10**7),
    str(10**30),
    "9" * 4301,
    "9" * 5000,
    "[" * 950 + "]" * 950,
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "0" + "}" * 3000,
    '"' + "x" * 5000 + '"',
    "[" + ",".join(["0"] * 20000) + "]",
    "01",
    "'single'",
    "",
]

_MARK = "\u0001hostile\u0001"


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list indices), outermost first."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((*prefix, i))
            out.extend(paths(v, (*prefix, i)))
    return out


def splice(value: Any, path: tuple[Any, ...], text: str | None) -> str:
    """The JSON text of ``value`` with the value at ``path`` replaced by ``text``
    (``None``: removed)."""
    root: Any = json.loads(json.dumps(value))
    node = root
    for key in path[:-1]:
        node = node[key]
    if text is None:
        del node[path[-1]]
        return json.dumps(root)
    node[path[-1]] = _MARK
    return json.dumps(root).replace(json.dumps(_MARK), text, 1)


@st.composite
def mutated_json(draw: st.DrawFn, value: Any) -> bytes:
    """``value`` as JSON text, broken in one of several ways."""
    text = json.dumps(value)
    how = draw(st.sampled_from(["splice", "remove", "bytes", "cut", "random"]))
    where = paths(value)
    if how in ("splice", "remove") and where:
        path = draw(st.sampled_from(where))
        hostile = None if how == "remove" else draw(st.sampled_from(HOSTILE_TEXTS))
        return splice(value, path, hostile).encode()
    raw = text.encode()
    if how == "bytes" and raw:
        i = draw(st.integers(0, len(raw) - 1))
        b = draw(st.integers(0, 255))
        return raw[:i] + bytes([b]) + raw[i + 1 :]
    if how == "cut":
        return raw[: draw(st.integers(0, len(raw)))]
    return draw(st.binary(max_size=300))
