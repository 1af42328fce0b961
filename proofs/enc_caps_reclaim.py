"""CAP-RECLAIM in the capability encoding: an object no capability reaches goes.

The spec (spec/reclaim.py) destroys, at the end of every successful step,
each object no root reaches: no capability to it is held in a handle table,
a socket or a binding, and none rides in a message queued on a reachable
port. The capability encoding has no object table; it keeps a ghost
``dead[o]`` (object ``o`` was reclaimed: it left the spec's object table) and
one transition, ``reclaim`` of object ``o``:

- guard: ``o`` was created (``0 < o < next_obj``) and is not dead, and every
  live capability to it is in flight (none is held in a table, a socket or a
  binding: INV-CAP-LOCATION makes the places exclusive). The encoding does not
  know which port a message is queued on, so "the message's port is
  unreachable too" is left to the agreement check, which applies ``reclaim``
  only to the objects the spec reclaimed;
- effect: ``o`` is dead, and every capability to it (all in flight) is
  destroyed with the messages carrying it.

What is proved (the ``CAP-RECLAIM`` part of CAP-SAFETY):

- ``CAP-RECLAIM/no-dead-named`` (a conjunct of the inductive invariant): no
  live capability names a reclaimed object, and no object not yet created is
  dead; so a reclaimed object can never be reached again (every way to obtain
  authority starts from a live capability, CAP-HANDLE);
- ``CAP-RECLAIM/roots-kept`` (a step property): reclaiming destroys only
  capabilities in flight; every capability held in a table, a socket or a
  binding survives it.

The negative control ``RECLAIM_TOO_EARLY`` reclaims an object a table still
holds a capability to, and is refuted by the step property.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId

from ._smt import And, Implies, Not, Store, Term, forall, lam
from .enc_caps_state import INT
from .induction import (
    Conjunct,
    Params,
    State,
    StepProperty,
    Transition,
    int_param,
    updated,
)


def _all_in_flight(s: State, o: Term) -> Term:
    """Every live capability to ``o`` rides in a queued message."""
    live, obj, flight = s["live"], s["obj"], s["flight"]
    return forall(
        ["c"], [INT()], lambda c: Implies(And(live[c], obj[c] == o), flight[c])
    )


def _reclaimed(s: State, o: Term) -> State:
    """``o`` dead, every capability to it destroyed (a whole subtree: a
    capability's children name its object, INV-DERIVATION-TREE). They are all
    in flight (the guard), so no table, socket or binding holds them
    (INV-CAP-LOCATION): only the nodes and the flight marks change. When no
    capability names ``o`` (``named``: the spec's usual case, the abandoning
    of ports having destroyed what their queues carried), nothing does."""
    obj, live, flight, anc = s["obj"], s["live"], s["flight"], s["anc"]

    def kept(c: Term) -> Term:
        return obj[c] != o

    return updated(
        s,
        live=lam("c", INT(), lambda c: And(live[c], kept(c))),
        flight=lam("c", INT(), lambda c: And(flight[c], kept(c))),
        anc=lam(
            "x",
            INT(),
            lambda x: lam("y", INT(), lambda y: And(anc[x][y], kept(x), kept(y))),
        ),
        dead=Store(s["dead"], o, True),
    )


def reclaim(s: State, a: Params, check_roots: bool = True) -> tuple[Term, State]:
    """CAP-RECLAIM: object ``o``, reached by no held capability, is destroyed
    with every capability to it (see the module)."""
    o = a["o"]
    conds = [o > 0, o < s["next_obj"], Not(s["dead"][o])]
    if check_roots:
        conds.append(_all_in_flight(s, o))
    return And(*conds), _reclaimed(s, o)


def _no_dead_named(s: State) -> Term:
    live, obj, dead = s["live"], s["obj"], s["dead"]
    return And(
        forall(["c"], [INT()], lambda c: Implies(live[c], Not(dead[obj[c]]))),
        forall(
            ["o"],
            [INT()],
            lambda o: Implies(o >= s["next_obj"], Not(dead[o])),
        ),
    )


def _roots_kept(pre: State, post: State, a: Params, name: str) -> Term:
    """CAP-RECLAIM: a capability not in flight survives a reclaim."""
    if name != "reclaim":
        return And(True)
    live, flight = pre["live"], pre["flight"]
    return forall(
        ["c"],
        [INT()],
        lambda c: Implies(And(live[c], Not(flight[c])), post["live"][c]),
    )


RECLAIM = Transition(
    "reclaim", (RuleId.CAP_RECLAIM,), (int_param("o", "int"),), reclaim
)
NO_DEAD_NAMED = Conjunct("CAP-RECLAIM/no-dead-named", _no_dead_named)
ROOTS_KEPT = StepProperty("CAP-RECLAIM/roots-kept", _roots_kept)


def _reclaim_too_early(s: State, a: Params) -> tuple[Term, State]:
    """Broken: an object is reclaimed while a table still holds a capability
    to it (the roots are not looked at)."""
    return reclaim(s, a, check_roots=False)


RECLAIM_TOO_EARLY = Transition(
    "reclaim", (RuleId.CAP_RECLAIM,), RECLAIM.params, _reclaim_too_early
)
