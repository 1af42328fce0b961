"""The buffer encoding (spec ``buffers``): one buffer's memory and its accesses.

Abstract state (spec ``Buffer``): ``size`` and ``contents[o]``, the byte at
offset ``o`` (0 where the spec's map has no entry). ``max_io`` is the
configured per-access limit. Reads and writes go through a mapping
(``writable`` says whether it was mapped writable).

INV-BUFFER-BOUNDS: stored bytes lie inside ``[0, size)`` and are 1..255.
``BUF-READ/in-bounds``: every byte a successful read returns comes from inside
the buffer (``buffers.in_bounds``); a write likewise touches only offsets inside.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId

from ._smt import (
    And,
    If,
    Implies,
    IntSort,
    Model,
    Not,
    Or,
    Term,
    forall,
    int_to_int,
    lam,
    model_value,
)
from .induction import (
    Conjunct,
    Field,
    Param,
    Params,
    State,
    StepProperty,
    System,
    Transition,
    array_param,
    bool_param,
    int_param,
    updated,
)

INT = IntSort


FIELDS = (
    Field("size", IntSort),
    Field("max_io", IntSort),
    Field("contents", int_to_int),
)


def in_bounds(size: Term, offset: Term, length: Term, slack: int = 0) -> Term:
    """``buffers.in_bounds``: ``[offset, offset + length)`` inside ``[0, size)``."""
    return And(offset >= 0, length >= 0, offset + length <= size + slack)


def _write(s: State, a: Params, slack: int = 0) -> tuple[Term, State]:
    """BUF-WRITE: a writable mapping, ``len(data) <= max_io``, in bounds; the
    bytes ``data[0..n)`` (each 0..255; 0 erases the entry) stored at ``offset``."""
    off, n, data = a["offset"], a["n"], a["data"]
    is_bytes = forall(
        ["i"],
        [INT()],
        lambda i: Implies(And(i >= 0, i < n), And(data[i] >= 0, data[i] <= 255)),
    )
    guard = And(
        a["writable"],
        n >= 0,
        n <= s["max_io"],
        is_bytes,
        in_bounds(s["size"], off, n, slack),
    )
    contents = s["contents"]
    return guard, updated(
        s,
        contents=lam(
            "i",
            INT(),
            lambda i: If(And(i >= off, i < off + n), data[i - off], contents[i]),
        ),
    )


def _read(s: State, a: Params) -> tuple[Term, State]:
    """BUF-READ: ``0 <= length <= max_io`` and in bounds; nothing changes."""
    n = a["length"]
    return And(n >= 0, n <= s["max_io"], in_bounds(s["size"], a["offset"], n)), s


def _write_params() -> tuple[Param, ...]:
    return (
        int_param("offset"),
        int_param("n"),
        array_param("data", int_to_int),
        bool_param("writable"),
    )


TRANSITIONS = (
    Transition("write", (RuleId.BUF_WRITE,), _write_params(), _write),
    Transition(
        "read",
        (RuleId.BUF_READ,),
        (int_param("offset"), int_param("length")),
        _read,
    ),
)

WRITE_PAST_END = Transition(
    "write", (RuleId.BUF_WRITE,), _write_params(), lambda s, a: _write(s, a, slack=1)
)


def _bounds(s: State) -> Term:
    c = s["contents"]
    return And(
        s["size"] >= 1,
        forall(
            ["o"],
            [INT()],
            lambda o: Implies(
                c[o] != 0, And(o >= 0, o < s["size"], c[o] >= 1, c[o] <= 255)
            ),
        ),
    )


CONJUNCTS = (Conjunct("INV-BUFFER-BOUNDS", _bounds),)


def _init(s: State) -> Term:
    """BUF-CREATE: ``size`` zero bytes, ``1 <= size``."""
    return And(s["size"] >= 1, forall(["o"], [INT()], lambda o: s["contents"][o] == 0))


def _access_inside(pre: State, post: State, a: Params, name: str) -> Term:
    """BUF-READ / BUF-WRITE: an access that succeeds stays inside the buffer
    and changes no byte outside the range it names."""
    off = a["offset"]
    n = a["n"] if name == "write" else a["length"]
    c, c2 = pre["contents"], post["contents"]
    return And(
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= off, i < off + n), And(i >= 0, i < pre["size"])),
        ),
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(Or(i < off, i >= off + n), c2[i] == c[i]),
        ),
        Not(post["size"] != pre["size"]),
    )


ACCESS_INSIDE = StepProperty("BUF-ACCESS/inside", _access_inside)


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The buffer's size and the access."""
    return [
        f"buffer of size {model_value(model, pre['size'])}, "
        f"max_io {model_value(model, pre['max_io'])}"
    ]


SYSTEM = System(
    "buffer", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe, lambda s, n: And(True)
)
