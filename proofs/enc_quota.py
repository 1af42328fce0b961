"""The quota encoding (spec ``quotas``): when a step runs out of memory.

Seed section "IPC Errors" lists ``OutOfMemory``; spec/quotas.py gives it
three quotas and every rule checks them last, immediately before its effects
(after every rights, argument and object-side check). Abstract state of the
whole system: ``h[p]``, the handles process ``p``'s table holds; ``b[p]``, the
inline bytes of ``p``'s messages not yet collected (waiting in port queues or
in a woken receiver's kept hand-off slot, PORT-HANDOFF); ``nobj``, the
objects; and the quotas ``maxh`` (``Config.max_handles``, per process),
``maxb`` (``max_queued_bytes``, per process) and ``maxobj`` (``max_objects``,
per system).

Transitions: ``create`` (a port, channel, buffer or socket: one object, one
handle but for a socket's descriptor, and a size at most its configured
maximum, the first ``OutOfMemory`` of PORT-CREATE, CHAN-CREATE, BUF-CREATE
and POSIX-SOCKET); ``install`` (``n`` handles: a derive, a lookup or connect,
a delivery of ``n`` carried capabilities); ``enqueue`` (a send's data, whether
a receiver waits or not: a hand-off's bytes count until it is collected); and
``release``, the generic giving back of handles, bytes and objects (drops,
receives, collected hand-offs, destroyed queues, reclaimed objects). The
invariant: no count exceeds its quota.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId

from ._smt import (
    And,
    IntSort,
    Model,
    Or,
    Store,
    Term,
    forall,
    int_to_int,
    model_value,
)
from .induction import (
    Conjunct,
    Field,
    Params,
    State,
    System,
    Transition,
    int_param,
)

INT = IntSort

FIELDS = (
    Field("h", int_to_int),
    Field("b", int_to_int),
    Field("nobj", IntSort),
    Field("maxh", IntSort),
    Field("maxb", IntSort),
    Field("maxobj", IntSort),
)


def _with(s: State, **changes: Term) -> State:
    return {**s, **changes}


def handles_fit(s: State, p: Term, n: Term, slack: int = 0) -> Term:
    """``quotas.check_handles``: ``n`` more handles fit ``p``'s table."""
    return s["h"][p] + n <= s["maxh"] + slack


def _create(s: State, a: Params, slack: int = 0) -> tuple[Term, State]:
    """A create: its sizes within their maxima, then ``quotas.check_create``
    (an object left, and a handle if ``handles`` is 1)."""
    p, n = a["p"], a["handles"]
    guard = And(
        n >= 0,
        n <= 1,
        a["size"] <= a["limit"],
        a["size2"] <= a["limit2"],
        s["nobj"] < s["maxobj"] + slack,
        handles_fit(s, p, n),
    )
    post = _with(s, nobj=s["nobj"] + 1, h=Store(s["h"], p, s["h"][p] + n))
    return guard, post


def _install(s: State, a: Params, slack: int = 0) -> tuple[Term, State]:
    """``quotas.check_handles`` / ``check_delivery``: ``n`` new handles."""
    p, n = a["p"], a["n"]
    guard = And(n >= 0, handles_fit(s, p, n, slack))
    return guard, _with(s, h=Store(s["h"], p, s["h"][p] + n))


def _enqueue(s: State, a: Params, slack: int = 0) -> tuple[Term, State]:
    """``quotas.check_queued``: a send's ``size`` bytes, charged whether they
    are queued or handed to a waiting receiver (counted in its kept slot until
    collected); a send of nothing is always within the quota."""
    p, size = a["p"], a["size"]
    fits = s["b"][p] + size <= s["maxb"] + slack
    guard = And(size >= 0, Or(size == 0, fits))
    return guard, _with(s, b=Store(s["b"], p, s["b"][p] + size))


def _release(s: State, a: Params) -> tuple[Term, State]:
    """Handles, queued bytes or objects given back (a drop, a receive, a
    destroyed queue, a reclaimed object)."""
    p, dh, db, do = a["p"], a["dh"], a["db"], a["dobj"]
    guard = And(dh >= 0, db >= 0, do >= 0, dh <= s["h"][p], db <= s["b"][p])
    guard = And(guard, do <= s["nobj"])
    post = _with(
        s,
        h=Store(s["h"], p, s["h"][p] - dh),
        b=Store(s["b"], p, s["b"][p] - db),
        nobj=s["nobj"] - do,
    )
    return guard, post


_CREATE_PARAMS = (
    int_param("p", "pid"),
    int_param("size"),
    int_param("limit"),
    int_param("size2"),
    int_param("limit2"),
    int_param("handles"),
)
_INSTALL_PARAMS = (int_param("p", "pid"), int_param("n"))
_ENQUEUE_PARAMS = (int_param("p", "pid"), int_param("size"))
_CREATES = (
    RuleId.PORT_CREATE,
    RuleId.CHAN_CREATE,
    RuleId.BUF_CREATE,
    RuleId.POSIX_SOCKET,
)

TRANSITIONS = (
    Transition("create", _CREATES, _CREATE_PARAMS, _create),
    Transition(
        "install",
        (RuleId.RIGHTS_DERIVE, RuleId.NS_LOOKUP, RuleId.PORT_RECEIVE),
        _INSTALL_PARAMS,
        _install,
    ),
    Transition(
        "enqueue", (RuleId.PORT_SEND, RuleId.POSIX_SEND), _ENQUEUE_PARAMS, _enqueue
    ),
    Transition(
        "release",
        (RuleId.CAP_DROP, RuleId.PORT_RECEIVE, RuleId.PORT_RESUME, RuleId.CAP_RECLAIM),
        (int_param("p", "pid"), int_param("dh"), int_param("db"), int_param("dobj")),
        _release,
    ),
)

#: Broken: the handle quota off by one (a table may hold ``maxh + 1``).
INSTALL_OVER = Transition(
    "install", (RuleId.RIGHTS_DERIVE,), _INSTALL_PARAMS, lambda s, a: _install(s, a, 1)
)
#: Broken: the queued-bytes quota off by one.
ENQUEUE_OVER = Transition(
    "enqueue", (RuleId.PORT_SEND,), _ENQUEUE_PARAMS, lambda s, a: _enqueue(s, a, 1)
)
#: Broken: the object quota off by one.
CREATE_OVER = Transition(
    "create", (RuleId.PORT_CREATE,), _CREATE_PARAMS, lambda s, a: _create(s, a, 1)
)


def _within(s: State) -> Term:
    h, b = s["h"], s["b"]
    return And(
        s["nobj"] >= 0,
        s["nobj"] <= s["maxobj"],
        forall(
            ["p"],
            [INT()],
            lambda p: And(h[p] >= 0, h[p] <= s["maxh"], b[p] >= 0, b[p] <= s["maxb"]),
        ),
    )


CONJUNCTS = (Conjunct("QUOTAS-KEPT", _within),)


def _init(s: State) -> Term:
    """The initial system: no object, no handle, nothing queued."""
    h, b = s["h"], s["b"]
    return And(
        s["nobj"] == 0,
        s["maxh"] >= 0,
        s["maxb"] >= 0,
        s["maxobj"] >= 0,
        forall(["p"], [INT()], lambda p: And(h[p] == 0, b[p] == 0)),
    )


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The counts before and after, for the step's process."""
    p = a.get("p")

    def show(s: State, when: str) -> str:
        who = (
            ""
            if p is None
            else (
                f", process {model_value(model, p)}: {model_value(model, s['h'][p])}"
                f" handles, {model_value(model, s['b'][p])} bytes queued"
            )
        )
        return f"quotas ({when}): {model_value(model, s['nobj'])} objects{who}"

    return [show(pre, "before"), show(post, "after")]


SYSTEM = System("quota", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe)

__all__ = ["CREATE_OVER", "ENQUEUE_OVER", "INSTALL_OVER", "SYSTEM", "handles_fit"]
