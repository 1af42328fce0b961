"""The hand encodings of the spec's loop-free helpers equal their code.

Each ``Equivalence`` translates a spec helper's own source (``translate``)
and proves the translation equal, for every input, to the term the encoding
writes by hand for it:

- ``filters.refill`` (FILTER-RATE) and ``enc_filters.refill``: the bucket's
  tokens and stamp after crediting the whole periods elapsed, for a
  rate-limited filter (period at least 1, as FILTER-SET requires);
- ``filters.check_filter`` (FILTER-CHECK) and ``enc_filters.check_filter``:
  the helper returns no error exactly when the encoding's check passes;
- ``buffers.in_bounds`` (BUF-READ, BUF-WRITE) and ``enc_buffers.in_bounds``;
- ``filters.take_token`` (FILTER-RATE; it calls ``refill``, translated in
  place) and ``enc_filters.take_token``: the send is refused exactly when the
  encoding finds no token, and otherwise the bucket is the encoding's, for a
  filter with or without a rate limit;
- ``channels.push`` and ``channels.pop`` (CHAN-SEND, CHAN-RECEIVE and their
  batches), their ring index arithmetic against the channel encoding's
  ``send`` and ``receive``: the indices move as the encoding's ``w`` and
  ``r`` do, the ring holds ``w - r`` messages, and a receive takes the
  encoding's ``min(max_count, w - r)`` (sequences translate to their
  lengths; the slots are the agreement pass's business).

``EQUIVALENCES`` lists them; ``equivalence_checks`` turns them into the
``Check``s of the HELPER-EQUIVALENCE obligation, whose negative control
translates a drifted copy of a helper (``drifted_checks``).
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from veridian_ipc.spec.buffers import in_bounds
from veridian_ipc.spec.channels import pop, push
from veridian_ipc.spec.filters import check_filter, refill, take_token

from . import enc_buffers, enc_channels, enc_filters
from ._smt import And, If, Implies, Model, Not, Or, Term
from .induction import Check, symbolic_params, symbolic_state
from .translate import ERROR, Equivalence, Seq, Value, ints, source_of, translate


def _bucket_env(v: dict[str, Term], no_rate: Term) -> dict[str, Value]:
    """The names a filter-bucket helper reads (``now`` and the filter ``f``'s
    bucket and rate), bound to the symbols ``v``; ``no_rate`` stands for
    ``f.rate is None``."""
    return {
        "now": v["clock"],
        "f.tokens": v["tokens"],
        "f.stamp": v["stamp"],
        "f.rate.burst": v["burst"],
        "f.rate.refill": v["refill"],
        "f.rate.period": v["period"],
        "f.rate is None": no_rate,
    }


def _refill_claim(source: str) -> Term:
    v = ints("clock", "stamp", "period", "tokens", "refill", "burst")
    got = translate(source, _bucket_env(v, z3.BoolVal(False)))
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


def _take_token_claim(source: str) -> Term:
    v = ints("clock", "stamp", "period", "tokens", "refill", "burst")
    rated = z3.Bool("rated")
    env = _bucket_env(v, Not(rated))
    got = translate(source, env, {"refill": SOURCES["filters.refill"]})
    assert isinstance(got, dict)
    error, tokens, stamp = got[ERROR], got["tokens"], got["stamp"]
    has_token, left, after = enc_filters.take_token({**v, "rated": rated})
    admitted = Or(Not(rated), has_token)
    bucket = And(
        tokens == If(rated, left, v["tokens"]),
        stamp == If(rated, after, v["stamp"]),
    )
    return Implies(
        Or(Not(rated), v["period"] >= 1),
        And((error == 0) == admitted, Implies(admitted, bucket)),
    )


def _ring(s: dict[str, Term]) -> dict[str, Value]:
    """A channel's fields as the translation sees them (``held`` by length)."""
    return {
        "ring.capacity": s["cap"],
        "ring.max_message": s["maxm"],
        "ring.held": Seq(s["w"] - s["r"]),
        "ring.read_idx": s["r"],
        "ring.write_idx": s["w"],
        "ring.closed": s["closed"],
    }


def _length(v: object) -> Term:
    assert isinstance(v, Seq)
    return v.length


def _push_claim(source: str) -> Term:
    send = enc_channels.SYSTEM.transition("send")
    s, a = symbolic_state(enc_channels.SYSTEM, "@push"), symbolic_params(send)
    _, post = send.apply(s, a)
    got = translate(source, {**_ring(s), "items": Seq(a["k"])})
    assert isinstance(got, dict)
    return And(
        got["write_idx"] == post["w"],
        got["read_idx"] == post["r"],
        _length(got["held"]) == post["w"] - post["r"],
    )


def _pop_claim(source: str) -> Term:
    receive = enc_channels.SYSTEM.transition("receive")
    s, a = symbolic_state(enc_channels.SYSTEM, "@pop"), symbolic_params(receive)
    guard, post = receive.apply(s, a)
    held, mc = s["w"] - s["r"], a["max_count"]
    count = If(mc < held, mc, held)  # ``_receive_items``: min(max_count, held)
    got = translate(source, {**_ring(s), "count": count})
    assert isinstance(got, dict)
    rest = got["0"]
    assert isinstance(rest, dict)
    return Implies(
        And(guard, s["r"] <= s["w"]),
        And(
            rest["read_idx"] == post["r"],
            rest["write_idx"] == post["w"],
            _length(rest["held"]) == post["w"] - post["r"],
            _length(got["1"]) == post["ngot"] - s["ngot"],
        ),
    )


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
    Equivalence(
        "filters.take_token",
        "veridian_ipc.spec.filters.take_token",
        _take_token_claim,
    ),
    Equivalence("channels.push", "veridian_ipc.spec.channels.push", _push_claim),
    Equivalence("channels.pop", "veridian_ipc.spec.channels.pop", _pop_claim),
)

#: Each helper's source, read once.
SOURCES = {
    "filters.refill": source_of(refill),
    "filters.check_filter": source_of(check_filter),
    "buffers.in_bounds": source_of(in_bounds),
    "filters.take_token": source_of(take_token),
    "channels.push": source_of(push),
    "channels.pop": source_of(pop),
}

#: A drift per helper (old text, new text): what the negative control does.
DRIFTS = {
    "filters.refill": ("min(f.rate.burst,", "max(f.rate.burst,"),
    "filters.check_filter": ("size > f.max_size", "size > f.max_size + 1"),
    "buffers.in_bounds": ("offset + length <= size", "offset + length < size"),
    "filters.take_token": ("if f.tokens < 1:", "if f.tokens < 0:"),
    "channels.push": ("ring.write_idx + len(items)", "ring.write_idx + len(items) + 1"),
    "channels.pop": ("read_idx=ring.read_idx + count", "read_idx=ring.read_idx + 1"),
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
