"""The capability encoding's transitions: one per spec rule that moves capabilities.

Each transition mirrors a spec rule's checks (its guard) and effects over the
state of ``enc_caps_state``. Rules whose effect is a loop of ``caps.destroy``
(PROC-KILL, POSIX-CLOSE, NS-UNBIND, the in-flight caps a socket close
discards) are covered step by step by ``destroy_any``, which destroys any one
live capability wherever it is held.

``BY_NAME`` maps each transition's name to it: look a transition up by name,
never by its position in ``TRANSITIONS``. The rules that the negative controls
vary (``derive``, ``send``, ``bind``, ``transfer``, ``deliver``) take the
variation as a keyword argument.
"""

from __future__ import annotations

from veridian_ipc.spec import RuleId
from veridian_ipc.vocabulary.rights import (
    ALL_RIGHTS,
    BUFFER_RIGHTS,
    GRANT,
    MANAGE,
    PORT_RIGHTS,
    READ,
    SEND,
    WRITE,
)

from ._smt import And, If, Or, Store, Term, has_bits, lam, rights_val, subset
from .enc_caps_reclaim import RECLAIM
from .enc_caps_state import (
    BUFFER,
    CHANNEL,
    INT,
    PORT,
    SLOTS,
    destroy,
    install,
    new_node,
    remove_where,
    resolve,
    revoke_set,
)
from .induction import (
    Param,
    Params,
    State,
    Transition,
    bool_param,
    int_param,
    rights_param,
    updated,
)


def _create(s: State, a: Params) -> tuple[Term, State]:
    """PORT-CREATE / CHAN-CREATE / BUF-CREATE: a fresh object and root cap."""
    kind = a["kind"]
    rights = If(kind == BUFFER, rights_val(BUFFER_RIGHTS), rights_val(PORT_RIGHTS))
    kinds = Or(kind == PORT, kind == CHANNEL, kind == BUFFER)
    guard = And(a["p"] > 0, a["args_ok"], kinds)
    o = s["next_obj"]
    t, n = new_node(updated(s, next_obj=o + 1), o, kind, rights, None)
    return guard, install(t, a["p"], n)


def derive(s: State, a: Params, extra: int = 0) -> tuple[Term, State]:
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
    NS-UNBIND loop over it)."""
    return s["live"][a["c"]], destroy(s, a["c"])


def _revoke_any(s: State, a: Params) -> tuple[Term, State]:
    """The descendants of any live capability destroyed (POSIX-CLOSE revokes
    through a socket's own capability)."""
    return s["live"][a["c"]], revoke_set(s, a["c"])


def _carried(a: Params) -> list[Term]:
    return [a[f"h{i}"] for i in range(SLOTS)]


def send(s: State, a: Params, check_grant: bool = True) -> tuple[Term, State]:
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


def deliver(s: State, a: Params) -> tuple[Term, State]:
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


def take_back(s: State, a: Params) -> tuple[Term, State]:
    """PORT-HANDOFF's ``give_back`` (``messages.take_back``): the receiver
    ``q`` of a hand-off it never collected dies, and the capabilities the
    delivery installed, still held at handles ``h0``.. of its table (0: no
    slot, or revoked meanwhile), go back in flight with the message. Each
    moved with GRANT (MSG-TRANSFER) and rights never change, so the guard asks
    for it: what is in flight stays granted."""
    q = a["q"]
    hs = [a[f"h{i}"] for i in range(SLOTS)]
    cs = [resolve(s, q, h) for h in hs]
    conds = [q > 0]
    for i, h in enumerate(hs):
        conds.append(Or(h == 0, cs[i] != 0))
        conds.append(Or(h == 0, has_bits(s["rights"][cs[i]], GRANT)))
        conds.extend(Or(h == 0, h != hs[j]) for j in range(i))
    t = s
    for h, c in zip(hs, cs, strict=True):
        t = _move_to_flight(t, q, h, c)
    return And(*conds), t


def bind(s: State, a: Params, check_grant: bool = True) -> tuple[Term, State]:
    """NS-BIND: a child with the published rights ``r`` (a subset of the
    handle's), held by binding ``n``. ``name_ok`` folds in the arguments and
    the caller's ``may_bind``, which the encoding does not model."""
    c = resolve(s, a["p"], a["h"])
    n, r = a["n"], a["r"]
    conds = [c != 0, s["kind"][c] == PORT, n > 0, s["bnd"][n] == 0, a["name_ok"]]
    conds.append(subset(r, s["rights"][c]))
    if check_grant:
        conds.append(has_bits(s["rights"][c], GRANT))
    t, child = new_node(s, s["obj"][c], s["kind"][c], r, c)
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


def transfer(s: State, a: Params, strip_others: bool = False) -> tuple[Term, State]:
    """BUF-TRANSFER: the owner's root capability (no parent) moves into flight
    like a carried capability of PORT-SEND; nothing else changes."""
    p = a["p"]
    b = resolve(s, p, a["hb"])
    via = resolve(s, p, a["hp"])
    guard = And(
        b != 0,
        s["kind"][b] == BUFFER,
        has_bits(s["rights"][b], MANAGE | GRANT),
        s["parent"][b] == 0,
        via != 0,
        s["kind"][via] == PORT,
        has_bits(s["rights"][via], SEND),
        a["port_ok"],
    )
    t = s
    if strip_others:  # the broken variant: every other capability destroyed
        o = s["obj"][b]
        t = remove_where(s, lambda x: And(s["obj"][x] == o, x != b))
    return guard, _move_to_flight(t, p, a["hb"], b)


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
    """The caller and the handle it names (the parameters of most rules)."""
    return int_param("p", "pid"), int_param("h", "handle")


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "create",
        (RuleId.PORT_CREATE, RuleId.CHAN_CREATE, RuleId.BUF_CREATE),
        (int_param("p", "pid"), int_param("kind"), bool_param("args_ok")),
        _create,
    ),
    Transition(
        "derive", (RuleId.RIGHTS_DERIVE,), (*_pid_handle(), rights_param("r")), derive
    ),
    Transition("drop", (RuleId.CAP_DROP,), _pid_handle(), _drop),
    Transition("revoke", (RuleId.RIGHTS_REVOKE,), _pid_handle(), _revoke),
    Transition(
        "destroy_any",
        (RuleId.PROC_KILL, RuleId.POSIX_CLOSE, RuleId.NS_UNBIND),
        (int_param("c", "cap"),),
        _destroy_any,
    ),
    Transition(
        "revoke_any", (RuleId.POSIX_CLOSE,), (int_param("c", "cap"),), _revoke_any
    ),
    Transition(
        "send",
        (RuleId.PORT_SEND, RuleId.MSG_TRANSFER),
        (
            int_param("p", "pid"),
            int_param("hp", "handle"),
            *[int_param(f"h{i}", "handle") for i in range(SLOTS)],
            bool_param("port_ok"),
        ),
        send,
    ),
    Transition(
        "deliver",
        (RuleId.MSG_INFLIGHT_REVOKE, RuleId.PORT_RECEIVE, RuleId.PORT_HANDOFF),
        (int_param("q", "pid"), *[int_param(f"c{i}", "cap") for i in range(SLOTS)]),
        deliver,
    ),
    Transition(
        "take_back",
        (RuleId.PORT_HANDOFF, RuleId.PROC_KILL),
        (int_param("q", "pid"), *[int_param(f"h{i}", "handle") for i in range(SLOTS)]),
        take_back,
    ),
    Transition(
        "bind",
        (RuleId.NS_BIND,),
        (
            *_pid_handle(),
            int_param("n", "name"),
            rights_param("r"),
            bool_param("name_ok"),
        ),
        bind,
    ),
    Transition(
        "lookup",
        (RuleId.NS_LOOKUP, RuleId.NS_CONNECT),
        (int_param("p", "pid"), int_param("n", "name"), bool_param("type_ok")),
        _lookup,
    ),
    Transition(
        "unbind", (RuleId.NS_UNBIND,), (*_pid_handle(), int_param("n", "name")), _unbind
    ),
    Transition(
        "transfer",
        (RuleId.BUF_TRANSFER,),
        (
            int_param("p", "pid"),
            int_param("hb", "handle"),
            int_param("hp", "handle"),
            bool_param("port_ok"),
        ),
        transfer,
    ),
    Transition(
        "map", (RuleId.BUF_MAP,), (*_pid_handle(), bool_param("writable")), _map
    ),
    Transition(
        "unmap", (RuleId.BUF_UNMAP,), (int_param("p", "pid"), int_param("m")), _unmap
    ),
    Transition("socket", (RuleId.POSIX_SOCKET,), (bool_param("args_ok"),), _socket),
    Transition(
        "sock_bind",
        (RuleId.POSIX_BIND,),
        (int_param("c", "cap"), int_param("n", "name"), bool_param("name_ok")),
        _sock_bind,
    ),
    Transition(
        "sock_connect",
        (RuleId.POSIX_CONNECT,),
        (int_param("n", "name"), bool_param("args_ok")),
        _sock_connect,
    ),
)

#: CAP-RECLAIM's transition (``enc_caps_reclaim``) is one of them.
TRANSITIONS += (RECLAIM,)

#: Every transition, by name.
BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}
