"""The filter encoding (spec ``filters``): a port's filter and token bucket over time.

Abstract state (spec ``Filter`` and ``KernelState.clock``): ``clock``; the
filter's ``any_type`` / ``allowed[t]`` (``allowed_types``, None is "any"),
``any_size`` / ``max_size``; the rate limit ``rated``, ``burst``, ``refill``,
``period``; the bucket ``tokens`` and ``stamp``.

Ghosts for the rate bound (FILTER-RATE): a window opens at any tick ``w0``
(``on``); ``nadm`` counts every admitted message, ``adm`` the messages
admitted since the window opened; ``base`` is the bucket's
stamp right after the window's first admission and ``j`` the whole periods
credited since, so ``stamp = base + j * period``. The conjunct
``bound_lemma`` is the theorem: while the clock is inside
``[w0, w0 + k * period)`` at most ``burst + k * refill`` messages were admitted.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA

from ._smt import (
    And,
    BoolSort,
    If,
    Implies,
    IntSort,
    Model,
    Not,
    Or,
    Term,
    const,
    forall,
    int_to_bool,
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
    Field("clock", IntSort),
    Field("any_type", BoolSort),
    Field("allowed", int_to_bool),
    Field("any_size", BoolSort),
    Field("max_size", IntSort),
    Field("rated", BoolSort),
    Field("burst", IntSort),
    Field("refill", IntSort),
    Field("period", IntSort),
    Field("tokens", IntSort),
    Field("stamp", IntSort),
    Field("on", BoolSort),
    Field("first", BoolSort),
    Field("w0", IntSort),
    Field("base", IntSort),
    Field("j", IntSort),
    Field("adm", IntSort),
    Field("nadm", IntSort),
)


def check_filter(s: State, msg_type: Term, size: Term, slack: int = 0) -> Term:
    """FILTER-CHECK passes: the type is allowed and the size within the limit."""
    return And(
        Or(s["any_type"], s["allowed"][msg_type]),
        Or(s["any_size"], size <= s["max_size"] + slack),
    )


def refill(s: State) -> tuple[Term, Term, Term]:
    """``filters.refill`` at ``clock``: (tokens, stamp, whole periods credited)."""
    periods = (s["clock"] - s["stamp"]) / s["period"]
    credit = periods > 0
    full = s["tokens"] + periods * s["refill"]
    tokens = If(credit, If(full < s["burst"], full, s["burst"]), s["tokens"])
    stamp = If(credit, s["stamp"] + periods * s["period"], s["stamp"])
    return tokens, stamp, If(credit, periods, 0)


def take_token(s: State) -> tuple[Term, Term, Term]:
    """``filters.take_token`` on a rate-limited filter (FILTER-RATE): whether
    the refilled bucket holds a token, and its tokens and stamp once one is
    taken."""
    tokens, stamp, _ = refill(s)
    return tokens >= 1, tokens - 1, stamp


def offer_ok(s: State, a: Params, slack: int = 0) -> Term:
    """``ports.check_offer`` admits: open, FILTER-CHECK, FILTER-RATE, room."""
    has_token, _, _ = take_token(s)
    rate_ok = Or(Not(s["rated"]), has_token)
    return And(
        Not(a["closed"]),
        check_filter(s, a["msg_type"], a["size"], slack),
        rate_ok,
        a["room"],
    )


def _commit(s: State, ok: Term) -> State:
    _, stamp, periods = refill(s)
    _, left, _ = take_token(s)
    first = And(s["on"], Not(s["first"]))
    taken = updated(
        s,
        tokens=If(s["rated"], left, s["tokens"]),
        stamp=If(s["rated"], stamp, s["stamp"]),
        first=Or(s["first"], s["on"]),
        adm=If(s["on"], s["adm"] + 1, s["adm"]),
        nadm=s["nadm"] + 1,
        base=If(first, stamp, s["base"]),
        j=If(first, 0, If(s["on"], s["j"] + periods, s["j"])),
    )
    return {k: If(ok, taken[k], s[k]) for k in s}


def _offer(s: State, a: Params) -> tuple[Term, State]:
    """PORT-SEND's port side on a filtered port: the admitted bucket is kept
    only if every check passes (ERR-ATOMIC: a rejected send takes no token)."""
    return And(True), _commit(s, offer_ok(s, a))


def _offer_early_commit(s: State, a: Params) -> tuple[Term, State]:
    """Broken: the token is taken once the rate check passes, before the
    capacity check can still reject the message."""
    ok = offer_ok(s, a)
    rate_passed = And(
        Not(a["closed"]),
        check_filter(s, a["msg_type"], a["size"]),
        offer_ok(s, {**a, "room": And(True)}),
    )
    committed = _commit(s, rate_passed)
    return And(True), {k: If(ok, _commit(s, ok)[k], committed[k]) for k in s}


def _offer_loose_size(s: State, a: Params) -> tuple[Term, State]:
    """Broken: FILTER-CHECK lets a message one byte over ``max_size`` through."""
    return And(True), _commit(s, offer_ok(s, a, slack=1))


def _advance(s: State, a: Params) -> tuple[Term, State]:
    """TIME-ADVANCE: the clock moves forward by ``ticks`` >= 0."""
    return a["ticks"] >= 0, updated(s, clock=s["clock"] + a["ticks"])


def _set_filter(s: State, a: Params) -> tuple[Term, State]:
    """FILTER-SET: a new filter; a new rate limit starts full at ``clock``.

    The rate window ends: the bound is about one rate limit."""
    guard = And(
        Or(a["any_size"], And(a["max_size"] >= 0, a["max_size"] <= MAX_INLINE_DATA)),
        Or(Not(a["rated"]), And(a["burst"] >= 1, a["refill"] >= 1, a["period"] >= 1)),
    )
    return guard, updated(
        s,
        any_type=a["any_type"],
        allowed=a["allowed"],
        any_size=a["any_size"],
        max_size=a["max_size"],
        rated=a["rated"],
        burst=a["burst"],
        refill=a["refill"],
        period=a["period"],
        tokens=If(a["rated"], a["burst"], 0),
        stamp=s["clock"],
        on=False,
    )


def _open_window(s: State, a: Params) -> tuple[Term, State]:
    """Ghost: start counting admissions at the current tick."""
    return And(s["rated"], Not(s["on"])), updated(
        s, on=True, first=False, w0=s["clock"], adm=0, j=0
    )


def _offer_params() -> tuple[Param, ...]:
    return (
        int_param("msg_type"),
        int_param("size"),
        bool_param("closed"),
        bool_param("room"),
    )


def _set_params() -> tuple[Param, ...]:
    return (
        bool_param("any_type"),
        array_param("allowed", int_to_bool),
        bool_param("any_size"),
        int_param("max_size"),
        bool_param("rated"),
        int_param("burst"),
        int_param("refill"),
        int_param("period"),
    )


TRANSITIONS = (
    Transition(
        "offer",
        (RuleId.FILTER_CHECK, RuleId.FILTER_RATE, RuleId.PORT_SEND),
        _offer_params(),
        _offer,
    ),
    Transition("advance", (RuleId.TIME_ADVANCE,), (int_param("ticks"),), _advance),
    Transition("set_filter", (RuleId.FILTER_SET,), _set_params(), _set_filter),
    Transition("open_window", (RuleId.FILTER_RATE,), (), _open_window),
)

OFFER_EARLY_COMMIT = Transition(
    "offer", (RuleId.ERR_ATOMIC,), _offer_params(), _offer_early_commit
)
OFFER_LOOSE_SIZE = Transition(
    "offer", (RuleId.FILTER_CHECK,), _offer_params(), _offer_loose_size
)


def _always_refill(s: State, a: Params) -> tuple[Term, State]:
    """Broken: a refill credits a token for every tick, not every period."""
    fast = updated(s, period=If(s["rated"], 1, s["period"]))
    guard, post = _offer(fast, a)
    return guard, updated(post, period=s["period"])


OFFER_FAST_REFILL = Transition(
    "offer", (RuleId.FILTER_RATE,), _offer_params(), _always_refill
)


def _bucket(s: State) -> Term:
    """INV-BUCKET-BOUND."""
    return Implies(
        s["rated"],
        And(
            s["burst"] >= 1,
            s["refill"] >= 1,
            s["period"] >= 1,
            s["tokens"] >= 0,
            s["tokens"] <= s["burst"],
            s["stamp"] <= s["clock"],
        ),
    )


def _window(s: State) -> Term:
    """The rate bound's strengthening: tokens plus admissions never exceed the
    bucket's first content plus what the credited periods refilled."""
    return Implies(
        s["on"],
        And(
            s["rated"],
            s["w0"] <= s["clock"],
            If(
                s["first"],
                And(
                    s["adm"] >= 1,
                    s["j"] >= 0,
                    s["stamp"] == s["base"] + s["j"] * s["period"],
                    s["base"] > s["w0"] - s["period"],
                    s["adm"] + s["tokens"] <= s["burst"] + s["j"] * s["refill"],
                ),
                s["adm"] == 0,
            ),
        ),
    )


def _bound(s: State) -> Term:
    """FILTER-RATE: in ``k`` whole periods from ``w0`` at most
    ``burst + k * refill`` admissions."""
    return Implies(
        s["on"],
        forall(
            ["k"],
            [INT()],
            lambda k: Implies(
                And(k >= 0, s["clock"] < s["w0"] + k * s["period"]),
                s["adm"] <= s["burst"] + k * s["refill"],
            ),
        ),
    )


CONJUNCTS = (
    Conjunct("INV-BUCKET-BOUND", _bucket),
    Conjunct("FILTER-RATE/window", _window),
)


def mul_lemmas() -> list[tuple[str, Term]]:
    """The two facts of integer multiplication the bound uses, each proved on
    its own (small nonlinear queries the solver decides reliably)."""
    a, b, m = const("a", INT()), const("b", INT()), const("m", INT())
    return [
        ("monotone-quotient", Implies(And(m >= 1, a * m < b * m), a < b)),
        ("monotone-product", Implies(And(m >= 0, a <= b), a * m <= b * m)),
    ]


def bound_lemma() -> Term:
    """FILTER-RATE's bound follows from the inductive conjuncts: every state
    satisfying INV-BUCKET-BOUND and the window invariant admits at most
    ``burst + k * refill`` messages while the clock is inside ``k`` whole
    periods from ``w0``, for every ``k``. (Proved from ``mul_lemmas``
    instantiated at the terms involved, so the query stays linear.)"""
    s = {f.name: const(f"{f.name}", f.sort()) for f in FIELDS}
    k = const("k", INT())
    j, p, r = s["j"], s["period"], s["refill"]
    quotient = Implies(And(p >= 1, j * p < (k + 1) * p), j < k + 1)
    product = Implies(And(r >= 0, j <= k), j * r <= k * r)
    claim = Implies(
        And(k >= 0, s["on"], s["clock"] < s["w0"] + k * p),
        s["adm"] <= s["burst"] + k * r,
    )
    hyp = And(_bucket(s), _window(s), quotient, product, (k + 1) * p == k * p + p)
    return Implies(hyp, claim)


def _init(s: State) -> Term:
    """A port without a filter at tick 0 (PORT-CREATE)."""
    return And(s["clock"] == 0, Not(s["rated"]), Not(s["on"]), s["tokens"] == 0)


def _admitted_passes(pre: State, post: State, a: Params, name: str) -> Term:
    """FILTER-CHECK: a message the port admitted satisfies its filter."""
    if name != "offer":
        return And(True)
    passed = check_filter(pre, a["msg_type"], a["size"])
    return Implies(post["nadm"] != pre["nadm"], passed)


def _rejected_unchanged(pre: State, post: State, a: Params, name: str) -> Term:
    """ERR-ATOMIC: a rejected offer leaves the bucket as it was."""
    if name != "offer":
        return And(True)
    return Implies(Not(offer_ok(pre, a)), And(*[post[k] == pre[k] for k in pre]))


ADMITTED_PASSES = StepProperty("FILTER-CHECK/admitted", _admitted_passes)
REJECTED_UNCHANGED = StepProperty("ERR-ATOMIC/offer", _rejected_unchanged)


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The bucket before and after."""

    def show(s: State, when: str) -> str:
        v = {k: model_value(model, s[k]) for k in s if k not in ("allowed",)}
        rate = (
            f"rate burst {v['burst']} refill {v['refill']} per {v['period']}"
            if v["rated"]
            else "no rate limit"
        )
        return (
            f"port filter ({when}): clock {v['clock']}, {rate}, tokens "
            f"{v['tokens']} as of {v['stamp']}; max_size "
            f"{'any' if v['any_size'] else v['max_size']}; admitted {v['adm']} "
            f"since tick {v['w0']}"
        )

    return [show(pre, "before"), show(post, "after")]


SYSTEM = System("filter", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe)
