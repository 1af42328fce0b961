"""The capability encoding's invariant: its conjuncts and initial condition.

Each conjunct is one of the spec's invariants (``spec/invariants.py``: INV-*)
or a strengthening a rule's proof needs (named ``RULE/what``), stated over the
state of ``enc_caps_state``. ``CONJUNCTS`` together are inductive: every
transition preserves their conjunction.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, GRANT, PORT_RIGHTS, READ

from ._smt import (
    And,
    If,
    Implies,
    K,
    Not,
    Or,
    Term,
    forall,
    has_bits,
    rights_val,
    subset,
)
from .enc_caps_state import BUFFER, CHANNEL, INT, PORT
from .induction import Conjunct, State


def _ids_fresh(s: State) -> Term:
    live, gone, obj = s["live"], s["gone"], s["obj"]
    return And(
        s["next_cap"] >= 1,
        s["next_obj"] >= 1,
        forall(
            ["c"],
            [INT()],
            lambda c: Implies(
                Or(c <= 0, c >= s["next_cap"]), And(Not(live[c]), Not(gone[c]))
            ),
        ),
        forall(
            ["c"],
            [INT()],
            lambda c: Implies(live[c], And(obj[c] > 0, obj[c] < s["next_obj"])),
        ),
    )


def _handles_live(s: State) -> Term:
    ht, nh = s["ht"], s["nh"]
    return And(
        forall(["p"], [INT()], lambda p: nh[p] >= 1),
        forall(
            ["p", "h"],
            [INT(), INT()],
            lambda p, h: Implies(
                ht[p][h] != 0,
                And(
                    s["live"][ht[p][h]],
                    p > 0,
                    h > 0,
                    h < nh[p],
                    s["owner"][ht[p][h]] == p,
                ),
            ),
        ),
        forall(
            ["p", "h", "k"],
            [INT(), INT(), INT()],
            lambda p, h, k: Implies(And(ht[p][h] != 0, ht[p][h] == ht[p][k]), h == k),
        ),
    )


def _handles_never_reused(s: State) -> Term:
    return forall(
        ["p", "h"],
        [INT(), INT()],
        lambda p, h: Implies(
            s["spent"][p][h],
            And(s["ht"][p][h] == 0, h > 0, h < s["nh"][p]),
        ),
    )


def _location(s: State) -> Term:
    live, owner, flight, sock, bnd = (
        s["live"],
        s["owner"],
        s["flight"],
        s["sock"],
        s["bnd"],
    )
    return And(
        forall(
            ["c"],
            [INT()],
            lambda c: And(
                Implies(flight[c], And(live[c], owner[c] == 0, Not(sock[c]))),
                Implies(sock[c], And(live[c], owner[c] == 0)),
                Implies(owner[c] != 0, live[c]),
            ),
        ),
        forall(
            ["n"],
            [INT()],
            lambda n: Implies(
                bnd[n] != 0,
                And(
                    n > 0,
                    live[bnd[n]],
                    owner[bnd[n]] == 0,
                    Not(flight[bnd[n]]),
                    Not(sock[bnd[n]]),
                ),
            ),
        ),
        forall(
            ["n", "m"],
            [INT(), INT()],
            lambda n, m: Implies(And(bnd[n] != 0, bnd[n] == bnd[m]), n == m),
        ),
    )


def _tree(s: State) -> Term:
    live, parent, anc, obj, kind = (
        s["live"],
        s["parent"],
        s["anc"],
        s["obj"],
        s["kind"],
    )
    return And(
        forall(
            ["y"],
            [INT()],
            lambda y: Implies(
                And(live[y], parent[y] != 0),
                And(
                    live[parent[y]],
                    obj[parent[y]] == obj[y],
                    kind[parent[y]] == kind[y],
                    anc[parent[y]][y],
                ),
            ),
        ),
        forall(
            ["x", "y"],
            [INT(), INT()],
            lambda x, y: Implies(
                anc[x][y],
                And(
                    live[x],
                    live[y],
                    x != y,
                    parent[y] != 0,
                    Or(x == parent[y], anc[x][parent[y]]),
                ),
            ),
        ),
        forall(
            ["x", "y", "z"],
            [INT(), INT(), INT()],
            lambda x, y, z: Implies(And(anc[x][y], anc[y][z]), anc[x][z]),
        ),
    )


def _rights_monotone(s: State) -> Term:
    live, parent, rights, anc = s["live"], s["parent"], s["rights"], s["anc"]
    return And(
        forall(
            ["y"],
            [INT()],
            lambda y: Implies(
                And(live[y], parent[y] != 0), subset(rights[y], rights[parent[y]])
            ),
        ),
        forall(
            ["x", "y"],
            [INT(), INT()],
            lambda x, y: Implies(anc[x][y], subset(rights[y], rights[x])),
        ),
    )


def _rights_kind(s: State) -> Term:
    live, kind, rights = s["live"], s["kind"], s["rights"]
    return forall(
        ["c"],
        [INT()],
        lambda c: Implies(
            live[c],
            And(
                Or(kind[c] == PORT, kind[c] == CHANNEL, kind[c] == BUFFER),
                If(
                    kind[c] == BUFFER,
                    subset(rights[c], rights_val(BUFFER_RIGHTS)),
                    subset(rights[c], rights_val(PORT_RIGHTS)),
                ),
            ),
        ),
    )


def _revoked_unreachable(s: State) -> Term:
    return forall(["c"], [INT()], lambda c: Implies(s["gone"][c], Not(s["live"][c])))


def _in_flight_granted(s: State) -> Term:
    return forall(
        ["c"],
        [INT()],
        lambda c: Implies(s["flight"][c], has_bits(s["rights"][c], GRANT)),
    )


def _mappings_live(s: State) -> Term:
    mp = s["mp"]
    return And(
        forall(["p"], [INT()], lambda p: s["nm"][p] >= 1),
        forall(
            ["p", "m"],
            [INT(), INT()],
            lambda p, m: Implies(
                mp[p][m] != 0,
                And(
                    s["live"][mp[p][m]],
                    s["owner"][mp[p][m]] == p,
                    p != 0,
                    s["kind"][mp[p][m]] == BUFFER,
                    has_bits(s["rights"][mp[p][m]], READ),
                    m > 0,
                    m < s["nm"][p],
                ),
            ),
        ),
    )


def _sockets(s: State) -> Term:
    return forall(
        ["c"],
        [INT()],
        lambda c: And(
            Implies(
                s["sown"][c],
                And(
                    s["sock"][c],
                    s["parent"][c] == 0,
                    s["rights"][c] == rights_val(PORT_RIGHTS),
                    s["kind"][c] == PORT,
                ),
            ),
            Implies(s["sock"][c], s["kind"][c] == PORT),
        ),
    )


def _namespace(s: State) -> Term:
    bnd = s["bnd"]
    return forall(
        ["n"], [INT()], lambda n: Implies(bnd[n] != 0, s["kind"][bnd[n]] == PORT)
    )


CONJUNCTS = (
    Conjunct("INV-IDS-FRESH", _ids_fresh),
    Conjunct("INV-HANDLES-LIVE", _handles_live),
    Conjunct("CAP-HANDLE/never-reused", _handles_never_reused),
    Conjunct("INV-CAP-LOCATION", _location),
    Conjunct("INV-DERIVATION-TREE", _tree),
    Conjunct("INV-RIGHTS-MONOTONE", _rights_monotone),
    Conjunct("INV-RIGHTS-KIND", _rights_kind),
    Conjunct("RIGHTS-REVOKE/gone", _revoked_unreachable),
    Conjunct("MSG-TRANSFER/in-flight-granted", _in_flight_granted),
    Conjunct("INV-MAPPINGS-LIVE", _mappings_live),
    Conjunct("INV-SOCKETS-LIVE", _sockets),
    Conjunct("INV-NAMESPACE-LIVE", _namespace),
)


def init(s: State) -> Term:
    """The initial state: no capability, no holder, every counter at its start."""
    return And(
        s["live"] == K(INT(), False),
        s["gone"] == K(INT(), False),
        s["dead"] == K(INT(), False),
        s["flight"] == K(INT(), False),
        s["sock"] == K(INT(), False),
        s["sown"] == K(INT(), False),
        s["bnd"] == K(INT(), 0),
        s["owner"] == K(INT(), 0),
        s["parent"] == K(INT(), 0),
        s["ht"] == K(INT(), K(INT(), 0)),
        s["mp"] == K(INT(), K(INT(), 0)),
        s["nh"] == K(INT(), 1),
        s["nm"] == K(INT(), 1),
        s["anc"] == K(INT(), K(INT(), False)),
        s["spent"] == K(INT(), K(INT(), False)),
        s["next_cap"] == 1,
        s["next_obj"] == 1,
    )
