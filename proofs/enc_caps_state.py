"""The capability encoding's state, and the helpers mirroring ``spec/caps.py``.

The encoding of the spec's capability chapter (derivation tree, handle tables
and holders) is in parts: this state, its transitions (``enc_caps_rules``),
its invariant (``enc_caps_invariants``), its step properties
(``enc_caps_properties``), its negative controls (``enc_caps_controls``) and
its counterexample decoding (``enc_caps_decode``), assembled in ``enc_caps``.

Abstract state (one field per concern, all over Int ids; 0 means "none"):

- ``live[c]``, ``rights[c]`` (6-bit vector), ``parent[c]``, ``obj[c]``,
  ``kind[c]`` (1 port, 2 channel, 3 buffer): the capability nodes (spec
  ``KernelState.caps``).
- ``ht[p][h]``: process ``p``'s handle table (``Process.handles``), ``nh[p]`` its
  next handle; ``owner[c]`` the process whose table holds ``c`` (0 if none).
- ``flight[c]``: ``c`` is carried by a queued message (``InFlight``);
  ``bnd[n]``: the capability of namespace binding ``n`` (``InBinding``);
  ``sock[c]`` / ``sown[c]``: held by a socket / as a socket's own port
  (``InSocket``).
- ``mp[p][m]``: the capability mapping ``m`` of process ``p`` goes through
  (``Process.mappings``), ``nm[p]`` the next mapping id.
- ``next_cap``, ``next_obj``: the id counters.
- Ghosts: ``anc[x][y]`` (``x`` is a strict ancestor of ``y``: the transitive
  closure of ``parent``), ``gone[c]`` (destroyed by a revoke), ``spent[p][h]``
  (a handle of ``p`` that was issued and is gone), ``dead[o]`` (object ``o``
  was reclaimed: CAP-RECLAIM, ``enc_caps_reclaim``).
"""

from __future__ import annotations

from collections.abc import Callable

from ._smt import (
    And,
    If,
    IntSort,
    Not,
    Or,
    Store,
    Term,
    int_to_bool,
    int_to_int,
    int_to_int_to_bool,
    int_to_int_to_int,
    int_to_rights,
    lam,
)
from .induction import Field, State, updated

PORT, CHANNEL, BUFFER = 1, 2, 3
#: Kind codes of the encoding, by spec ``Kind`` value.
KIND_CODES = {"port": PORT, "channel": CHANNEL, "buffer": BUFFER}
#: Capabilities one abstract send or delivery step moves. A spec send with k
#: carried capabilities is k such steps (the agreement tests compose them).
SLOTS = 1

FIELDS = (
    Field("live", int_to_bool),
    Field("rights", int_to_rights),
    Field("parent", int_to_int),
    Field("obj", int_to_int),
    Field("kind", int_to_int),
    Field("ht", int_to_int_to_int),
    Field("nh", int_to_int, 1),
    Field("owner", int_to_int),
    Field("flight", int_to_bool),
    Field("bnd", int_to_int),
    Field("sock", int_to_bool),
    Field("sown", int_to_bool),
    Field("mp", int_to_int_to_int),
    Field("nm", int_to_int, 1),
    Field("next_cap", IntSort),
    Field("next_obj", IntSort),
    Field("anc", int_to_int_to_bool),
    Field("gone", int_to_bool),
    Field("spent", int_to_int_to_bool),
    Field("dead", int_to_bool),
)

INT = IntSort


def resolve(s: State, p: Term, h: Term) -> Term:
    """CAP-HANDLE: the capability ``h`` names in ``p``'s table (0: none)."""
    return s["ht"][p][h]


def new_node(
    s: State, obj: Term, kind: Term, rights: Term, parent: Term | None
) -> tuple[State, Term]:
    """``caps.new_cap``: a fresh node (id ``next_cap``), child of ``parent``."""
    n = s["next_cap"]
    par = 0 if parent is None else parent
    anc = s["anc"]
    if parent is not None:
        anc = lam(
            "x", INT(), lambda x: Store(anc[x], n, Or(x == parent, anc[x][parent]))
        )
    return (
        updated(
            s,
            live=Store(s["live"], n, True),
            rights=Store(s["rights"], n, rights),
            parent=Store(s["parent"], n, par),
            obj=Store(s["obj"], n, obj),
            kind=Store(s["kind"], n, kind),
            anc=anc,
            next_cap=n + 1,
        ),
        n,
    )


def install(s: State, p: Term, c: Term) -> State:
    """``caps.install``: ``c`` into ``p``'s table under handle ``nh[p]``."""
    h = s["nh"][p]
    return updated(
        s,
        ht=Store(s["ht"], p, Store(s["ht"][p], h, c)),
        nh=Store(s["nh"], p, h + 1),
        owner=Store(s["owner"], c, p),
    )


def remove_where(s: State, doomed: Callable[[Term], Term]) -> State:
    """Take every capability ``c`` with ``doomed(c)`` out of every holder
    (``caps.detach``): handle tables (the handle becomes spent), mappings made
    through it, messages in flight, bindings, sockets."""
    ht, mp, spent = s["ht"], s["mp"], s["spent"]

    def cut(c: Term) -> Term:
        return And(c != 0, doomed(c))

    return updated(
        s,
        ht=lam(
            "p",
            INT(),
            lambda p: lam("h", INT(), lambda h: If(cut(ht[p][h]), 0, ht[p][h])),
        ),
        spent=lam(
            "p",
            INT(),
            lambda p: lam("h", INT(), lambda h: Or(spent[p][h], cut(ht[p][h]))),
        ),
        mp=lam(
            "p",
            INT(),
            lambda p: lam("m", INT(), lambda m: If(cut(mp[p][m]), 0, mp[p][m])),
        ),
        owner=lam("c", INT(), lambda c: If(cut(c), 0, s["owner"][c])),
        flight=lam("c", INT(), lambda c: And(s["flight"][c], Not(cut(c)))),
        bnd=lam("n", INT(), lambda n: If(cut(s["bnd"][n]), 0, s["bnd"][n])),
        sock=lam("c", INT(), lambda c: And(s["sock"][c], Not(cut(c)))),
        sown=lam("c", INT(), lambda c: And(s["sown"][c], Not(cut(c)))),
        live=lam("c", INT(), lambda c: And(s["live"][c], Not(cut(c)))),
        anc=lam(
            "x",
            INT(),
            lambda x: lam(
                "y", INT(), lambda y: And(s["anc"][x][y], Not(cut(x)), Not(cut(y)))
            ),
        ),
    )


def destroy(s: State, c: Term) -> State:
    """``caps.destroy``: detach ``c``, remove its node; children move up."""
    par = s["parent"][c]
    t = remove_where(s, lambda x: x == c)
    parent = s["parent"]
    return updated(
        t, parent=lam("x", INT(), lambda x: If(parent[x] == c, par, parent[x]))
    )


def revoke_set(s: State, c: Term) -> State:
    """``caps.revoke``'s effect: every strict descendant of ``c`` destroyed.

    The destroyed set is closed under children, so surviving nodes keep their
    parents; the destroyed ones are marked ``gone``.
    """
    anc = s["anc"]
    t = remove_where(s, lambda y: anc[c][y])
    return updated(t, gone=lam("y", INT(), lambda y: Or(s["gone"][y], anc[c][y])))
