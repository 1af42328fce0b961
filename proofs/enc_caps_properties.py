"""The capability encoding's step properties: two-state claims about one step.

Each is checked for every transition from any state satisfying the invariant
(``enc_caps_invariants``): a claim about what one rule's step does (NS-BIND's
grant discipline, CAP-HANDLE's no-forgery, BUF-TRANSFER's owner-only move,
RIGHTS-REVOKE's completeness); it holds vacuously for the other transitions.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import GRANT

from ._smt import And, Implies, Not, Term, forall, has_bits
from .enc_caps_state import INT
from .induction import Params, State, StepProperty


def _binding_granted(pre: State, post: State, a: Params, name: str) -> Term:
    """NS-BIND: a new binding's capability comes from one that held GRANT."""
    bnd, bnd2 = pre["bnd"], post["bnd"]
    return forall(
        ["n"],
        [INT()],
        lambda n: Implies(
            And(bnd[n] == 0, bnd2[n] != 0),
            has_bits(pre["rights"][post["parent"][bnd2[n]]], GRANT),
        ),
    )


def _forgery_fails(pre: State, post: State, a: Params, name: str) -> Term:
    """CAP-HANDLE: an operation through a handle that names nothing in the
    caller's table does not happen (its guard is false)."""
    if "h" not in a or "p" not in a:
        return And(True)
    return pre["ht"][a["p"]][a["h"]] != 0


def _transfer_keeps_others(pre: State, post: State, a: Params, name: str) -> Term:
    """BUF-TRANSFER: only the owner's root capability moves (into flight);
    every other capability keeps its life and holder, and every mapping not
    made through the root stays."""
    if name != "transfer":
        return And(True)
    b = pre["ht"][a["p"]][a["hb"]]
    live, owner = post["live"], post["owner"]
    return And(
        pre["parent"][b] == 0,
        live[b],
        post["flight"][b],
        forall(
            ["c"],
            [INT()],
            lambda c: Implies(
                c != b, And(live[c] == pre["live"][c], owner[c] == pre["owner"][c])
            ),
        ),
        forall(
            ["p", "m"],
            [INT(), INT()],
            lambda p, m: Implies(
                pre["mp"][p][m] != b, post["mp"][p][m] == pre["mp"][p][m]
            ),
        ),
    )


BINDING_GRANTED = StepProperty("NS-BIND/granted", _binding_granted)
FORGERY_FAILS = StepProperty("CAP-HANDLE/no-forgery", _forgery_fails)
TRANSFER_KEEPS_OTHERS = StepProperty(
    "BUF-TRANSFER/keeps-others", _transfer_keeps_others
)


def _revoke_kills_descendants(pre: State, post: State, a: Params, name: str) -> Term:
    """RIGHTS-REVOKE: after a revoke no strict descendant of the capability is
    live or held anywhere (handle table, message in flight, binding, socket),
    and the capability itself stays."""
    if name != "revoke":
        return And(True)
    c = pre["ht"][a["p"]][a["h"]]
    anc = pre["anc"]
    return And(
        post["live"][c],
        forall(
            ["y"],
            [INT()],
            lambda y: Implies(
                anc[c][y],
                And(
                    Not(post["live"][y]),
                    Not(post["flight"][y]),
                    Not(post["sock"][y]),
                    post["owner"][y] == 0,
                ),
            ),
        ),
        forall(
            ["p", "h"],
            [INT(), INT()],
            lambda p, h: Not(And(post["ht"][p][h] != 0, anc[c][post["ht"][p][h]])),
        ),
        forall(
            ["n"],
            [INT()],
            lambda n: Not(And(post["bnd"][n] != 0, anc[c][post["bnd"][n]])),
        ),
    )


REVOKE_KILLS_DESCENDANTS = StepProperty(
    "RIGHTS-REVOKE/complete", _revoke_kills_descendants
)
