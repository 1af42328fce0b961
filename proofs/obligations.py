"""Every proof obligation, named after the rules and invariants it covers.

Each ``Obligation`` lists the checks that prove it (inductive: ``Init => I``
and ``I and T => I'`` per transition and conjunct of its encoding, plus
two-state step properties) and a negative control: the same claim over a
deliberately broken rule, which the solver must refute. ``coverage()`` maps
every rule and invariant ID to the obligations that cover it, so the rule
index can show what is proved and what is not.

Obligations over one encoding share its inductive strengthening (every
conjunct is checked for every transition, and each obligation repeats those
checks: a theorem is only proved if the whole strengthening is). The eight
over the capability encoding are the named parts of one theorem,
``CAP-SAFETY`` (``THEOREMS``): each part is still reported, with its own
negative control. A rule counts as covered (``covers``) only by an obligation
whose statement mentions that rule's own effect; rules whose transitions the
proof merely includes (a kill or a socket close as a generic "destroy any
live capability", a deadline as a generic wake) are listed in ``exercises``
and not counted. ``by_construction`` marks the properties that hold by how
the spec is written (the checks confirm a definition, not an argument).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from veridian_ipc.spec import InvId, RuleId

from . import (
    enc_buffers,
    enc_caps,
    enc_caps_controls,
    enc_caps_properties,
    enc_caps_reclaim,
    enc_channels,
    enc_filters,
    enc_ports,
    enc_quota,
    errno_checks,
    helper_equivalences,
    precedence,
    precedence_cascades,
)
from ._smt import Model
from .induction import (
    Check,
    Obligation,
    StepProperty,
    System,
    Transition,
    inductive_checks,
)

R = RuleId
#: Negative controls search states whose arrays are empty outside ``0..3``
#: (where the encoding allows it): any model is a real counterexample, and the
#: invariant's quantifiers become finite conjunctions, which the solver
#: satisfies quickly.
CONTROL_SUPPORT = 3
V = InvId


def _all(system: System) -> list[str]:
    return [c.name for c in system.conjuncts]


def _proof(
    system: System, props: Sequence[StepProperty] = (), extra: Sequence[Check] = ()
) -> list[Check]:
    return [
        *inductive_checks(system, _all(system), step_properties=props),
        *extra,
    ]


def _control(
    system: System,
    broken: Transition,
    targets: Sequence[str],
    props: Sequence[StepProperty] = (),
) -> list[Check]:
    return inductive_checks(
        system,
        targets,
        replace={broken.name: broken},
        step_properties=props,
        transitions=[broken.name],
        finite=None if system.small is None else CONTROL_SUPPORT,
    )


def _slot_lemma() -> Check:
    def decode(model: Model) -> str:
        return "a wrapped ring step misses the slot push/pop compute"

    return Check(
        "RING-SLOT-LEMMA", enc_channels.slot_lemma(), decode, "ring: slot lemma"
    )


def _fails(name: str) -> Callable[[Model], str]:
    def decode(model: Model) -> str:
        return f"{name} fails"

    return decode


def _rate_lemmas() -> list[Check]:
    def decode(model: Model) -> str:
        return "a state with the window invariant admits more than the bound"

    checks = [Check("FILTER-RATE/bound", FS.bound_lemma(), decode, "filter: bound")]
    for name, claim in FS.mul_lemmas():
        checks.append(Check(name, claim, _fails(name), f"filter: {name}"))
    return checks


CS = enc_caps
CC = enc_caps_controls
CP = enc_caps_properties
CR = enc_caps_reclaim
PS = enc_ports
RS = enc_channels
FS = enc_filters
BS = enc_buffers
QS = enc_quota

#: Theorems made of several obligations (their named parts), with what unites
#: them.
THEOREMS: dict[str, str] = {
    "CAP-SAFETY": "capability safety: one inductive invariant of the capability "
    "encoding (enc_caps), proved once for every transition; its named parts are "
    "no rights amplification, no forgery, revocation completeness, single "
    "location, grant discipline, buffer ownership, the derivation tree and "
    "reclamation",
}
CAP = "CAP-SAFETY"

OBLIGATIONS: tuple[Obligation, ...] = (
    Obligation(
        id="INV-RIGHTS-MONOTONE",
        covers=(
            V.RIGHTS_MONOTONE,
            V.RIGHTS_KIND,
            R.RIGHTS_DERIVE,
            R.NS_LOOKUP,
            R.NS_CONNECT,
            R.POSIX_CONNECT,
            R.PORT_CREATE,
            R.CHAN_CREATE,
            R.BUF_CREATE,
        ),
        theorem=CAP,
        # these move a capability; the statement is about the rights of the
        # capabilities derived or created
        exercises=(R.MSG_TRANSFER, R.NS_BIND, R.BUF_TRANSFER, R.POSIX_BIND),
        summary="no rights amplification: every live capability's rights are a "
        "subset of its parent's, and of every ancestor's, back to its creation",
        checks=lambda: _proof(CS.SYSTEM),
        control="RIGHTS-DERIVE lets GRANT through beyond the parent's rights",
        control_checks=lambda: _control(
            CS.SYSTEM, CC.DERIVE_EXTRA_GRANT, ["INV-RIGHTS-MONOTONE"]
        ),
    ),
    Obligation(
        id="CAP-HANDLE",
        covers=(R.CAP_HANDLE, V.HANDLES_LIVE, V.IDS_FRESH),
        theorem=CAP,
        by_construction="a handle resolves only through the issuer's own "
        "table (spec.caps.resolve), and the counters only grow: forgery and "
        "reuse are ruled out by how lookup and allocation are written",
        exercises=(R.PROC_SPAWN,),
        summary="no forgery: only issued, live handles resolve; a handle that "
        "names nothing fails and changes nothing; handles and ids are never reused",
        checks=lambda: _proof(CS.SYSTEM, [CP.FORGERY_FAILS]),
        control="the handle table hands out handle 1 again instead of a fresh one",
        control_checks=lambda: _control(
            CS.SYSTEM,
            CC.DERIVE_REUSES_HANDLE,
            ["INV-HANDLES-LIVE", "CAP-HANDLE/never-reused"],
        ),
    ),
    Obligation(
        id="RIGHTS-REVOKE",
        covers=(R.RIGHTS_REVOKE, R.MSG_INFLIGHT_REVOKE),
        theorem=CAP,
        # a kill or a socket close is a generic "destroy any live capability"
        # in the encoding: their own effects are not in the statement
        exercises=(R.POSIX_CLOSE, R.PROC_KILL),
        summary="revocation completeness: after a revoke no descendant is live or "
        "held anywhere (tables, messages in flight, namespace, sockets), and a "
        "revoked capability can never be obtained again",
        checks=lambda: _proof(CS.SYSTEM, [CP.REVOKE_KILLS_DESCENDANTS]),
        control="RIGHTS-REVOKE forgets the copies in messages in flight",
        control_checks=lambda: _control(
            CS.SYSTEM,
            CC.REVOKE_KEEPS_INFLIGHT,
            ["INV-CAP-LOCATION", "RIGHTS-REVOKE/gone"],
            [CP.REVOKE_KILLS_DESCENDANTS],
        ),
    ),
    Obligation(
        id="INV-CAP-LOCATION",
        covers=(
            V.CAP_LOCATION,
            V.NAMESPACE_LIVE,
            V.SOCKETS_LIVE,
            R.PORT_RECEIVE,
            R.POSIX_SOCKET,
        ),
        theorem=CAP,
        exercises=(R.NS_UNBIND, R.PROC_KILL, R.POSIX_CLOSE),
        summary="a capability is held in at most one place, and every holder "
        "holds a live capability of the right kind: moving never duplicates",
        checks=lambda: _proof(CS.SYSTEM),
        control="delivery installs a carried capability but leaves it in flight",
        control_checks=lambda: _control(
            CS.SYSTEM, CC.DELIVER_KEEPS_FLIGHT, ["INV-CAP-LOCATION"]
        ),
    ),
    Obligation(
        id="MSG-TRANSFER",
        covers=(R.MSG_TRANSFER, R.NS_BIND, R.POSIX_BIND),
        theorem=CAP,
        summary="grant discipline: a capability travels in a message, or is "
        "published in the namespace, only from a holder with GRANT",
        checks=lambda: _proof(CS.SYSTEM, [CP.BINDING_GRANTED]),
        control="PORT-SEND moves carried capabilities without checking GRANT",
        control_checks=lambda: _control(
            CS.SYSTEM, CC.SEND_WITHOUT_GRANT, ["MSG-TRANSFER/in-flight-granted"]
        ),
    ),
    Obligation(
        id="BUF-TRANSFER",
        covers=(R.BUF_TRANSFER, V.MAPPINGS_LIVE, R.BUF_MAP, R.BUF_UNMAP),
        theorem=CAP,
        summary="ownership: only the owner's root capability moves, into the "
        "message; every other capability and mapping of the buffer stays",
        checks=lambda: _proof(CS.SYSTEM, [CP.TRANSFER_KEEPS_OTHERS]),
        control="BUF-TRANSFER destroys every other capability to the buffer",
        control_checks=lambda: _control(
            CS.SYSTEM, CC.TRANSFER_STRIPS_OTHERS, [], [CP.TRANSFER_KEEPS_OTHERS]
        ),
    ),
    Obligation(
        id="CAP-RECLAIM",
        covers=(R.CAP_RECLAIM,),
        theorem=CAP,
        summary="reclamation: an object is reclaimed only when every capability "
        "to it rides in a queued message, and those go with it; every "
        "capability held in a table, a socket or a binding survives, and no "
        "live capability ever names a reclaimed object",
        checks=lambda: _proof(CS.SYSTEM, [CR.ROOTS_KEPT]),
        control="CAP-RECLAIM reclaims an object a table still holds a capability to",
        control_checks=lambda: _control(
            CS.SYSTEM, CR.RECLAIM_TOO_EARLY, [], [CR.ROOTS_KEPT]
        ),
    ),
    Obligation(
        id="CAP-DROP",
        covers=(R.CAP_DROP, V.DERIVATION_TREE),
        theorem=CAP,
        summary="the derivation tree stays a tree: parents live, same object, "
        "acyclic; a dropped capability's children move up to its parent",
        checks=lambda: _proof(CS.SYSTEM),
        control="CAP-DROP leaves the children pointing at the dropped node",
        control_checks=lambda: _control(
            CS.SYSTEM, CC.DROP_NO_REPARENT, ["INV-DERIVATION-TREE"]
        ),
    ),
    Obligation(
        id="PORT-SEND/PORT-RECEIVE",
        covers=(
            R.PORT_SEND,
            R.PORT_RECEIVE,
            R.PORT_HANDOFF,
            R.PORT_CLOSE,
            R.POSIX_SEND,
            R.POSIX_RECV,
            R.POSIX_CLOSE,
            V.WAITERS,
        ),
        # a deadline, a revoke or a kill wakes a waiter: a generic wake_one
        exercises=(R.TIME_DEADLINE, R.RIGHTS_REVOKE, R.PROC_KILL),
        summary="message integrity: per port, messages leave in the order they "
        "were accepted, each at most once and unchanged; none is lost while the "
        "port lives, and a socket close accounts for what it discards",
        checks=lambda: _proof(PS.SYSTEM, [PS.CLOSED_STAYS]),
        control="PORT-HANDOFF also queues the message it hands to a waiter",
        control_checks=lambda: _control(
            PS.SYSTEM, PS.HANDOFF_ALSO_QUEUES, ["PORT-INTEGRITY"]
        ),
    ),
    Obligation(
        id="INV-QUEUE-BOUND",
        covers=(V.QUEUE_BOUND, R.PORT_SEND, R.PORT_CREATE),
        summary="a port's queue, with the hand-offs not yet collected "
        "(PORT-HANDOFF), never holds more than its capacity",
        checks=lambda: _proof(PS.SYSTEM),
        control="PORT-SEND queues into a full queue (off by one)",
        control_checks=lambda: _control(
            PS.SYSTEM, PS.SEND_OVERFILLS, ["INV-QUEUE-BOUND"]
        ),
    ),
    Obligation(
        id="PORT-HANDOFF/kept-slot",
        covers=(R.PORT_HANDOFF, R.PORT_RESUME, V.QUEUE_BOUND),
        # a kill gives an uncollected hand-off back: a generic ``give_back``
        exercises=(R.PROC_KILL,),
        summary="a message handed off and not yet collected keeps its slot: "
        "queued plus kept messages never exceed the capacity, Resume releases "
        "the slot and a killed receiver's hand-off goes back into it",
        checks=lambda: _proof(PS.SYSTEM),
        control="PORT-SEND ignores the slots kept by uncollected hand-offs",
        control_checks=lambda: _control(
            PS.SYSTEM, PS.SEND_IGNORES_KEPT, ["INV-QUEUE-BOUND"]
        ),
    ),
    Obligation(
        id="ERR-ENUM/quotas",
        covers=(R.ERR_ENUM,),
        exercises=(R.PORT_CREATE, R.RIGHTS_DERIVE, R.PORT_SEND, R.PORT_RECEIVE),
        summary="OutOfMemory keeps the quotas (spec/quotas.py): no handle table, "
        "no process's queued bytes and not the system's objects ever exceed them",
        checks=lambda: _proof(QS.SYSTEM),
        control="the handle quota off by one (a table may hold one handle more)",
        control_checks=lambda: _control(QS.SYSTEM, QS.INSTALL_OVER, ["QUOTAS-KEPT"]),
    ),
    Obligation(
        id="MSG-LIMITS",
        covers=(R.MSG_LIMITS, V.MESSAGE_LIMITS),
        summary="every queued message has at most 64 bytes and 4 capabilities",
        checks=lambda: _proof(PS.SYSTEM),
        control="MSG-LIMITS accepts 65 bytes of inline data",
        control_checks=lambda: _control(
            PS.SYSTEM, PS.SEND_65_BYTES, ["INV-MESSAGE-LIMITS"]
        ),
    ),
    Obligation(
        id="INV-RING-BOUNDS",
        covers=(V.RING_BOUNDS, R.CHAN_CREATE, R.CHAN_SEND_BATCH),
        summary="ring indices in range: 0 <= write - read <= capacity, and "
        "exactly the slots between them (mod capacity) are full",
        checks=lambda: _proof(RS.SYSTEM, extra=[_slot_lemma()]),
        control="CHAN-SEND-BATCH accepts a batch one slot too large",
        control_checks=lambda: _control(
            RS.SYSTEM, RS.SEND_OVERFILLS, ["INV-RING-BOUNDS"]
        ),
    ),
    Obligation(
        id="CHAN-SEND/CHAN-RECEIVE",
        covers=(
            R.CHAN_SEND,
            R.CHAN_SEND_BATCH,
            R.CHAN_RECEIVE,
            R.CHAN_RECEIVE_BATCH,
            R.CHAN_CLOSE,
        ),
        summary="channel integrity: receives return the sent sequence in order, "
        "each message once and unchanged; a closed channel keeps what it holds",
        checks=lambda: _proof(RS.SYSTEM, [RS.INDICES_GROW], extra=[_slot_lemma()]),
        control="CHAN-SEND writes one slot past write_idx",
        control_checks=lambda: _control(
            RS.SYSTEM, RS.SEND_SKIPS_SLOT, ["CHAN-INTEGRITY"]
        ),
    ),
    Obligation(
        id="INV-BUFFER-BOUNDS",
        covers=(V.BUFFER_BOUNDS, R.BUF_READ, R.BUF_WRITE, R.BUF_CREATE),
        by_construction="every read and write is guarded by buffers.in_bounds "
        "(HELPER-EQUIVALENCE ties the encoding's guard to that code)",
        summary="buffer access never leaves the buffer: stored bytes lie in "
        "[0, size), and reads and writes touch only their in-bounds range",
        checks=lambda: _proof(BS.SYSTEM, [BS.ACCESS_INSIDE]),
        control="BUF-WRITE's bounds check lets a write run one byte past the end",
        control_checks=lambda: _control(
            BS.SYSTEM, BS.WRITE_PAST_END, ["INV-BUFFER-BOUNDS"], [BS.ACCESS_INSIDE]
        ),
    ),
    Obligation(
        id="FILTER-CHECK",
        covers=(R.FILTER_CHECK, R.FILTER_SET),
        by_construction="check_filter is the admission condition itself: an "
        "admitted message passed it (HELPER-EQUIVALENCE ties the encoding's "
        "check to that code)",
        summary="filter soundness: a message a filtered port admits has an "
        "allowed type and a size within the filter's limit",
        checks=lambda: _proof(FS.SYSTEM, [FS.ADMITTED_PASSES]),
        control="FILTER-CHECK admits a message one byte over max_size",
        control_checks=lambda: _control(
            FS.SYSTEM, FS.OFFER_LOOSE_SIZE, [], [FS.ADMITTED_PASSES]
        ),
    ),
    Obligation(
        id="FILTER-RATE",
        covers=(R.FILTER_RATE, V.BUCKET_BOUND, R.TIME_ADVANCE),
        summary="the token bucket holds 0..burst tokens and, in any k whole "
        "periods, admits at most burst + k * refill messages",
        checks=lambda: _proof(FS.SYSTEM, extra=_rate_lemmas()),
        control="the bucket refills every tick instead of every period",
        control_checks=lambda: _control(
            FS.SYSTEM, FS.OFFER_FAST_REFILL, ["FILTER-RATE/window"]
        ),
    ),
    Obligation(
        id="ERR-ATOMIC",
        covers=(R.ERR_ATOMIC,),
        summary="a rejected send changes nothing: the filter's bucket is "
        "updated only when every check passed (no token taken by a failure)",
        checks=lambda: _proof(FS.SYSTEM, [FS.REJECTED_UNCHANGED]),
        control="the token is taken before the capacity check can still fail",
        control_checks=lambda: _control(
            FS.SYSTEM, FS.OFFER_EARLY_COMMIT, [], [FS.REJECTED_UNCHANGED]
        ),
    ),
    Obligation(
        id="POSIX-ERRNO",
        covers=(R.POSIX_ERRNO,),
        by_construction="the errno mapping is a literal table; the checks read "
        "it back against the documented errnos",
        summary="the errno mapping is total, unambiguous, and agrees with the "
        "errno each POSIX rule documents",
        checks=errno_checks.errno_checks,
        control="the errno table misses one error",
        control_checks=lambda: errno_checks.errno_checks(errno_checks.broken_table()),
    ),
    Obligation(
        id="ERR-PRECEDENCE",
        covers=(R.ERR_PRECEDENCE, *precedence_cascades.covered_rules()),
        summary="for every covered operation, the spec's check order is its "
        "documented order: any combination of failing conditions yields exactly "
        "the first listed error",
        checks=precedence.precedence_checks,
        control="two checks of PORT-SEND swapped (rights before the handle)",
        control_checks=precedence.broken_checks,
    ),
    Obligation(
        id="HELPER-EQUIVALENCE",
        covers=(),
        summary="the encodings' terms for the loop-free spec helpers (bucket "
        "refill, filter check, buffer bounds, token taking, ring push and pop, "
        "ring slot lookup) "
        "equal those helpers' own code, translated mechanically, for every input",
        checks=helper_equivalences.equivalence_checks,
        control="each helper drifted (max for min, a size limit, a bound, a "
        "token test, the ring indices off by one and a slot read the wrong "
        "way round)",
        control_checks=helper_equivalences.drifted_checks,
        # ties encodings to the spec's code; proves no property of a rule
        exercises=(
            R.FILTER_RATE,
            R.FILTER_CHECK,
            R.BUF_READ,
            R.BUF_WRITE,
            R.CHAN_SEND,
            R.CHAN_RECEIVE,
        ),
    ),
)


def obligation(ident: str) -> Obligation:
    """The obligation called ``ident``."""
    for ob in OBLIGATIONS:
        if ob.id == ident:
            return ob
    raise KeyError(ident)


def exercised() -> dict[str, list[str]]:
    """Every rule and invariant ID -> the obligations whose proof includes its
    transitions without stating its effect (not coverage)."""
    out: dict[str, list[str]] = {r.value: [] for r in RuleId}
    out.update({v.value: [] for v in InvId})
    for ob in OBLIGATIONS:
        for ident in ob.exercises:
            if ob.id not in out[ident.value]:
                out[ident.value].append(ob.id)
    return out


def coverage() -> dict[str, list[str]]:
    """Every rule and invariant ID -> the obligations covering it ([] if none)."""
    out: dict[str, list[str]] = {r.value: [] for r in RuleId}
    out.update({v.value: [] for v in InvId})
    for ob in OBLIGATIONS:
        for ident in ob.covers:
            if ob.id not in out[ident.value]:
                out[ident.value].append(ob.id)
    return out
