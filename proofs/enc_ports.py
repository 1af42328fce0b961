"""The port encoding (spec ``ports``): a port's queue, waiters and close, with history.

Abstract state of one port (spec ``Port``): ``cap`` (capacity), ``closed``,
the queue as ``q[0..qlen)`` (index 0 is the head, as ``Port.queue[0]``) with the
size ``qs[i]`` and carried-capability count ``qc[i]`` of each queued message,
``nw``, the number of waiting receivers, and ``kept``, the messages handed
off to a woken receiver and not yet collected: each keeps its slot in the
capacity until ``Resume`` collects it (PORT-HANDOFF; ``collect``), and goes
back to the port, to the next waiter or the queue head, if its receiver is
killed first (``give_back``). A message is an Int token (its body: sender,
type, flags, data).

Ghosts: ``hist[0..nsent)`` every message the port ever accepted, in order;
``out[0..nout)`` every message that left the queue (received, handed off,
discarded by a socket close and counted in its result, or destroyed when the
port was abandoned: nobody could receive it any more), in order, each
recorded when it first left; ``nret``, how many of the queue's first entries
are hand-offs given back (``q[0..nret)``), already recorded in ``out``.

The integrity invariant (PORT-SEND, PORT-RECEIVE, PORT-HANDOFF): what left is
exactly the accepted sequence's prefix and what is queued after the given-back
messages is the rest, so messages are delivered in order (FIFO), unchanged,
and none is lost while the port lives; the one departure is the spec's own: a
hand-off given back by its dead receiver comes first (spec/ports.py).
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
    IntVal,
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
    Field("kept", IntSort),
    Field("nret", IntSort),
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
    ignore_kept: bool = False,
) -> tuple[Term, State]:
    """PORT-SEND's port side (``ports.check_offer`` then ``commit_offer``): the
    port is open, the filter admits (``filter_ok``), and the queued and kept
    messages leave a slot (``room``); then hand-off (PORT-HANDOFF: the message
    keeps its slot) or append."""
    m = a["m"]
    room = room_left(s, full_slack, ignore_kept)
    guard = And(check_limits(a, limit), Not(s["closed"]), a["filter_ok"], room, m != 0)
    hist = Store(s["hist"], s["nsent"], m)
    handed = updated(
        s,
        hist=hist,
        nsent=s["nsent"] + 1,
        out=Store(s["out"], s["nout"], m),
        nout=s["nout"] + 1,
        nw=s["nw"] - 1,
        kept=s["kept"] + 1,
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


def _block(s: State, a: Params) -> tuple[Term, State]:
    """PORT-SEND-BLOCK: a send (``timeout`` not 0) whose one failing check is
    room waits, a pending admission: the guard is PORT-SEND's failing on the
    port and holding on the same port emptied (every other check passed), and
    the port does not change (the message stays with its sender until it is
    served, as an ordinary ``send`` then; spec/blocking.py)."""
    guard, _ = offer(s, a)
    free, _ = offer(updated(s, qlen=IntVal(0), kept=IntVal(0)), a)
    return And(Not(guard), free), s


def room_left(s: State, slack: int = 0, ignore_kept: bool = False) -> Term:
    """PORT-SEND's room: queued plus kept hand-offs below the capacity
    (``ignore_kept``: broken, the kept slots are not counted)."""
    if ignore_kept:  # the rule before kept slots: a waiter always has room
        return Or(s["nw"] > 0, s["qlen"] < s["cap"] + slack)
    return s["qlen"] + s["kept"] < s["cap"] + slack


def _pop(s: State) -> State:
    """The head leaves the queue (``pt.queue[1:]``) and is recorded as out,
    unless it is a given-back hand-off (recorded when first handed off)."""
    q, qs, qc = s["q"], s["qs"], s["qc"]
    returned = s["nret"] > 0
    return updated(
        s,
        q=lam("i", INT(), lambda i: q[i + 1]),
        qs=lam("i", INT(), lambda i: qs[i + 1]),
        qc=lam("i", INT(), lambda i: qc[i + 1]),
        qlen=s["qlen"] - 1,
        out=If(returned, s["out"], Store(s["out"], s["nout"], q[0])),
        nout=If(returned, s["nout"], s["nout"] + 1),
        nret=If(returned, s["nret"] - 1, s["nret"]),
    )


def _collect(s: State, a: Params, release: bool = True) -> tuple[Term, State]:
    """PORT-RESUME of a receiver woken by a hand-off from this port: the
    message is collected and its slot released (``release`` False: broken)."""
    return s["kept"] > 0, updated(s, kept=s["kept"] - (1 if release else 0))


def _give_back(s: State, a: Params) -> tuple[Term, State]:
    """PROC-KILL of a receiver woken by a hand-off from this port, not yet
    collected (``ports.give_back``): the message ``m`` goes back as the port's
    oldest, to the next waiter (its slot stays kept) or to the queue head, in
    the slot it kept."""
    m, q, qs, qc = a["m"], s["q"], s["qs"], s["qc"]
    guard = And(
        s["kept"] > 0,
        a["size"] >= 0,
        a["size"] <= MAX_INLINE_DATA,
        a["ncaps"] >= 0,
        a["ncaps"] <= MAX_MESSAGE_CAPS,
    )
    handed = updated(s, nw=s["nw"] - 1)
    queued = updated(
        s,
        q=lam("i", INT(), lambda i: If(i == 0, m, q[i - 1])),
        qs=lam("i", INT(), lambda i: If(i == 0, a["size"], qs[i - 1])),
        qc=lam("i", INT(), lambda i: If(i == 0, a["ncaps"], qc[i - 1])),
        qlen=s["qlen"] + 1,
        nret=s["nret"] + 1,
        kept=s["kept"] - 1,
    )
    return guard, {k: If(s["nw"] > 0, handed[k], queued[k]) for k in s}


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


def _reclaim(s: State, a: Params) -> tuple[Term, State]:
    """CAP-RECLAIM (spec/reclaim.py): no capability reaches the port any
    more; it goes as if abandoned, and the slots its uncollected hand-offs
    kept go with it (their receivers still collect them)."""
    guard, post = _discard(s)
    return guard, updated(post, kept=0)


def _discard(s: State) -> tuple[Term, State]:
    """The port closes and its queue is emptied into ``out``, in order (the
    given-back hand-offs at its head were recorded when first handed off)."""
    q, out, n, r = s["q"], s["out"], s["nout"], s["nret"]
    fresh = s["qlen"] - r
    return And(True), updated(
        s,
        closed=True,
        nw=0,
        qlen=0,
        nret=0,
        out=lam(
            "i", INT(), lambda i: If(And(i >= n, i < n + fresh), q[i - n + r], out[i])
        ),
        nout=n + fresh,
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
    Transition("block", (RuleId.PORT_SEND_BLOCK,), _send_params(), _block),
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
    Transition("collect", (RuleId.PORT_RESUME,), (), _collect),
    Transition(
        "give_back",
        (RuleId.PROC_KILL, RuleId.PORT_HANDOFF),
        (int_param("m"), int_param("size"), int_param("ncaps")),
        _give_back,
    ),
    Transition("close", (RuleId.PORT_CLOSE,), (bool_param("cap_ok"),), _close),
    Transition("sock_close", (RuleId.POSIX_CLOSE,), (), _sock_close),
    Transition("reclaim", (RuleId.CAP_RECLAIM,), (), _reclaim),
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


SEND_IGNORES_KEPT = Transition(
    "send",
    (RuleId.PORT_SEND,),
    _send_params(),
    lambda s, a: offer(s, a, ignore_kept=True),
)


def _block_queues(s: State, a: Params) -> tuple[Term, State]:
    """Broken: a blocked send's message is queued at once, over capacity (the
    pending admission is taken as admitted)."""
    guard, _ = _block(s, a)
    _, post = offer(updated(s, nw=IntVal(0)), a, full_slack=1)
    return guard, {**post, "nw": s["nw"]}


BLOCK_QUEUES = Transition(
    "block", (RuleId.PORT_SEND_BLOCK,), _send_params(), _block_queues
)
COLLECT_KEEPS_SLOT = Transition(
    "collect", (RuleId.PORT_RESUME,), (), lambda s, a: _collect(s, a, release=False)
)


SEND_65_BYTES = Transition(
    "send",
    (RuleId.MSG_LIMITS,),
    _send_params(),
    lambda s, a: offer(s, a, limit=MAX_INLINE_DATA + 1),
)


def _integrity(s: State) -> Term:
    q, hist, out = s["q"], s["hist"], s["out"]
    nout, qlen, r = s["nout"], s["qlen"], s["nret"]
    return And(
        nout >= 0,
        r >= 0,
        r <= qlen,
        nout + qlen - r == s["nsent"],
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= r, i < qlen), q[i] == hist[nout + i - r]),
        ),
        forall(
            ["i"],
            [INT()],
            lambda i: Implies(And(i >= 0, i < nout), out[i] == hist[i]),
        ),
    )


def _queue_bound(s: State) -> Term:
    """INV-QUEUE-BOUND: queued plus kept hand-offs within the capacity."""
    return And(
        s["cap"] >= 1,
        s["qlen"] >= 0,
        s["kept"] >= 0,
        s["qlen"] + s["kept"] <= s["cap"],
    )


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
        s["kept"] == 0,
        s["nret"] == 0,
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
            f"{model_value(model, s['nw'])} waiting, "
            f"{model_value(model, s['kept'])} handed off and uncollected"
        )

    return [show(pre, "before"), show(post, "after")]


def _small(s: State, n: int) -> Term:
    return And(s["qlen"] <= n + 1, s["nout"] <= n + 1)


SYSTEM = System("port", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe, _small)
