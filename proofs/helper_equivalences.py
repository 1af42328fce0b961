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
  lengths; the slots are the agreement pass's business);
- ``storage.RingSlots._slot`` (how a channel's slots are presented) and the
  channel encoding's ``offset``: which message a slot holds, as its position
  after the oldest (0: none), and which indices raise ``IndexError``; a
  remainder by the symbolic capacity needs a lemma, proved on its own
  (``slot_mod_lemmas``).

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
from veridian_ipc.spec.storage import RingSlots

from . import enc_buffers, enc_channels, enc_filters
from ._smt import And, If, Implies, Model, Not, Or, Term
from .induction import Check, State, symbolic_params, symbolic_state
from .translate import (
    ERROR,
    RAISES,
    Equivalence,
    Seq,
    Value,
    ints,
    source_of,
    translate,
)


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


def _slot_terms() -> tuple[State, Term]:
    """The symbols of the ``_slot`` claim: a ring of the channel encoding and
    the slot index ``x``."""
    return symbolic_state(enc_channels.SYSTEM, "@slot"), z3.Int("x@slot")


def _slot_premise(s: State, x: Term, p1: Term, p2: Term, mods: list[Term]) -> Term:
    """What the ``_slot`` claim assumes of the remainders by the capacity,
    in linear terms: ``p1`` and ``p2`` stand for ``cap * ((x' - r) // cap)``
    and ``cap * (r // cap)`` (``x'`` the index made non-negative), ``mods``
    for the translation's remainders of ``x' - r`` on each path; a multiple
    of ``cap`` strictly between ``-cap`` and ``cap`` is 0."""
    return And(*_slot_facts(s, x, p1, p2, mods).values())


def _slot_facts(
    s: State, x: Term, p1: Term, p2: Term, mods: list[Term]
) -> dict[str, Term]:
    """The premise's facts, by name (each proved on its own for the terms
    ``p1``, ``p2`` and ``mods`` stand for: ``slot_mod_lemmas``)."""
    cap, r, ph = s["cap"], s["r"], s["ph"]
    phys = If(x < 0, x + cap, x)
    j = If(x < 0, mods[0], mods[1])
    m = p1 + p2 + If(phys >= ph, 0, cap)
    return {
        "quotient": phys - r == p1 + j,
        "remainder": And(j >= 0, j < cap),
        "read": r == p2 + r % cap,
        "zero": Implies(And(m > -cap, m < cap), m == 0),
    }


def _slot_mods(s: State, x: Term) -> list[Term]:
    """The remainders the translation of ``_slot`` computes, on the path
    where ``x`` was negative and on the other (``cap >= 1``)."""
    cap, r = s["cap"], s["r"]
    return [(x + cap - r) % cap, (x - r) % cap]


def slot_mod_lemmas() -> dict[str, Term]:
    """The ``_slot`` claim's premise, fact by fact, with ``p1``, ``p2`` and
    the remainders what they stand for (Python's ``%`` by ``cap >= 1`` is
    the remainder of its floor division; a multiple of ``cap`` strictly
    between ``-cap`` and ``cap`` is 0). Each is proved on its own
    (HELPER-EQUIVALENCE/ring-mod/...): a remainder by a symbolic capacity is
    non-linear, and small separate claims keep the solver quick; the claim
    that assumes them is linear."""
    s, x = _slot_terms()
    cap, r = s["cap"], s["r"]
    phys = If(x < 0, x + cap, x)
    p1, p2 = cap * ((phys - r) / cap), cap * (r / cap)
    facts = _slot_facts(s, x, p1, p2, _slot_mods(s, x))
    # the zero fact for any quotients k, q (fresh symbols), so for these, in
    # three small steps the solver takes quickly: the sum is cap times
    # k + q (+ 1), such a multiple strictly inside (-cap, cap) is 0 (for any
    # t), hence the fact
    k, q, t = z3.Int("k@slot"), z3.Int("q@slot"), z3.Int("t@slot")
    wrapped = phys >= s["ph"]
    m = cap * k + cap * q + If(wrapped, 0, cap)
    mk = k + q + If(wrapped, 0, 1)
    zero = _slot_facts(s, x, cap * k, cap * q, _slot_mods(s, x))["zero"]
    facts["zero"] = Implies(
        And(m == cap * mk, Implies(And(cap * mk > -cap, cap * mk < cap), mk == 0)),
        zero,
    )
    facts["multiple"] = m == cap * mk
    facts["only-zero"] = Implies(And(cap * t > -cap, cap * t < cap), t == 0)
    return {n: Implies(cap >= 1, f) for n, f in facts.items()}


def _slot_claim(source: str) -> Term:
    """``RingSlots._slot``: slot ``x`` (``-cap <= x < cap``, a negative one
    counted from the end) holds the message ``offset(x, ph, cap)`` places
    after the oldest if that is below ``w - r``, else nothing; any other
    ``x`` raises (``IndexError``). On the encoding's states (its bounds, and
    ``ph`` the read index modulo the capacity, as
    ``agree_channels.ring_state`` projects it), the translated position (from
    1, 0 for an empty slot) is the encoding's: the slot its ``slots[x]`` is
    non-zero for, holding ``hist[r + offset]`` (INV-RING-BOUNDS and
    CHAN-INTEGRITY say so of the encoding). The remainders are replaced by
    fresh symbols bound by the facts ``slot_mod_lemmas`` proves: the claim is
    linear."""
    s, x = _slot_terms()
    cap, r, w, ph = s["cap"], s["r"], s["w"], s["ph"]
    env: dict[str, Value] = {
        "self._capacity": cap,
        "self._read_idx": r,
        "self._held": Seq(w - r),
        "x": x,
    }
    got = translate(source, env)
    assert isinstance(got, dict)
    raises, at = got[RAISES], got["value"]
    assert not isinstance(at, dict | Seq)
    mods = [z3.Int("j0@slot"), z3.Int("j1@slot")]
    # the translation's remainders, by the symbols standing for them (its
    # branch for a negative divisor, dead here, by unconstrained ones): a
    # claim proved for every value of a fresh symbol holds for the term
    a0, a1 = x + cap - r, x - r
    dead = [z3.Int("k0@slot"), z3.Int("k1@slot")]
    swap = [*zip(_slot_mods(s, x), mods, strict=True)]
    swap += [((-a0) % (-cap), dead[0]), ((-a1) % (-cap), dead[1])]
    at, raises = z3.substitute(at, *swap), z3.substitute(raises, *swap)
    phys = If(x < 0, x + cap, x)
    off = enc_channels.offset(phys, ph, cap)
    want = If(off < w - r, off + 1, 0)
    p1, p2 = z3.Int("p1@slot"), z3.Int("p2@slot")
    # INV-RING-BOUNDS's arithmetic, and the read position as projected
    bounds = And(cap >= 1, r >= 0, r <= w, w - r <= cap, ph >= 0, ph < cap)
    premise = And(bounds, ph == r % cap, _slot_premise(s, x, p1, p2, mods))
    premise = z3.substitute(premise, (r % cap, ph))
    return Implies(
        premise,
        And(raises == Or(x < -cap, x >= cap), Implies(Not(raises), at == want)),
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
    Equivalence(
        "storage.RingSlots._slot",
        "veridian_ipc.spec.storage.RingSlots._slot",
        _slot_claim,
    ),
)

#: Each helper's source, read once.
SOURCES = {
    "filters.refill": source_of(refill),
    "filters.check_filter": source_of(check_filter),
    "buffers.in_bounds": source_of(in_bounds),
    "filters.take_token": source_of(take_token),
    "channels.push": source_of(push),
    "channels.pop": source_of(pop),
    "storage.RingSlots._slot": source_of(RingSlots._slot),
}

#: A drift per helper (old text, new text): what the negative control does.
DRIFTS = {
    "filters.refill": ("min(f.rate.burst,", "max(f.rate.burst,"),
    "filters.check_filter": ("size > f.max_size", "size > f.max_size + 1"),
    "buffers.in_bounds": ("offset + length <= size", "offset + length < size"),
    "filters.take_token": ("if f.tokens < 1:", "if f.tokens < 0:"),
    "channels.push": ("ring.write_idx + len(items)", "ring.write_idx + len(items) + 1"),
    "channels.pop": ("read_idx=ring.read_idx + count", "read_idx=ring.read_idx + 1"),
    "storage.RingSlots._slot": ("(x - self._read_idx)", "(x + self._read_idx)"),
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
    """One check per helper: its translation equals the hand encoding; with
    the helpers' own sources, the lemma the ``_slot`` claim assumes too."""
    src = SOURCES if sources is None else sources
    checks = [
        Check(
            f"HELPER-EQUIVALENCE/{eq.name}",
            eq.claim(src[eq.name]),
            _decode(eq.name),
            f"helper: {eq.name}" if sources is None else None,
        )
        for eq in EQUIVALENCES
    ]
    if sources is None:
        checks += [
            Check(
                f"HELPER-EQUIVALENCE/ring-mod/{n}",
                lemma,
                lambda model: "a remainder lemma of the ring slots fails",
                f"helper: ring-mod/{n}",
            )
            for n, lemma in slot_mod_lemmas().items()
        ]
    return checks


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
    "slot_mod_lemmas",
]
