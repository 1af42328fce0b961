"""The capability encoding: derivation tree, handle tables and holders.

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
  (a handle of ``p`` that was issued and is gone).

Each transition mirrors a spec rule's checks (its guard) and effects. Rules
whose effect is a loop of ``caps.destroy`` (PROC-KILL, POSIX-CLOSE, NS-UNBIND,
the in-flight caps a socket close discards) are covered step by step by
``destroy_any``, which destroys any one live capability wherever it is held.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId
from veridian_ipc.spec.rights import (
    ALL_RIGHTS,
    BUFFER_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    SEND,
    WRITE,
    rights_names,
)

from ._smt import (
    And,
    BoolSort,
    If,
    Implies,
    IntSort,
    K,
    Model,
    Not,
    Or,
    Store,
    Term,
    array_sort,
    forall,
    has_bits,
    lam,
    model_value,
    rights_sort,
    rights_val,
    subset,
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
    rights_param,
    updated,
)

PORT, CHANNEL, BUFFER = 1, 2, 3
#: Kind codes of the encoding, by spec ``Kind`` value.
KIND_CODES = {"port": PORT, "channel": CHANNEL, "buffer": BUFFER}
#: Capabilities one abstract send or delivery step moves. A spec send with k
#: carried capabilities is k such steps (the agreement tests compose them).
SLOTS = 1


def _ii() -> object:
    return array_sort(IntSort(), IntSort())


def _ib() -> object:
    return array_sort(IntSort(), BoolSort())


def _ir() -> object:
    return array_sort(IntSort(), rights_sort())


def _iii() -> object:
    return array_sort(IntSort(), array_sort(IntSort(), IntSort()))


def _iib() -> object:
    return array_sort(IntSort(), array_sort(IntSort(), BoolSort()))


FIELDS = (
    Field("live", _ib),
    Field("rights", _ir),
    Field("parent", _ii),
    Field("obj", _ii),
    Field("kind", _ii),
    Field("ht", _iii),
    Field("nh", _ii, 1),
    Field("owner", _ii),
    Field("flight", _ib),
    Field("bnd", _ii),
    Field("sock", _ib),
    Field("sown", _ib),
    Field("mp", _iii),
    Field("nm", _ii, 1),
    Field("next_cap", IntSort),
    Field("next_obj", IntSort),
    Field("anc", _iib),
    Field("gone", _ib),
    Field("spent", _iib),
)

INT = IntSort


def _int(name: str, kind: str = "int") -> Param:
    return Param(name, kind, IntSort)


def _bool(name: str) -> Param:
    return Param(name, "bool", BoolSort)


# -- helpers mirroring spec/caps.py ---------------------------------------------


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


def remove_where(s: State, doomed: object) -> State:
    """Take every capability ``c`` with ``doomed(c)`` out of every holder
    (``caps.detach``): handle tables (the handle becomes spent), mappings made
    through it, messages in flight, bindings, sockets."""
    d = doomed
    ht, mp, spent = s["ht"], s["mp"], s["spent"]

    def cut(c: Term) -> Term:
        return And(c != 0, d(c))  # type: ignore[operator]

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


# -- transitions --------------------------------------------------------------------


def _create(s: State, a: Params) -> tuple[Term, State]:
    """PORT-CREATE / CHAN-CREATE / BUF-CREATE: a fresh object and root cap."""
    kind = a["kind"]
    rights = If(kind == BUFFER, rights_val(BUFFER_RIGHTS), rights_val(PORT_RIGHTS))
    kinds = Or(kind == PORT, kind == CHANNEL, kind == BUFFER)
    guard = And(a["p"] > 0, a["args_ok"], kinds)
    o = s["next_obj"]
    t, n = new_node(updated(s, next_obj=o + 1), o, kind, rights, None)
    return guard, install(t, a["p"], n)


def _derive(s: State, a: Params, extra: int = 0) -> tuple[Term, State]:
    """RIGHTS-DERIVE: a child with ``r``, a subset of the parent's rights."""
    c = resolve(s, a["p"], a["h"])
    r = a["r"]
    allowed = s["rights"][c] | rights_val(extra)
    guard = And(c != 0, subset(r, rights_val(ALL_RIGHTS)), subset(r, allowed))
    t, n = new_node(s, s["obj"][c], s["kind"][c], r, c)
    return guard, install(t, a["p"], n)


def _drop(s: State, a: Params) -> tuple[Term, State]:
    """CAP-DROP: destroy the capability behind the handle."""
    c = resolve(s, a["p"], a["h"])
    return c != 0, destroy(s, c)


def _revoke(s: State, a: Params) -> tuple[Term, State]:
    """RIGHTS-REVOKE: destroy every descendant of the handle's capability."""
    c = resolve(s, a["p"], a["h"])
    return c != 0, revoke_set(s, c)


def _destroy_any(s: State, a: Params) -> tuple[Term, State]:
    """One ``caps.destroy`` of any live capability (PROC-KILL, POSIX-CLOSE,
    NS-UNBIND, BUF-TRANSFER loop over it)."""
    return s["live"][a["c"]], destroy(s, a["c"])


def _revoke_any(s: State, a: Params) -> tuple[Term, State]:
    """The descendants of any live capability destroyed (POSIX-CLOSE revokes
    through a socket's own capability)."""
    return s["live"][a["c"]], revoke_set(s, a["c"])


def _carried(a: Params) -> list[Term]:
    return [a[f"h{i}"] for i in range(SLOTS)]


def _send(s: State, a: Params, check_grant: bool = True) -> tuple[Term, State]:
    """PORT-SEND with MSG-TRANSFER: carried handles checked, then moved.

    ``port_ok`` stands for the port-side checks (open, filter, room), which the
    port encoding covers; a carried handle 0 is an absent slot.
    """
    p = a["p"]
    via = resolve(s, p, a["hp"])
    hs = _carried(a)
    cs = [resolve(s, p, h) for h in hs]
    conds = [
        via != 0,
        s["kind"][via] == PORT,
        has_bits(s["rights"][via], SEND),
        a["port_ok"],
    ]
    for i, h in enumerate(hs):
        conds.append(Or(h == 0, cs[i] != 0))
        conds.append(Or(h == 0, h != a["hp"]))
        if check_grant:
            conds.append(Or(h == 0, has_bits(s["rights"][cs[i]], GRANT)))
        conds.extend(Or(h == 0, h != hs[j]) for j in range(i))
    t = s
    for h, c in zip(hs, cs, strict=True):
        t = _move_to_flight(t, p, h, c)
    return And(*conds), t


def _move_to_flight(s: State, p: Term, h: Term, c: Term) -> State:
    """``messages.put_in_flight`` for one carried handle ``h`` (0: no slot):
    ``caps.detach`` out of ``p``'s table (its mappings go), held in flight."""
    moved = h != 0
    row, maps = s["ht"][p], s["mp"][p]
    return updated(
        s,
        ht=Store(s["ht"], p, If(moved, Store(row, h, 0), row)),
        spent=Store(
            s["spent"], p, Store(s["spent"][p], h, Or(moved, s["spent"][p][h]))
        ),
        mp=Store(
            s["mp"],
            p,
            lam("m", INT(), lambda m: If(And(moved, maps[m] == c), 0, maps[m])),
        ),
        owner=Store(s["owner"], c, If(moved, 0, s["owner"][c])),
        flight=Store(s["flight"], c, Or(moved, s["flight"][c])),
    )


_INSTALLED = ("ht", "nh", "owner", "flight")


def _deliver(s: State, a: Params) -> tuple[Term, State]:
    """MSG-INFLIGHT-REVOKE (``take_delivery``): the caps still in a received
    message (PORT-RECEIVE, PORT-HANDOFF, POSIX-RECV) installed in order."""
    q = a["q"]
    cs = [a[f"c{i}"] for i in range(SLOTS)]
    conds = [q > 0] + [And(c >= 0, Or(c == 0, s["flight"][c])) for c in cs]
    conds += [Or(cs[i] == 0, cs[i] != cs[j]) for i in range(SLOTS) for j in range(i)]
    t = s
    for c in cs:
        got = install(updated(t, flight=Store(t["flight"], c, False)), q, c)
        t = {k: If(c == 0, t[k], got[k]) if k in _INSTALLED else t[k] for k in t}
    return And(*conds), t


def _bind(s: State, a: Params, check_grant: bool = True) -> tuple[Term, State]:
    """NS-BIND: a child with the same rights, held by binding ``n``."""
    c = resolve(s, a["p"], a["h"])
    n = a["n"]
    conds = [c != 0, s["kind"][c] == PORT, n > 0, s["bnd"][n] == 0, a["name_ok"]]
    if check_grant:
        conds.append(has_bits(s["rights"][c], GRANT))
    t, child = new_node(s, s["obj"][c], s["kind"][c], s["rights"][c], c)
    return And(*conds), updated(t, bnd=Store(t["bnd"], n, child))


def _lookup(s: State, a: Params) -> tuple[Term, State]:
    """NS-LOOKUP / NS-CONNECT: a child of the binding's cap, same rights."""
    b = s["bnd"][a["n"]]
    t, child = new_node(s, s["obj"][b], s["kind"][b], s["rights"][b], b)
    guard = And(a["p"] > 0, a["n"] > 0, b != 0, a["type_ok"])
    return guard, install(t, a["p"], child)


def _unbind(s: State, a: Params) -> tuple[Term, State]:
    """NS-UNBIND: MANAGE on a cap to the bound port; the binding's cap goes."""
    c = resolve(s, a["p"], a["h"])
    b = s["bnd"][a["n"]]
    guard = And(
        c != 0,
        s["kind"][c] == PORT,
        a["n"] > 0,
        b != 0,
        s["obj"][b] == s["obj"][c],
        has_bits(s["rights"][c], MANAGE),
    )
    return guard, destroy(s, b)


def _transfer(s: State, a: Params, everywhere: bool = True) -> tuple[Term, State]:
    """BUF-TRANSFER: every cap of the buffer destroyed, one fresh root cap (the
    sender's rights) in flight."""
    p = a["p"]
    b = resolve(s, p, a["hb"])
    via = resolve(s, p, a["hp"])
    guard = And(
        b != 0,
        s["kind"][b] == BUFFER,
        has_bits(s["rights"][b], MANAGE | GRANT),
        via != 0,
        s["kind"][via] == PORT,
        has_bits(s["rights"][via], SEND),
        a["port_ok"],
    )
    o = s["obj"][b]
    if everywhere:
        t = remove_where(s, lambda x: s["obj"][x] == o)
    else:  # the broken variant: only the sender's handles lose access
        t = remove_where(s, lambda x: And(s["obj"][x] == o, s["owner"][x] == p))
    t, fresh = new_node(t, o, BUFFER, s["rights"][b], None)
    return guard, updated(t, flight=Store(t["flight"], fresh, True))


def _map(s: State, a: Params) -> tuple[Term, State]:
    """BUF-MAP: READ (and WRITE if writable) on a buffer cap; a new mapping."""
    p = a["p"]
    c = resolve(s, p, a["h"])
    needed = If(a["writable"], rights_val(READ | WRITE), rights_val(READ))
    guard = And(c != 0, s["kind"][c] == BUFFER, s["rights"][c] & needed == needed)
    m = s["nm"][p]
    return guard, updated(
        s,
        mp=Store(s["mp"], p, Store(s["mp"][p], m, c)),
        nm=Store(s["nm"], p, m + 1),
    )


def _unmap(s: State, a: Params) -> tuple[Term, State]:
    """BUF-UNMAP: a live mapping id of the caller goes."""
    p, m = a["p"], a["m"]
    guard = s["mp"][p][m] != 0
    return guard, updated(s, mp=Store(s["mp"], p, Store(s["mp"][p], m, 0)))


def _socket(s: State, a: Params) -> tuple[Term, State]:
    """POSIX-SOCKET: a fresh port whose root cap the socket holds."""
    o = s["next_obj"]
    t, n = new_node(updated(s, next_obj=o + 1), o, PORT, rights_val(PORT_RIGHTS), None)
    return a["args_ok"], updated(
        t, sock=Store(t["sock"], n, True), sown=Store(t["sown"], n, True)
    )


def _sock_bind(s: State, a: Params) -> tuple[Term, State]:
    """POSIX-BIND: the socket's own cap published SEND-only (NS-BIND's publish)."""
    c, n = a["c"], a["n"]
    guard = And(s["sown"][c], s["live"][c], n > 0, s["bnd"][n] == 0, a["name_ok"])
    t, child = new_node(s, s["obj"][c], PORT, rights_val(SEND), c)
    return guard, updated(t, bnd=Store(t["bnd"], n, child))


def _sock_connect(s: State, a: Params) -> tuple[Term, State]:
    """POSIX-CONNECT: a SEND child of the binding's cap, held by the socket."""
    b = s["bnd"][a["n"]]
    guard = And(a["n"] > 0, b != 0, has_bits(s["rights"][b], SEND), a["args_ok"])
    t, child = new_node(s, s["obj"][b], s["kind"][b], rights_val(SEND), b)
    return guard, updated(t, sock=Store(t["sock"], child, True))


def _pid_handle() -> tuple[Param, Param]:
    return _int("p", "pid"), _int("h", "handle")


TRANSITIONS = (
    Transition(
        "create",
        (RuleId.PORT_CREATE, RuleId.CHAN_CREATE, RuleId.BUF_CREATE),
        (_int("p", "pid"), _int("kind"), _bool("args_ok")),
        _create,
    ),
    Transition(
        "derive", (RuleId.RIGHTS_DERIVE,), (*_pid_handle(), rights_param("r")), _derive
    ),
    Transition("drop", (RuleId.CAP_DROP,), _pid_handle(), _drop),
    Transition("revoke", (RuleId.RIGHTS_REVOKE,), _pid_handle(), _revoke),
    Transition(
        "destroy_any",
        (RuleId.PROC_KILL, RuleId.POSIX_CLOSE, RuleId.NS_UNBIND),
        (_int("c", "cap"),),
        _destroy_any,
    ),
    Transition("revoke_any", (RuleId.POSIX_CLOSE,), (_int("c", "cap"),), _revoke_any),
    Transition(
        "send",
        (RuleId.PORT_SEND, RuleId.MSG_TRANSFER),
        (
            _int("p", "pid"),
            _int("hp", "handle"),
            *[_int(f"h{i}", "handle") for i in range(SLOTS)],
            _bool("port_ok"),
        ),
        _send,
    ),
    Transition(
        "deliver",
        (RuleId.MSG_INFLIGHT_REVOKE, RuleId.PORT_RECEIVE, RuleId.PORT_HANDOFF),
        (_int("q", "pid"), *[_int(f"c{i}", "cap") for i in range(SLOTS)]),
        _deliver,
    ),
    Transition(
        "bind",
        (RuleId.NS_BIND,),
        (*_pid_handle(), _int("n", "name"), _bool("name_ok")),
        _bind,
    ),
    Transition(
        "lookup",
        (RuleId.NS_LOOKUP, RuleId.NS_CONNECT),
        (_int("p", "pid"), _int("n", "name"), _bool("type_ok")),
        _lookup,
    ),
    Transition(
        "unbind", (RuleId.NS_UNBIND,), (*_pid_handle(), _int("n", "name")), _unbind
    ),
    Transition(
        "transfer",
        (RuleId.BUF_TRANSFER,),
        (
            _int("p", "pid"),
            _int("hb", "handle"),
            _int("hp", "handle"),
            _bool("port_ok"),
        ),
        _transfer,
    ),
    Transition("map", (RuleId.BUF_MAP,), (*_pid_handle(), _bool("writable")), _map),
    Transition("unmap", (RuleId.BUF_UNMAP,), (_int("p", "pid"), _int("m")), _unmap),
    Transition("socket", (RuleId.POSIX_SOCKET,), (_bool("args_ok"),), _socket),
    Transition(
        "sock_bind",
        (RuleId.POSIX_BIND,),
        (_int("c", "cap"), _int("n", "name"), _bool("name_ok")),
        _sock_bind,
    ),
    Transition(
        "sock_connect",
        (RuleId.POSIX_CONNECT,),
        (_int("n", "name"), _bool("args_ok")),
        _sock_connect,
    ),
)

# -- broken variants (negative controls) --------------------------------------------

DERIVE_EXTRA_GRANT = Transition(
    "derive",
    (RuleId.RIGHTS_DERIVE,),
    (*_pid_handle(), rights_param("r")),
    lambda s, a: _derive(s, a, extra=GRANT),
)


def _drop_no_reparent(s: State, a: Params) -> tuple[Term, State]:
    c = resolve(s, a["p"], a["h"])
    return c != 0, remove_where(s, lambda x: x == c)


DROP_NO_REPARENT = Transition(
    "drop", (RuleId.CAP_DROP,), _pid_handle(), _drop_no_reparent
)


def _revoke_keep_inflight(s: State, a: Params) -> tuple[Term, State]:
    c = resolve(s, a["p"], a["h"])
    t = revoke_set(s, c)
    return c != 0, updated(t, flight=s["flight"])


REVOKE_KEEPS_INFLIGHT = Transition(
    "revoke", (RuleId.RIGHTS_REVOKE,), _pid_handle(), _revoke_keep_inflight
)


def _install_reuse(s: State, a: Params) -> tuple[Term, State]:
    guard, t = _derive(s, a)
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
    (*_pid_handle(), rights_param("r")),
    _install_reuse,
)
SEND_WITHOUT_GRANT = Transition(
    "send",
    (RuleId.PORT_SEND,),
    TRANSITIONS[6].params,
    lambda s, a: _send(s, a, check_grant=False),
)
BIND_WITHOUT_GRANT = Transition(
    "bind",
    (RuleId.NS_BIND,),
    TRANSITIONS[8].params,
    lambda s, a: _bind(s, a, check_grant=False),
)
TRANSFER_LOCAL_ONLY = Transition(
    "transfer",
    (RuleId.BUF_TRANSFER,),
    TRANSITIONS[11].params,
    lambda s, a: _transfer(s, a, everywhere=False),
)

# -- invariant conjuncts ------------------------------------------------------------


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


def _init(s: State) -> Term:
    return And(
        s["live"] == K(INT(), False),
        s["gone"] == K(INT(), False),
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


# -- step properties ------------------------------------------------------------------


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


def _transfer_exclusive(pre: State, post: State, a: Params, name: str) -> Term:
    """BUF-TRANSFER: afterwards exactly one capability to the buffer exists,
    it is in flight, and no process holds or maps the buffer."""
    if name != "transfer":
        return And(True)
    o = pre["obj"][pre["ht"][a["p"]][a["hb"]]]
    fresh = pre["next_cap"]
    live, obj = post["live"], post["obj"]
    return And(
        live[fresh],
        post["flight"][fresh],
        forall(
            ["c"], [INT()], lambda c: Implies(And(live[c], obj[c] == o), c == fresh)
        ),
        forall(
            ["p", "m"],
            [INT(), INT()],
            lambda p, m: Implies(post["mp"][p][m] != 0, obj[post["mp"][p][m]] != o),
        ),
        forall(
            ["p", "h"],
            [INT(), INT()],
            lambda p, h: Implies(post["ht"][p][h] != 0, obj[post["ht"][p][h]] != o),
        ),
    )


BINDING_GRANTED = StepProperty("NS-BIND/granted", _binding_granted)
FORGERY_FAILS = StepProperty("CAP-HANDLE/no-forgery", _forgery_fails)
TRANSFER_EXCLUSIVE = StepProperty("BUF-TRANSFER/exclusive", _transfer_exclusive)

HANDLE_TRANSITIONS = ("derive", "drop", "revoke", "bind", "unbind", "map")


# -- counterexample decoding --------------------------------------------------------


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The capabilities a counterexample's parameters name, before and after."""
    caps: list[int] = []
    p = a.get("p")
    for key in ("h", "hp", "hb", *[f"h{i}" for i in range(SLOTS)]):
        if key in a and p is not None:
            c = int(model_value(model, pre["ht"][p][a[key]]))
            if c and c not in caps:
                caps.append(c)
    for key in ("c", *[f"c{i}" for i in range(SLOTS)]):
        if key in a:
            c = int(model_value(model, a[key]))
            if c and c not in caps:
                caps.append(c)
    nxt = int(model_value(model, pre["next_cap"]))
    for c in range(1, min(nxt, 6)):
        changed = any(
            model_value(model, pre[f][c]) != model_value(model, post[f][c])
            for f in ("live", "flight", "owner", "sock")
        )
        if changed and c not in caps:
            caps.append(c)
    lines: list[str] = []
    for c in caps:
        lines.append(_cap_line(model, pre, c, "before"))
        died = model_value(model, post["live"][c]) != model_value(model, pre["live"][c])
        sent = model_value(model, post["flight"][c]) and not model_value(
            model, pre["flight"][c]
        )
        if died or sent:
            lines.append(_cap_line(model, post, c, "after"))
        par = int(model_value(model, pre["parent"][c]))
        if par and par not in caps:
            lines.append(_cap_line(model, pre, par, "before"))
    if nxt not in caps and model_value(model, post["live"][nxt]):
        lines.append(_cap_line(model, post, nxt, "created"))
    return lines


def _cap_line(model: Model, s: State, c: int, when: str) -> str:
    live = model_value(model, s["live"][c])
    rights = rights_names(int(model_value(model, s["rights"][c])))
    parent = model_value(model, s["parent"][c])
    owner = model_value(model, s["owner"][c])
    where = f"held by process {owner}" if owner else "not in a handle table"
    if model_value(model, s["flight"][c]):
        where = "in flight"
    return (
        f"cap {c} ({when}): {'live' if live else 'dead'}, rights "
        f"{'|'.join(rights) or 'none'}, parent {parent or 'none'}, {where}"
    )


SYSTEM = System(
    "caps", FIELDS, _init, CONJUNCTS, TRANSITIONS, describe, lambda s, n: And(True)
)


def _deliver_keeps_flight(s: State, a: Params) -> tuple[Term, State]:
    guard, post = _deliver(s, a)
    return guard, updated(post, flight=s["flight"])


DELIVER_KEEPS_FLIGHT = Transition(
    "deliver",
    (RuleId.MSG_INFLIGHT_REVOKE,),
    TRANSITIONS[7].params,
    _deliver_keeps_flight,
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
