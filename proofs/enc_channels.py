"""The channel encoding (spec ``channels``): one ring of ``cap`` slots (``Channel``).

Abstract state: ``cap``, ``maxm`` (``max_message``), ``closed``, the indices
``r`` / ``w`` (``read_idx`` / ``write_idx``: messages ever received / sent),
and the physical ring ``slots[x]`` for ``0 <= x < cap`` (0 is an empty slot,
``None`` in the spec) with ``ssz[x]`` the size of the message in slot ``x``.
Message ``i`` lives in slot ``i mod cap`` (``channels.push`` / ``pop``).

The slot arithmetic is kept linear: ``ph`` and ``wp`` are the slots of
``read_idx`` and ``write_idx`` (``r mod cap`` and ``w mod cap``), advanced with
one wrap-around per step; ``SLOT_LEMMA`` proves that a wrapped step lands on
the slot ``channels.push`` / ``pop`` compute with ``%``, and the agreement
tests check both against the spec.

Ghost: ``hist[i]``, the ``i``-th message ever sent; ``got[0..ngot)``, every
message received, in order. The ring invariant
(INV-RING-BOUNDS) says ``0 <= r <= w <= r + cap`` and a slot is full exactly
when its offset from ``r`` (mod ``cap``) is below ``w - r``; the integrity part
(CHAN-SEND, CHAN-RECEIVE, their batches) says a full slot holds the message its
index names, so receives return the sent sequence in order, unchanged, once.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId

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
    int_param,
    updated,
)

INT = IntSort


FIELDS = (
    Field("cap", IntSort),
    Field("maxm", IntSort),
    Field("closed", BoolSort),
    Field("r", IntSort),
    Field("w", IntSort),
    Field("ph", IntSort),
    Field("wp", IntSort),
    Field("slots", int_to_int),
    Field("ssz", int_to_int),
    Field("hist", int_to_int),
    Field("got", int_to_int),
    Field("ngot", IntSort),
)


def wrap(x: Term, cap: Term) -> Term:
    """``x mod cap`` for ``0 <= x < 2 * cap``: one wrap-around."""
    return If(x >= cap, x - cap, x)


def offset(x: Term, base: Term, cap: Term) -> Term:
    """How far slot ``x`` lies after slot ``base`` going round the ring."""
    return If(x >= base, x - base, x - base + cap)


def slot_lemma() -> Term:
    """Stepping ``j < cap`` slots from ``idx mod cap`` with one wrap-around is
    slot ``(idx + j) mod cap``, the slot ``channels.push``/``pop`` use."""
    idx, cap, j = const("idx", INT()), const("cap", INT()), const("j", INT())
    premise = And(cap >= 1, idx >= 0, j >= 0, j < cap)
    return Implies(premise, wrap(idx % cap + j, cap) == (idx + j) % cap)


def _send(s: State, a: Params, shift: int = 0) -> tuple[Term, State]:
    """CHAN-SEND / CHAN-SEND-BATCH (``_send_items`` then ``push``): ``k``
    messages ``items[0..k)`` with sizes ``sizes[0..k)``, all or nothing."""
    k, items, sizes = a["k"], a["items"], a["sizes"]
    cap, w, wp = s["cap"], s["w"], s["wp"]
    fits = forall(
        ["j"],
        [INT()],
        lambda j: Implies(
            And(j >= 0, j < k),
            And(sizes[j] >= 0, sizes[j] <= s["maxm"], items[j] != 0),
        ),
    )
    guard = And(k >= 1, fits, Not(s["closed"]), w - s["r"] + k <= cap)
    slots, ssz, hist = s["slots"], s["ssz"], s["hist"]
    start = wrap(wp + shift, cap)

    def at(x: Term) -> Term:
        return offset(x, start, cap)

    return guard, updated(
        s,
        slots=lam("x", INT(), lambda x: If(at(x) < k, items[at(x)], slots[x])),
        ssz=lam("x", INT(), lambda x: If(at(x) < k, sizes[at(x)], ssz[x])),
        hist=lam(
            "i", INT(), lambda i: If(And(i >= w, i < w + k), items[i - w], hist[i])
        ),
        w=w + k,
        wp=wrap(wp + k, cap),
    )


def _receive(s: State, a: Params) -> tuple[Term, State]:
    """CHAN-RECEIVE / CHAN-RECEIVE-BATCH (``_receive_items`` then ``pop``): the
    ``n = min(max_count, w - r)`` oldest messages, appended to ``got``."""
    mc = a["max_count"]
    cap, r, w, ph = s["cap"], s["r"], s["w"], s["ph"]
    held = w - r
    n = If(mc < held, mc, held)
    slots, got, ng = s["slots"], s["got"], s["ngot"]
    return And(mc >= 1, held > 0), updated(
        s,
        slots=lam("x", INT(), lambda x: If(offset(x, ph, cap) < n, 0, slots[x])),
        got=lam(
            "i",
            INT(),
            lambda i: If(
                And(i >= ng, i < ng + n), slots[wrap(ph + i - ng, cap)], got[i]
            ),
        ),
        ngot=ng + n,
        r=r + n,
        ph=wrap(ph + n, cap),
    )


def _block(s: State, a: Params) -> tuple[Term, State]:
    """CHAN-SEND-BLOCK: a ``ChannelSend`` (one message, ``timeout`` not 0;
    batches never block) whose one failing check is a free slot waits, a
    pending admission: CHAN-SEND's guard fails on the ring and holds on the
    same ring drained, and the ring does not change (the message stays with
    its sender until served, as an ordinary ``send`` then)."""
    guard, _ = _send(s, a)
    free, _ = _send(updated(s, r=s["w"]), a)
    return And(a["k"] == 1, Not(guard), free), s


def _close(s: State, a: Params) -> tuple[Term, State]:
    """CHAN-CLOSE: no more sends; what is held stays to be drained."""
    return Not(s["closed"]), updated(s, closed=True)


def _send_params() -> tuple[Param, ...]:
    return (
        int_param("k"),
        array_param("items", int_to_int),
        array_param("sizes", int_to_int),
    )


TRANSITIONS = (
    Transition(
        "send", (RuleId.CHAN_SEND, RuleId.CHAN_SEND_BATCH), _send_params(), _send
    ),
    Transition(
        "receive",
        (RuleId.CHAN_RECEIVE, RuleId.CHAN_RECEIVE_BATCH),
        (int_param("max_count"),),
        _receive,
    ),
    Transition("close", (RuleId.CHAN_CLOSE,), (), _close),
    Transition("block", (RuleId.CHAN_SEND_BLOCK,), _send_params(), _block),
)


def _overfill(s: State, a: Params) -> tuple[Term, State]:
    _, post = _send(s, a)
    k = a["k"]
    loose = And(k >= 1, Not(s["closed"]), s["w"] - s["r"] + k <= s["cap"] + 1)
    return loose, post


SEND_OVERFILLS = Transition(
    "send", (RuleId.CHAN_SEND_BATCH,), _send_params(), _overfill
)


def _block_writes(s: State, a: Params) -> tuple[Term, State]:
    """Broken: a blocked send writes its message at once, over the oldest
    unread one (the pending admission taken as admitted)."""
    guard, _ = _block(s, a)
    _, post = _send(updated(s, r=s["w"]), a)
    return guard, {**post, "r": s["r"], "ph": s["ph"]}


BLOCK_WRITES = Transition(
    "block", (RuleId.CHAN_SEND_BLOCK,), _send_params(), _block_writes
)
SEND_SKIPS_SLOT = Transition(
    "send", (RuleId.CHAN_SEND,), _send_params(), lambda s, a: _send(s, a, shift=1)
)


def _bounds(s: State) -> Term:
    cap, r, w, ph, wp, slots = s["cap"], s["r"], s["w"], s["ph"], s["wp"], s["slots"]
    return And(
        cap >= 1,
        s["maxm"] >= 1,
        r >= 0,
        r <= w,
        w - r <= cap,
        ph >= 0,
        ph < cap,
        wp >= 0,
        wp < cap,
        Or(wp == ph + (w - r), wp == ph + (w - r) - cap),
        forall(
            ["x"],
            [INT()],
            lambda x: Implies(
                And(x >= 0, x < cap),
                And(
                    (slots[x] != 0) == (offset(x, ph, cap) < w - r),
                    Implies(
                        slots[x] != 0,
                        And(s["ssz"][x] >= 0, s["ssz"][x] <= s["maxm"]),
                    ),
                ),
            ),
        ),
    )


def _integrity(s: State) -> Term:
    cap, r, ph, slots, hist = s["cap"], s["r"], s["ph"], s["slots"], s["hist"]
    return And(
        s["ngot"] == r,
        forall(
            ["x"],
            [INT()],
            lambda x: Implies(
                And(x >= 0, x < cap, slots[x] != 0),
                slots[x] == hist[r + offset(x, ph, cap)],
            ),
        ),
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= 0, i < s["ngot"]), s["got"][i] == hist[i]),
        ),
    )


CONJUNCTS = (
    Conjunct("INV-RING-BOUNDS", _bounds),
    Conjunct("CHAN-INTEGRITY", _integrity),
)


def _init(s: State) -> Term:
    """CHAN-CREATE: an open, empty ring (every slot ``None``)."""
    return And(
        s["cap"] >= 1,
        s["maxm"] >= 1,
        Not(s["closed"]),
        s["r"] == 0,
        s["w"] == 0,
        s["ph"] == 0,
        s["wp"] == 0,
        s["ngot"] == 0,
        forall(["x"], [INT()], lambda x: s["slots"][x] == 0),
    )


def _indices_grow(pre: State, post: State, a: Params, name: str) -> Term:
    """Indices only grow and the ring never reopens (CHAN-CLOSE)."""
    return And(
        post["r"] >= pre["r"],
        post["w"] >= pre["w"],
        Implies(pre["closed"], And(post["closed"], post["w"] == pre["w"])),
    )


INDICES_GROW = StepProperty("CHAN/indices-grow", _indices_grow)


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The ring before and after."""

    def show(s: State, when: str) -> str:
        cap = int(model_value(model, s["cap"]))
        slots = [int(model_value(model, s["slots"][x])) for x in range(min(cap, 8))]
        return (
            f"channel ({when}): capacity {cap}, read_idx "
            f"{model_value(model, s['r'])}, write_idx {model_value(model, s['w'])}, "
            f"slots {slots}"
        )

    return [show(pre, "before"), show(post, "after")]


def _small(s: State, n: int) -> Term:
    return And(s["cap"] <= n + 1, s["r"] >= 0, s["w"] <= n + 1)


SYSTEM = System("channel", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe, _small)
