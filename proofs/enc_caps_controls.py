"""The capability encoding's negative controls: deliberately broken rules.

Each is a variant of one transition of ``enc_caps_rules`` (same name and
parameters, a seeded bug in its guard or effect). An obligation's control
replaces the real transition with one of these, and the solver must refute
the obligation's claim over it; a proof that also "proves" its broken variant
is vacuous. The parameters are taken from the real transition by name.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.rights import GRANT

from ._smt import Store, Term
from .enc_caps_rules import (
    BY_NAME,
    bind,
    deliver,
    derive,
    send,
    transfer,
)
from .enc_caps_state import remove_where, resolve, revoke_set
from .induction import Params, State, Transition, updated

DERIVE_EXTRA_GRANT = Transition(
    "derive",
    (RuleId.RIGHTS_DERIVE,),
    BY_NAME["derive"].params,
    lambda s, a: derive(s, a, extra=GRANT),
)


def _drop_no_reparent(s: State, a: Params) -> tuple[Term, State]:
    """Broken CAP-DROP: the children keep pointing at the dropped node."""
    c = resolve(s, a["p"], a["h"])
    return c != 0, remove_where(s, lambda x: x == c)


DROP_NO_REPARENT = Transition(
    "drop", (RuleId.CAP_DROP,), BY_NAME["drop"].params, _drop_no_reparent
)


def _revoke_keep_inflight(s: State, a: Params) -> tuple[Term, State]:
    """Broken RIGHTS-REVOKE: the copies in messages in flight are forgotten."""
    c = resolve(s, a["p"], a["h"])
    t = revoke_set(s, c)
    return c != 0, updated(t, flight=s["flight"])


REVOKE_KEEPS_INFLIGHT = Transition(
    "revoke", (RuleId.RIGHTS_REVOKE,), BY_NAME["revoke"].params, _revoke_keep_inflight
)


def _install_reuse(s: State, a: Params) -> tuple[Term, State]:
    """Broken RIGHTS-DERIVE: the table hands out handle 1 again."""
    guard, t = derive(s, a)
    # the broken table hands out handle 1 again instead of nh[p]
    p = a["p"]
    n = s["next_cap"]
    return guard, updated(
        t,
        ht=Store(s["ht"], p, Store(s["ht"][p], 1, n)),
        nh=s["nh"],
    )


DERIVE_REUSES_HANDLE = Transition(
    "derive",
    (RuleId.RIGHTS_DERIVE,),
    BY_NAME["derive"].params,
    _install_reuse,
)
SEND_WITHOUT_GRANT = Transition(
    "send",
    (RuleId.PORT_SEND,),
    BY_NAME["send"].params,
    lambda s, a: send(s, a, check_grant=False),
)
BIND_WITHOUT_GRANT = Transition(
    "bind",
    (RuleId.NS_BIND,),
    BY_NAME["bind"].params,
    lambda s, a: bind(s, a, check_grant=False),
)
TRANSFER_STRIPS_OTHERS = Transition(
    "transfer",
    (RuleId.BUF_TRANSFER,),
    BY_NAME["transfer"].params,
    lambda s, a: transfer(s, a, strip_others=True),
)


def _deliver_keeps_flight(s: State, a: Params) -> tuple[Term, State]:
    """Broken delivery: the installed capability also stays in flight."""
    guard, post = deliver(s, a)
    return guard, updated(post, flight=s["flight"])


DELIVER_KEEPS_FLIGHT = Transition(
    "deliver",
    (RuleId.MSG_INFLIGHT_REVOKE,),
    BY_NAME["deliver"].params,
    _deliver_keeps_flight,
)
