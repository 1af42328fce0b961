"""ERR-PRECEDENCE and RIGHTS-REQUIRED: the order applied is the order stated.

Each rule's docstring lists its errors in precedence order
(``RULES[rule].errors``). These tests derive the order the spec *applies* from
its behaviour and compare: over a pool of reachable states (random runs of the
spec) crossed with a pool of operations (every operation those runs issued),
each condition of a rule (``proofs.precedence_cascades``, and
``precedence_extra`` for the operations the proof leaves out: one predicate
per check, evaluated on its own) is evaluated, and the spec's error must be the
first documented error whose condition holds. Every pair of documented errors
(a before b) must be seen failing together at least once, so the pair's order
is actually exercised, unless the pair is in ``NEVER_TOGETHER`` with the
reason it cannot occur, or b's condition is only defined once a's check has
passed (b looks at the object a's handle names). Driven by ``RULES`` and the
cascades: a new rule with a cascade is covered without a new test.

The general order is checked on its own: RIGHTS-REQUIRED says a missing right
is reported "before any argument or object state is looked at", so a handle
that resolves but lacks the right of the table gets ``InsufficientRights``
whatever else is wrong, and the prose table names the rights the code checks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

from veridian_ipc.generation import ALL_GROUPS, GENERATORS, SMALL, Gen, random_run
from veridian_ipc.proofs.faithful import issued
from veridian_ipc.proofs.precedence_cascades import CASCADES
from veridian_ipc.proofs.precedence_conds import Cascade, Cond, cap_at
from veridian_ipc.proofs.precedence_extra import ALL_CASCADES, documented_errors
from veridian_ipc.spec import (
    RULES,
    Err,
    IpcError,
    KernelState,
    RuleId,
    initial_state,
    step,
)
from veridian_ipc.spec.state import Kind, Woken
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.rights import (
    GRANT,
    MANAGE,
    READ,
    RECEIVE,
    SEND,
    WRITE,
    Rights,
    required_rights,
)

#: Documented pairs (rule, a, b) that no input can make fail together, with
#: the reason. Errors are named ``Error#k`` for the k-th bullet naming it.
_NO_CAP = (
    "a handle that names no capability has no rights to lack: the rights"
    " check reads the capability the handle check finds missing"
)
NEVER_TOGETHER: dict[tuple[str, str, str], str] = {
    **{
        (rule, f"InvalidCapability#{k}", f"InsufficientRights#{k}"): _NO_CAP
        for rule, k in (
            ("PORT-SEND", 1),
            ("PORT-RECEIVE", 1),
            ("FILTER-SET", 1),
            ("NS-UNBIND", 1),
            ("CHAN-SEND", 1),
            ("CHAN-RECEIVE", 1),
            ("CHAN-SEND-BATCH", 1),
            ("CHAN-RECEIVE-BATCH", 1),
            ("BUF-TRANSFER", 1),
        )
    },
    ("NS-BIND", "InvalidCapability#1", "InsufficientRights#2"): _NO_CAP,
    ("BUF-TRANSFER", "InvalidCapability#1", "InsufficientRights#2"): (
        "a handle that names no capability has no parent to have"
    ),
    ("BUF-TRANSFER", "InvalidCapability#2", "InsufficientRights#3"): _NO_CAP,
    ("PORT-CREATE", "InvalidArgument#1", "OutOfMemory#1"): (
        "no capacity is both below 1 and above the limit"
    ),
    ("BUF-CREATE", "InvalidArgument#1", "OutOfMemory#1"): (
        "no size is both below 1 and above the limit"
    ),
    ("POSIX-SOCKET", "InvalidArgument#1", "OutOfMemory#1"): (
        "no capacity is both below 1 and above the limit"
    ),
    **{
        (rule, empty, "OutOfMemory#1"): (
            "a delivery that does not fit needs a queued message; this error"
            " needs an empty queue"
        )
        for rule, empty in (
            ("PORT-RECEIVE", "PortClosed#1"),
            ("PORT-RECEIVE", "WouldBlock#1"),
            ("POSIX-RECV", "WouldBlock#1"),
        )
    },
    ("PORT-RESUME", "InvalidArgument#1", "WouldBlock#1"): (
        "a process is running or waiting, never both"
    ),
    ("CHAN-SEND-BATCH", "InvalidArgument#1", "MessageTooLarge#1"): (
        "an empty batch has no message to be too long"
    ),
    ("PORT-SEND", "InvalidArgument#1", "PortFull#1"): (
        "PortFull needs timeout 0, InvalidArgument a negative one"
    ),
    ("CHAN-SEND", "InvalidArgument#1", "WouldBlock#1"): (
        "WouldBlock needs timeout 0, InvalidArgument a negative one"
    ),
}

SEEDS = range(60)
STEPS = 40
STATES = 90
OPS_PER_CLASS = 45
#: Operations each generator draws on each sampled state, for the pools.
DRAWS_PER_STATE = 3


@dataclass(frozen=True, slots=True)
class Sample:
    """A reachable state and an issuer."""

    state: KernelState
    pid: int


#: Operations that push a state's objects to their limits all at once, so
#: that the object-state conditions (closed, filtered, rate-limited, full,
#: connected, bound, read-only) hold together: each process's port 1 gets a
#: filter admitting type 1 only, no data and two tokens, is filled and closed;
#: its channel 2 is filled and closed; a socket is opened, bound and
#: connected; the read-only copy of the buffer (handle 5) is mapped. Errors
#: are ignored.
SHAPING: tuple[sc.Operation, ...] = (
    sc.Socket(None),
    sc.SockBind(0, "s"),
    sc.SockConnect(0, "a"),
    sc.SockConnect(1, "a"),
    sc.SetFilter(4, frozenset({1}), 0, sc.RateLimit(2, 1, 1000)),
    sc.SetFilter(1, frozenset({1}), 0, sc.RateLimit(2, 1, 1000)),
    sc.Send(1, 1, 0, b"", ()),
    sc.Send(1, 1, 0, b"", ()),
    sc.Close(1),
    sc.ChannelSend(2, b""),
    sc.ChannelSend(2, b""),
    sc.Close(2),
    sc.MapBuffer(5, False),
)


def shaped(s: KernelState) -> KernelState:
    """``s`` after every process issued ``SHAPING`` (failures ignored)."""
    for pid in sorted(s.processes):
        for op in SHAPING:
            s, _ = step(s, pid, op)
    return s


def weakened(s: KernelState) -> KernelState:
    """``shaped(s)`` with every capability's rights cleared (as if each had
    been derived with no rights), so rights errors meet every other error."""
    s = shaped(s)
    caps = s.caps
    for cid, cap in s.caps.items():
        caps = caps.set(cid, replace(cap, rights=0))
    return replace(s, caps=caps)


def barred(s: KernelState) -> KernelState:
    """``weakened(s)`` with every process's namespace authority withheld
    (NS-BIND's ``may_bind``, NS-LOOKUP's ``may_lookup``), so the authority
    check meets every other error."""
    s = weakened(s)
    procs = s.processes
    for pid, p in s.processes.items():
        procs = procs.set(pid, replace(p, may_bind=False, may_lookup=False))
    return replace(s, processes=procs)


def _capability_to_a_socket() -> KernelState:
    """Process 1 holds a port and a bound socket, to which process 2 sent two
    bytes and a capability natively (POSIX-RECV's quota next to its size)."""
    s = initial_state(2, SMALL)
    for pid, op in (
        (1, sc.CreatePort(1)),
        (1, sc.Socket(None)),
        (1, sc.SockBind(0, "s")),
        (2, sc.Lookup("s")),
        (2, sc.CreatePort(1)),
        (2, sc.Send(1, 0, 0, b"xy", (2,))),
    ):
        s, r = step(s, pid, op)
        assert not isinstance(r, Err), (op, r)
    return s


def _full_port_and_ring() -> KernelState:
    """Process 1 holds port 1 and channel 2, both open and full, so that a
    send with a timeout blocks (PORT-SEND-BLOCK, CHAN-SEND-BLOCK)."""
    s = initial_state(2, SMALL)
    for op in (
        sc.CreatePort(1),
        sc.CreateChannel(1, 4),
        sc.Send(1, 0, 0, b"", ()),
        sc.ChannelSend(2, b""),
    ):
        s, r = step(s, 1, op)
        assert not isinstance(r, Err), (op, r)
    return s


def exhausted(s: KernelState, pid: int) -> KernelState:
    """``s`` with every quota (spec/quotas.py) at what ``pid`` and the system
    use now, so that the next handle, object or queued byte is refused."""
    p = s.processes.get(Pid(pid))
    used = 0 if p is None else len(p.handles)
    config = replace(
        s.config,
        max_handles=max(1, used),
        max_objects=max(1, len(s.objects)),
        max_queued_bytes=1,
    )
    return replace(s, config=config)


@cache
def _pools() -> tuple[tuple[Sample, ...], dict[type, tuple[object, ...]]]:
    """States (evenly sampled from random runs) and distinct operations of
    each class: those of the runs and more drawn by each operation's
    generator on the sampled states; first one of each set of conditions it
    fails where it was drawn (so that operations with several bad fields at
    once are kept), then the others in the order drawn."""
    states: list[Sample] = []
    ops: dict[type, list[object]] = {}
    firsts: dict[type, list[object]] = {}
    signatures: set[tuple[type, frozenset[str]]] = set()
    conds = {c.op: c.conds for c in ALL_CASCADES}

    def consider(op: object, s: KernelState, pid: int) -> None:
        seen = ops.setdefault(type(op), [])
        if op in seen:
            return
        seen.append(op)
        failing = frozenset(
            x.label for x in conds.get(type(op), ()) if _holds(x, s, pid, op)
        )
        if (type(op), failing) not in signatures:
            signatures.add((type(op), failing))
            firsts.setdefault(type(op), []).append(op)

    for seed in SEEDS:
        for i, st in enumerate(random_run(seed, STEPS)):
            if i % 13 == 5:
                states.append(Sample(st.before, st.pid))
            consider(st.op, st.before, st.pid)
    states.append(Sample(_capability_to_a_socket(), 1))
    for extra in (
        sc.SockRecv(0, 1),
        sc.Socket(SMALL.max_port_capacity + 1),
        sc.Send(1, 0, 0, b"", (), 2),
        sc.Send(1, 0, 0x10000, b"", (), -1),
        sc.Send(1, 0, 0, bytes(65), (), -1),
        sc.Send(1, 0, 0, b"", (2,), -1),
        sc.Send(1, 0, 0, b"", (3,), -1),
        sc.Send(1, 0, 0, b"", (99,), -1),
        sc.ChannelSend(2, b"", None),
        sc.ChannelSend(2, b"", -1),
        sc.ChannelSend(2, bytes(SMALL.max_channel_message + 1), -1),
    ):
        ops.setdefault(type(extra), []).insert(0, extra)
        firsts.setdefault(type(extra), []).insert(0, extra)
    stride = max(1, len(states) // STATES)
    picked = [*states[::stride], Sample(_full_port_and_ring(), 1)]
    variants = [
        Sample(f(x.state), x.pid) for x in picked for f in (shaped, weakened, barred)
    ]
    variants += [Sample(exhausted(x.state, x.pid), x.pid) for x in picked + variants]
    rng = random.Random(0)
    for x in picked + variants:
        for gen in GENERATORS.values():
            for _ in range(DRAWS_PER_STATE):
                pid, op = gen(Gen.seeded(rng, x.state, ALL_GROUPS))
                consider(op, x.state, pid)
    return tuple(picked + variants), {
        k: tuple(dict.fromkeys([*firsts.get(k, []), *v]))[:OPS_PER_CLASS]
        for k, v in ops.items()
    }


def labels(c: Cascade) -> dict[str, str]:
    """Each condition's documented name ``Error#k``: the k-th bullet naming
    ``Error`` is the k-th check returning it (as the proof matches them)."""
    out: dict[str, str] = {}
    count: dict[str, int] = {}
    for cond in c.conds:
        count[cond.error] = count.get(cond.error, 0) + 1
        out[cond.label] = f"{cond.error}#{count[cond.error]}"
    return out


def documented(c: Cascade) -> list[str]:
    """The rule's documented errors as ``Error#k``, in documented order."""
    count: dict[str, int] = {}
    out = []
    for name in documented_errors(c):
        count[name] = count.get(name, 0) + 1
        out.append(f"{name}#{count[name]}")
    return out


def _holds(cond: Cond, s: KernelState, pid: int, op: object) -> bool | None:
    """The condition's value; None when it is undefined here (it reads the
    object of a handle that names none)."""
    try:
        return bool(cond.holds(s, Pid(pid), op))
    except (AssertionError, AttributeError, KeyError, IndexError):
        return None


@dataclass
class Observed:
    """What the behavioural run of one cascade saw."""

    together: set[tuple[str, str]]
    dependent: set[tuple[str, str]]
    mismatches: list[str]


def observe(c: Cascade, order: list[str]) -> Observed:
    """Run the spec on every (state, op) of the pools for ``c``'s operation."""
    states, ops = _pools()
    name_of = labels(c)
    rank = {n: i for i, n in enumerate(order)}
    seen = Observed(set(), set(), [])
    for sample in states:
        for op in ops.get(c.op, ()):
            s, pid = sample.state, sample.pid
            if not issued(s, pid, op):
                continue
            vals = {name_of[x.label]: _holds(x, s, pid, op) for x in c.conds}
            failing = sorted((n for n, v in vals.items() if v), key=rank.__getitem__)
            _, result = step(s, pid, op)
            got = result.error.name if isinstance(result, Err) else None
            p = s.processes.get(Pid(pid))
            if (
                p is not None
                and isinstance(p.status, Woken)
                and result == p.status.result
            ):
                got = None  # the collected receive's own error (PORT-RESUME)
            want = failing[0].split("#")[0] if failing else None
            if got != want:
                seen.mismatches.append(f"{op}: spec {got}, documented order {want}")
            for a in failing:
                for b, v in vals.items():
                    if v:
                        seen.together.add((a, b))
                    elif v is None:
                        seen.dependent.add((a, b))
    return seen


def pairs(order: list[str]) -> Iterator[tuple[str, str]]:
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            yield a, b


def test_applied_order_is_the_documented_order() -> None:
    """For every covered rule, the spec returns the first documented error
    whose condition holds, and every documented pair is exercised (or listed
    as impossible, with its reason)."""
    problems: list[str] = []
    for c in ALL_CASCADES:
        order = documented(c)
        assert sorted(order) == sorted(labels(c).values()), c.rule
        seen = observe(c, order)
        problems += [f"{c.rule.value}: {m}" for m in seen.mismatches[:3]]
        for a, b in pairs(order):
            key = (c.rule.value, a, b)
            if (a, b) in seen.together:
                assert key not in NEVER_TOGETHER, f"{key} does occur"
            elif key not in NEVER_TOGETHER and (a, b) not in seen.dependent:
                problems.append(f"{c.rule.value}: {a} and {b} never fail together")
    assert not problems, "\n".join(problems)


def test_applied_order_check_catches_a_swapped_documented_order() -> None:
    """The check can fail: with PORT-SEND's documented order read with its
    third and fourth errors (MessageTooLarge, InvalidMessage)
    swapped, the spec disagrees somewhere."""
    send = next(c for c in CASCADES if c.rule is RuleId.PORT_SEND)
    order = documented(send)
    swapped = [*order[:2], order[3], order[2], *order[4:]]
    assert observe(send, swapped).mismatches


# -- RIGHTS-REQUIRED: the right of the table is checked first -------------------

#: The capability field of each operation of the table and the kind it names.
CAP_FIELDS: dict[str, tuple[str, Kind]] = {
    "Send": ("handle", Kind.PORT),
    "ChannelSend": ("handle", Kind.CHANNEL),
    "ChannelSendBatch": ("handle", Kind.CHANNEL),
    "Receive": ("handle", Kind.PORT),
    "ChannelReceive": ("handle", Kind.CHANNEL),
    "ChannelReceiveBatch": ("handle", Kind.CHANNEL),
    "Close": ("handle", Kind.PORT),
    "SetFilter": ("handle", Kind.PORT),
    "Unbind": ("handle", Kind.PORT),
    "Bind": ("handle", Kind.PORT),
    "TransferBuffer": ("handle", Kind.BUFFER),
}


def rights_first_violations(
    table: dict[str, int], cap_fields: dict[str, tuple[str, Kind]]
) -> list[str]:
    """Inputs whose handle resolves but lacks the table's right and whose
    result is not ``InsufficientRights``."""
    states, ops = _pools()
    by_name = {cls.__name__: cls for cls in ops}
    out: list[str] = []
    for name, needed in table.items():
        field, kind = cap_fields[name]
        cls = by_name.get(name)
        assert cls is not None, f"no {name} in the pools"
        for sample in states:
            for op in ops[cls]:
                s, pid = sample.state, sample.pid
                if not issued(s, pid, op):
                    continue
                cap = cap_at(s, Pid(pid), getattr(op, field), kind)
                if cap is None or cap.rights & needed == needed:
                    continue
                _, result = step(s, pid, op)
                if not (
                    isinstance(result, Err)
                    and result.error.name == "InsufficientRights"
                ):
                    out.append(f"{op} (rights {cap.rights:#x}): {result}")
    return out


def test_missing_right_wins_over_arguments_and_state() -> None:
    """RIGHTS-REQUIRED: a resolved handle without the table's right is
    ``InsufficientRights``, whatever the arguments or the object's state
    (e.g. ``Unbind`` with a SEND-only handle and an unbound name)."""
    table = required_rights()
    assert set(table) == set(CAP_FIELDS)
    bad = rights_first_violations(table, CAP_FIELDS)
    assert not bad, "\n".join(bad[:10])


def test_missing_right_check_can_fail() -> None:
    """The check can fail: a table demanding MANAGE for ``Send`` (which the
    spec does not check) is contradicted by sends through SEND-only handles."""
    fake = {"Send": SEND | MANAGE}
    assert rights_first_violations(fake, {"Send": ("handle", Kind.PORT)})


def test_documented_rights_come_first() -> None:
    """ERR-PRECEDENCE / RIGHTS-REQUIRED in the prose: in each documented
    order of an operation of the table, only capability and rights errors
    precede its first ``InsufficientRights``."""
    ops = {spec_cls.__name__: spec_cls for spec_cls in sc.OPERATIONS}
    from veridian_ipc.vocabulary.operations import OP_SPECS

    rule_of = {spec.name: spec.rule for spec in OP_SPECS}
    bad = []
    for name in required_rights():
        assert name in ops
        rid = rule_of[name]
        errors = RULES[rid].errors if rid is not None else ()
        if not errors:  # Close: its dispatcher documents it
            continue
        first = errors.index("InsufficientRights")
        early = set(errors[:first]) - {"InvalidCapability"}
        if early:
            bad.append(f"{name}: {sorted(early)} before InsufficientRights")
    assert not bad, bad


_RIGHT_BULLET = re.compile(r"^- ([A-Z]+(?: and [A-Z]+)*): (.*)$")
_OP_IN_BULLET = re.compile(r"``([A-Za-z]+)``(?: \(its ``([a-z_]+)``)?")


def prose_table() -> dict[tuple[str, str], int]:
    """RIGHTS-REQUIRED's prose table: (operation, field) -> rights, read from
    its bullets ``- RIGHT[ and RIGHT]: ``Op`` (its ``field``...), ...``."""
    doc = RULES[RuleId.RIGHTS_REQUIRED].doc
    out: dict[tuple[str, str], int] = {}
    lines = [ln.strip() for ln in doc.splitlines()]
    joined: list[str] = []
    for ln in lines:
        if ln.startswith("- "):
            joined.append(ln)
        elif joined and ln and not joined[-1].endswith("."):
            joined[-1] += " " + ln
    for ln in joined:
        m = _RIGHT_BULLET.match(ln)
        if m is None:
            continue
        mask = 0
        for r in m.group(1).split(" and "):
            mask |= int(Rights[r])
        for op, field in _OP_IN_BULLET.findall(m.group(2)):
            key = (op, field or "handle")
            out[key] = out.get(key, 0) | mask
    return out


def needed_rights(name: str, field: str) -> int:
    """The rights the spec actually checks on ``field`` of operation ``name``:
    each right whose removal (from a capability that otherwise succeeds)
    turns success into ``InsufficientRights``."""
    s, pid, op = _success_case(name)
    kind = {"port": Kind.PORT, "handle": CAP_FIELDS[name][1]}[field]
    cap = cap_at(s, Pid(pid), getattr(op, field), kind)
    assert cap is not None
    out = 0
    for bit in (SEND, RECEIVE, MANAGE, GRANT, READ, WRITE):
        if not cap.rights & bit:
            continue
        s2, r = step(s, pid, sc.Derive(getattr(op, field), cap.rights & ~bit))
        assert not isinstance(r, Err)
        if (name, field) == ("TransferBuffer", "handle"):
            # only the owner transfers: dropping the root makes the weaker
            # child the root (CAP-DROP), so only its rights are in question
            s2, _ = step(s2, pid, sc.Drop(op.handle))
        weaker = replace(op, **{field: r.value})
        _, res = step(s2, pid, weaker)
        if isinstance(res, Err) and res.error.name == "InsufficientRights":
            out |= bit
    return out


def _success_case(name: str) -> tuple[KernelState, int, Any]:
    """A state and an operation ``name`` that succeeds, from full rights."""
    from veridian_ipc.spec import initial_state

    s = initial_state(1)
    setup: tuple[sc.Operation, ...] = (
        sc.CreatePort(4),  # 1
        sc.CreateChannel(4, 8),  # 2
        sc.CreateBuffer(8),  # 3
        sc.Send(1, 0, 0, b"x", ()),
        sc.ChannelSend(2, b"x"),
        sc.Bind(1, "bound", 0),
    )
    for prep in setup:
        s, r = step(s, 1, prep)
        assert not isinstance(r, Err), prep
    cases: dict[str, sc.Operation] = {
        "Send": sc.Send(1, 0, 0, b"", ()),
        "ChannelSend": sc.ChannelSend(2, b""),
        "ChannelSendBatch": sc.ChannelSendBatch(2, (b"",)),
        "Receive": sc.Receive(1, 0),
        "ChannelReceive": sc.ChannelReceive(2),
        "ChannelReceiveBatch": sc.ChannelReceiveBatch(2, 1),
        "Close": sc.Close(1),
        "SetFilter": sc.SetFilter(1, None, None, None),
        "Unbind": sc.Unbind(1, "bound"),
        "Bind": sc.Bind(1, "other", 0, 0),  # publishing nothing: GRANT alone
        "TransferBuffer": sc.TransferBuffer(3, 1, 0),
    }
    op = cases[name]
    assert not isinstance(step(s, 1, op)[1], Err), op
    return s, 1, op


def test_prose_table_is_the_rights_checked() -> None:
    """RIGHTS-REQUIRED: the rights the prose table names for each capability
    of each operation are exactly those whose absence the spec refuses."""
    prose = prose_table()
    applied: dict[tuple[str, str], int] = {}
    for name in CAP_FIELDS:
        op_fields = {f.name for f in fields(_success_case(name)[2])}
        for field in ("handle", "port"):
            if field in op_fields:
                applied[(name, field)] = needed_rights(name, field)
    assert {k: v for k, v in prose.items() if k[0] in CAP_FIELDS} == applied
    # the function's table is the prose's, for the capability each acts through
    assert {n: applied[(n, "handle")] for n in CAP_FIELDS} == required_rights()


# -- the model follows ----------------------------------------------------------


def test_model_applies_the_same_order() -> None:
    """The model (``model.Kernel``) gives the spec's error on the same inputs:
    each random run is replayed on both, then shaped (SHAPING), then every
    pooled operation of the covered rules is issued by each process, in turn,
    on both (results compared one by one)."""
    from veridian_ipc.generation import SMALL
    from veridian_ipc.model.kernel import Kernel
    from veridian_ipc.spec import initial_state

    _, ops = _pools()
    covered = [op for c in ALL_CASCADES for op in ops.get(c.op, ())[:12]]
    for seed in range(6):
        run = random_run(seed, STEPS)
        s, k = initial_state(2, SMALL), Kernel(2, SMALL)
        tail: list[tuple[int, object]] = [
            (pid, op) for pid in (1, 2) for op in (*SHAPING, *covered)
        ]
        for pid, op in [(x.pid, x.op) for x in run] + tail:
            s, want = step(s, pid, op)
            got = k.apply(pid, op)  # type: ignore[arg-type]
            assert got == want, f"seed {seed}: {op} by {pid}: model {got}, spec {want}"


def test_unbind_without_manage_is_refused_before_the_name_is_looked_at() -> None:
    """NS-UNBIND / RIGHTS-REQUIRED, the issue's case: ``Unbind`` through a
    SEND-only handle of an unbound name is ``InsufficientRights`` (it was
    ``PortNotFound``), in the spec and in the model."""
    from veridian_ipc.model.kernel import Kernel
    from veridian_ipc.spec import initial_state

    s, k = initial_state(1), Kernel(1)
    for op in (sc.CreatePort(1), sc.Derive(1, SEND), sc.Unbind(2, "nope")):
        s, want = step(s, 1, op)
        assert k.apply(1, op) == want
    assert want == Err(IpcError.InsufficientRights)
