"""The port encoding (spec ``ports``): a port's queue, waiters and close, with history.

Abstract state of one port (spec ``Port``): ``cap`` (capacity), ``closed``,
the queue as ``q[0..qlen)`` (index 0 is the head, as ``Port.queue[0]``) with the
size ``qs[i]`` and carried-capability count ``qc[i]`` of each queued message,
and ``nw``, the number of waiting receivers. A message is an Int token (its
body: sender, type, flags, data).

Ghosts: ``hist[0..nsent)`` every message the port ever accepted, in order;
``out[0..nout)`` every message that left the queue (received, handed off,
discarded by a socket close and counted in its result, or destroyed when the
port was abandoned: nobody could receive it any more), in order.

The integrity invariant (PORT-SEND, PORT-RECEIVE, PORT-HANDOFF): what left is
exactly the accepted sequence's prefix and what is queued is the rest, so
messages are delivered in order (FIFO), at most once, unchanged, and none is
lost while the port lives.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.names import (
    MAX_FLAGS,
    MAX_INLINE_DATA,
    MAX_MESSAGE_CAPS,
    MAX_U32,
)

from ._smt import (
    And,
    BoolSort,
    If,
    Implies,
    IntSort,
    Model,
    Not,
    Or,
    Store,
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
    bool_param,
    int_param,
    updated,
)

INT = IntSort


FIELDS = (
    Field("cap", IntSort),
    Field("closed", BoolSort),
    Field("q", int_to_int),
    Field("qs", int_to_int),
    Field("qc", int_to_int),
    Field("qlen", IntSort),
    Field("nw", IntSort),
    Field("hist", int_to_int),
    Field("nsent", IntSort),
    Field("out", int_to_int),
    Field("nout", IntSort),
)


def check_limits(a: Params, limit: int = MAX_INLINE_DATA) -> Term:
    """MSG-LIMITS (``messages.check_limits``) passes: at most 64 bytes, type and
    flags in range, at most 4 distinct capabilities, not the port's own."""
    return And(
        a["size"] >= 0,
        a["size"] <= limit,
        a["msg_type"] >= 0,
        a["msg_type"] <= MAX_U32,
        a["flags"] >= 0,
        a["flags"] <= MAX_FLAGS,
        a["ncaps"] >= 0,
        a["ncaps"] <= MAX_MESSAGE_CAPS,
        a["caps_ok"],
    )


def offer(
    s: State,
    a: Params,
    full_slack: int = 0,
    handoff_queues: bool = False,
    limit: int = MAX_INLINE_DATA,
) -> tuple[Term, State]:
    """PORT-SEND's port side (``ports.check_offer`` then ``commit_offer``): the
    port is open, the filter admits (``filter_ok``), and a receiver waits or the
    queue has room; then hand-off (PORT-HANDOFF) or append."""
    m = a["m"]
    room = Or(s["nw"] > 0, s["qlen"] < s["cap"] + full_slack)
    guard = And(check_limits(a, limit), Not(s["closed"]), a["filter_ok"], room, m != 0)
    hist = Store(s["hist"], s["nsent"], m)
    handed = updated(
        s,
        hist=hist,
        nsent=s["nsent"] + 1,
        out=Store(s["out"], s["nout"], m),
        nout=s["nout"] + 1,
        nw=s["nw"] - 1,
    )
    if handoff_queues:  # broken: the handed-off message is also queued
        handed = updated(
            handed,
            q=Store(s["q"], s["qlen"], m),
            qs=Store(s["qs"], s["qlen"], a["size"]),
            qc=Store(s["qc"], s["qlen"], a["ncaps"]),
            qlen=s["qlen"] + 1,
        )
    queued = updated(
        s,
        hist=hist,
        nsent=s["nsent"] + 1,
        q=Store(s["q"], s["qlen"], m),
        qs=Store(s["qs"], s["qlen"], a["size"]),
        qc=Store(s["qc"], s["qlen"], a["ncaps"]),
        qlen=s["qlen"] + 1,
    )
    post = {k: If(s["nw"] > 0, handed[k], queued[k]) for k in s}
    return guard, post


def _pop(s: State) -> State:
    """The head leaves the queue (``pt.queue[1:]``) and is recorded as out."""
    q, qs, qc = s["q"], s["qs"], s["qc"]
    return updated(
        s,
        q=lam("i", INT(), lambda i: q[i + 1]),
        qs=lam("i", INT(), lambda i: qs[i + 1]),
        qc=lam("i", INT(), lambda i: qc[i + 1]),
        qlen=s["qlen"] - 1,
        out=Store(s["out"], s["nout"], q[0]),
        nout=s["nout"] + 1,
    )


def _receive(s: State, a: Params) -> tuple[Term, State]:
    """PORT-RECEIVE: the head if any; else (open, timeout > 0) block."""
    timeout = a["timeout"]
    guard = And(
        a["cap_ok"],
        timeout >= 0,
        Or(s["qlen"] > 0, And(Not(s["closed"]), timeout != 0)),
    )
    popped = _pop(s)
    blocked = updated(s, nw=s["nw"] + 1)
    return guard, {k: If(s["qlen"] > 0, popped[k], blocked[k]) for k in s}


def _sock_recv(s: State, a: Params) -> tuple[Term, State]:
    """POSIX-RECV: the head, if it fits the caller's buffer; never waits."""
    guard = And(a["bufsize"] >= 0, s["qlen"] > 0, s["qs"][0] <= a["bufsize"])
    return guard, _pop(s)


def _wake_one(s: State, a: Params) -> tuple[Term, State]:
    """A waiter leaves without a message: its deadline passed (TIME-DEADLINE),
    its capability was revoked (RIGHTS-REVOKE), or it was killed (PROC-KILL)."""
    return s["nw"] > 0, updated(s, nw=s["nw"] - 1)


def _close(s: State, a: Params) -> tuple[Term, State]:
    """PORT-CLOSE: no more sends, every waiter woken, the queue stays."""
    return And(a["cap_ok"], Not(s["closed"])), updated(s, closed=True, nw=0)


def _sock_close(s: State, a: Params) -> tuple[Term, State]:
    """POSIX-CLOSE: the port closes and its queue is discarded, each message
    accounted for (appended to ``out``; the result is their number)."""
    return _discard(s)


def _abandon(s: State, a: Params) -> tuple[Term, State]:
    """PORT-CLOSE, implicit (spec/orphans.py): the step (a drop, a kill, a send
    of the last RECEIVE into a cycle) left nobody able to receive from the
    port; it closes, its waiters are woken, and its queue, which nobody can
    read, is destroyed, each message accounted for in ``out``."""
    return _discard(s)


def _discard(s: State) -> tuple[Term, State]:
    """The port closes and its queue is emptied into ``out``, in order."""
    q, out, n = s["q"], s["out"], s["nout"]
    return And(True), updated(
        s,
        closed=True,
        nw=0,
        qlen=0,
        out=lam(
            "i", INT(), lambda i: If(And(i >= n, i < n + s["qlen"]), q[i - n], out[i])
        ),
        nout=n + s["qlen"],
    )


def _send_params() -> tuple[Param, ...]:
    return (
        int_param("m"),
        int_param("size"),
        int_param("msg_type"),
        int_param("flags"),
        int_param("ncaps"),
        bool_param("caps_ok"),
        bool_param("filter_ok"),
    )


TRANSITIONS = (
    Transition(
        "send",
        (RuleId.PORT_SEND, RuleId.PORT_HANDOFF, RuleId.BUF_TRANSFER, RuleId.POSIX_SEND),
        _send_params(),
        offer,
    ),
    Transition(
        "receive",
        (RuleId.PORT_RECEIVE,),
        (bool_param("cap_ok"), int_param("timeout")),
        _receive,
    ),
    Transition("sock_recv", (RuleId.POSIX_RECV,), (int_param("bufsize"),), _sock_recv),
    Transition(
        "wake_one",
        (RuleId.TIME_DEADLINE, RuleId.RIGHTS_REVOKE, RuleId.PROC_KILL),
        (),
        _wake_one,
    ),
    Transition("close", (RuleId.PORT_CLOSE,), (bool_param("cap_ok"),), _close),
    Transition("sock_close", (RuleId.POSIX_CLOSE,), (), _sock_close),
    Transition(
        "abandon",
        (RuleId.PORT_CLOSE, RuleId.CAP_DROP, RuleId.PROC_KILL, RuleId.PORT_SEND),
        (),
        _abandon,
    ),
)

SEND_OVERFILLS = Transition(
    "send", (RuleId.PORT_SEND,), _send_params(), lambda s, a: offer(s, a, full_slack=1)
)
HANDOFF_ALSO_QUEUES = Transition(
    "send",
    (RuleId.PORT_HANDOFF,),
    _send_params(),
    lambda s, a: offer(s, a, handoff_queues=True),
)


SEND_65_BYTES = Transition(
    "send",
    (RuleId.MSG_LIMITS,),
    _send_params(),
    lambda s, a: offer(s, a, limit=MAX_INLINE_DATA + 1),
)


def _integrity(s: State) -> Term:
    q, hist, out = s["q"], s["hist"], s["out"]
    nout, qlen = s["nout"], s["qlen"]
    return And(
        nout >= 0,
        nout + qlen == s["nsent"],
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= 0, i < qlen), q[i] == hist[nout + i]),
        ),
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= 0, i < nout), out[i] == hist[i]),
        ),
    )


def _queue_bound(s: State) -> Term:
    return And(s["cap"] >= 1, s["qlen"] >= 0, s["qlen"] <= s["cap"])


def _waiters(s: State) -> Term:
    return And(
        s["nw"] >= 0, Implies(s["nw"] > 0, And(s["qlen"] == 0, Not(s["closed"])))
    )


def _message_limits(s: State) -> Term:
    qs, qc = s["qs"], s["qc"]
    return forall(
        ["i"],
        [INT()],
        lambda i: Implies(
            And(i >= 0, i < s["qlen"]),
            And(
                qs[i] >= 0,
                qs[i] <= MAX_INLINE_DATA,
                qc[i] >= 0,
                qc[i] <= MAX_MESSAGE_CAPS,
            ),
        ),
    )


CONJUNCTS = (
    Conjunct("PORT-INTEGRITY", _integrity),
    Conjunct("INV-QUEUE-BOUND", _queue_bound),
    Conjunct("INV-WAITERS", _waiters),
    Conjunct("INV-MESSAGE-LIMITS", _message_limits),
)


def _init(s: State) -> Term:
    """PORT-CREATE: an open, empty port of capacity at least 1."""
    return And(
        s["cap"] >= 1,
        Not(s["closed"]),
        s["qlen"] == 0,
        s["nw"] == 0,
        s["nsent"] == 0,
        s["nout"] == 0,
    )


def _closed_stays(pre: State, post: State, a: Params, name: str) -> Term:
    """PORT-CLOSE: a closed port never reopens and accepts nothing more."""
    return Implies(pre["closed"], And(post["closed"], post["nsent"] == pre["nsent"]))


CLOSED_STAYS = StepProperty("PORT-CLOSE/final", _closed_stays)


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The port before and after, in spec terms."""

    def show(s: State, when: str) -> str:
        n = int(model_value(model, s["qlen"]))
        items = [int(model_value(model, s["q"][i])) for i in range(max(0, min(n, 6)))]
        return (
            f"port ({when}): capacity {model_value(model, s['cap'])}, "
            f"{'closed' if model_value(model, s['closed']) else 'open'}, "
            f"queue {items}{'...' if n > 6 else ''} (length {n}), "
            f"{model_value(model, s['nw'])} waiting"
        )

    return [show(pre, "before"), show(post, "after")]


def _small(s: State, n: int) -> Term:
    return And(s["qlen"] <= n + 1, s["nout"] <= n + 1)


SYSTEM = System("port", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe, _small)
