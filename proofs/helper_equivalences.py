"""The hand encodings of the spec's loop-free helpers equal their code.

Each ``Equivalence`` translates a spec helper's own source (``translate``)
and proves the translation equal, for every input, to the term the encoding
writes by hand for it:

- ``filters.refill`` (FILTER-RATE) and ``enc_filters.refill``: the bucket's
  tokens and stamp after crediting the whole periods elapsed, for a
  rate-limited filter (period at least 1, as FILTER-SET requires);
- ``filters.check_filter`` (FILTER-CHECK) and ``enc_filters.check_filter``:
  the helper returns no error exactly when the encoding's check passes;
- ``buffers.in_bounds`` (BUF-READ, BUF-WRITE) and ``enc_buffers.in_bounds``.

``EQUIVALENCES`` lists them; ``equivalence_checks`` turns them into the
``Check``s of the HELPER-EQUIVALENCE obligation, whose negative control
translates a drifted copy of a helper (``drifted_checks``).
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from veridian_ipc.spec.buffers import in_bounds
from veridian_ipc.spec.filters import check_filter, refill

from . import enc_buffers, enc_filters
from ._smt import And, Implies, Model, Term
from .induction import Check
from .translate import Equivalence, ints, source_of, translate


def _refill_claim(source: str) -> Term:
    v = ints("clock", "stamp", "period", "tokens", "refill", "burst")
    env = {
        "now": v["clock"],
        "f.tokens": v["tokens"],
        "f.stamp": v["stamp"],
        "f.rate.burst": v["burst"],
        "f.rate.refill": v["refill"],
        "f.rate.period": v["period"],
        "f.rate is None": z3.BoolVal(False),
    }
    got = translate(source, env)
    assert isinstance(got, dict)
    tokens, stamp, _ = enc_filters.refill(v)
    return Implies(
        v["period"] >= 1, And(got["tokens"] == tokens, got["stamp"] == stamp)
    )


def _check_filter_claim(source: str) -> Term:
    v = ints("msg_type", "size", "max_size")
    s = {
        "any_type": z3.Bool("any_type"),
        "allowed": z3.Array("allowed", z3.IntSort(), z3.BoolSort()),
        "any_size": z3.Bool("any_size"),
        "max_size": v["max_size"],
    }
    env = {
        "msg_type": v["msg_type"],
        "size": v["size"],
        "f.allowed_types is None": s["any_type"],
        "f.allowed_types": s["allowed"],
        "f.max_size is None": s["any_size"],
        "f.max_size": s["max_size"],
    }
    got = translate(source, env)
    assert not isinstance(got, dict)
    hand = enc_filters.check_filter(s, v["msg_type"], v["size"])
    return (got == 0) == hand


def _in_bounds_claim(source: str) -> Term:
    v = ints("size", "offset", "length")
    got = translate(source, v)
    assert not isinstance(got, dict)
    return got == enc_buffers.in_bounds(v["size"], v["offset"], v["length"])


#: Every helper translated and proved equal to its hand encoding.
EQUIVALENCES: tuple[Equivalence, ...] = (
    Equivalence("filters.refill", "veridian_ipc.spec.filters.refill", _refill_claim),
    Equivalence(
        "filters.check_filter",
        "veridian_ipc.spec.filters.check_filter",
        _check_filter_claim,
    ),
    Equivalence(
        "buffers.in_bounds", "veridian_ipc.spec.buffers.in_bounds", _in_bounds_claim
    ),
)

#: Each helper's source, read once.
SOURCES = {
    "filters.refill": source_of(refill),
    "filters.check_filter": source_of(check_filter),
    "buffers.in_bounds": source_of(in_bounds),
}

#: A drift per helper (old text, new text): what the negative control does.
DRIFTS = {
    "filters.refill": ("min(f.rate.burst,", "max(f.rate.burst,"),
    "filters.check_filter": ("size > f.max_size", "size > f.max_size + 1"),
    "buffers.in_bounds": ("offset + length <= size", "offset + length < size"),
}


def drifted(name: str) -> str:
    """The helper's source with its drift applied (``ValueError`` if the drift
    no longer applies: the helper's text changed)."""
    old, new = DRIFTS[name]
    if old not in SOURCES[name]:
        raise ValueError(f"{name}: the drift {old!r} no longer applies")
    return SOURCES[name].replace(old, new, 1)


def _decode(name: str) -> Callable[[Model], str]:
    def decode(model: Model) -> str:
        return f"{name}: the translated helper and the hand encoding differ"

    return decode


def equivalence_checks(sources: dict[str, str] | None = None) -> list[Check]:
    """One check per helper: its translation equals the hand encoding."""
    src = SOURCES if sources is None else sources
    return [
        Check(
            f"HELPER-EQUIVALENCE/{eq.name}",
            eq.claim(src[eq.name]),
            _decode(eq.name),
            f"helper: {eq.name}" if sources is None else None,
        )
        for eq in EQUIVALENCES
    ]


def drifted_checks() -> list[Check]:
    """The negative control: every helper drifted, every check must fail."""
    return equivalence_checks({n: drifted(n) for n in SOURCES})


__all__ = [
    "DRIFTS",
    "EQUIVALENCES",
    "SOURCES",
    "drifted",
    "drifted_checks",
    "equivalence_checks",
]
