"""What a run does next: the weighted choice among operations and scenarios.

The conformance suite's state machine makes one Hypothesis rule of each entry
here (``WEIGHTS`` copies of an operation's rule, guarded by ``NEEDS``; one
rule per scenario whose ``SCENARIO_GROUPS`` the target claims). A run of the
spec alone (``runs``) makes the same choice itself with ``next_steps``: the
enabled rules in a fixed order, one drawn through the ``Gen``. Either way the
same tables decide how often each operation comes up, so the proofs'
agreement runs, the lock-step tests, the property tests and the conformance
suite do not drift apart.

``IN_PROCESS_ILL_TYPED`` are the values only an in-process caller can pass:
records with a field of the wrong Python type and things that are not
records at all (ERR-TOTAL). A wire target never receives them (JSON has no
float-in-a-bool-field or bare ``object()``); ``ops.ill_typed`` draws the ones
it can.
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec.state import KernelState, Kind, Running
from veridian_ipc.vocabulary.syscalls import (
    ChannelSendBatch,
    CreatePort,
    Inspect,
    Kill,
    MapBuffer,
    Operation,
    ReadBuffer,
    Receive,
    Send,
    SetFilter,
)

from .context import Gen, Steps
from .ops import GENERATORS, IllTypedRotation
from .registry import OP_GROUP
from .scenarios import SCENARIOS


def _holds(kind: Kind) -> Callable[[KernelState], bool]:
    def check(s: KernelState) -> bool:
        return any(
            s.caps[c].kind is kind
            for p in s.processes.values()
            if isinstance(p.status, Running)
            for c in p.handles.values()
        )

    return check


def _has(what: str) -> Callable[[KernelState], bool]:
    def check(s: KernelState) -> bool:
        return any(getattr(p, what) for p in s.processes.values())

    return check


_PORT, _CHAN, _BUF = _holds(Kind.PORT), _holds(Kind.CHANNEL), _holds(Kind.BUFFER)

#: Rules that only run when what they act on exists (as a Bundle would), so
#: most steps are meaningful; each rule still draws stale and invented
#: handles part of the time.
NEEDS: dict[str, Callable[[KernelState], bool]] = {
    "Send": _PORT,
    "Receive": _PORT,
    "Close": _PORT,
    "SetFilter": _PORT,
    "Bind": _PORT,
    "Unbind": _PORT,
    "ChannelSend": _CHAN,
    "ChannelSendBatch": _CHAN,
    "ChannelReceive": _CHAN,
    "ChannelReceiveBatch": _CHAN,
    "MapBuffer": _BUF,
    "TransferBuffer": _BUF,
    "Unmap": _has("mappings"),
    "ReadBuffer": _has("mappings"),
    "WriteBuffer": _has("mappings"),
    "SockBind": _has("fds"),
    "SockConnect": _has("fds"),
    "SockSend": _has("fds"),
    "SockRecv": _has("fds"),
    "SockClose": _has("fds"),
}


#: How many rules each operation gets (Hypothesis picks among enabled rules
#: uniformly): the operations that move messages and authority come up more
#: often than the ones that create or destroy things.
WEIGHTS: dict[str, int] = {
    "Send": 4,
    "Receive": 3,
    "Resume": 2,
    "Derive": 2,
    "CreatePort": 2,
    "ChannelSend": 2,
    "ChannelReceive": 2,
    "SockSend": 2,
    "SockRecv": 2,
    "SockConnect": 2,
    "AdvanceClock": 2,
    "SetFilter": 2,
    "TransferBuffer": 2,
    "MapBuffer": 2,
    "WriteBuffer": 2,
    "ReadBuffer": 2,
}


#: Groups a scenario needs.
SCENARIO_GROUPS: dict[str, frozenset[str]] = {
    "rendezvous": frozenset({"ports"}),
    "filtered_sends": frozenset({"ports", "filters"}),
    "carry_caps": frozenset({"ports", "messages", "rights"}),
    "socket_exchange": frozenset({"posix"}),
    "socket_churn": frozenset({"posix"}),
    "queue_traffic": frozenset({"ports"}),
    "channel_traffic": frozenset({"channels"}),
    "buffer_io": frozenset({"buffers"}),
    "attenuated": frozenset({"ports", "rights"}),
    "double_fault": frozenset({"ports", "rights", "messages"}),
    "drop_held": frozenset({"caps", "rights"}),
    "blocked_acts": frozenset({"ports"}),
    "hand_over": frozenset({"ports", "buffers"}),
    "threads": frozenset({"caps", "ports"}),
}


def _ill_typed_records() -> list[Operation]:
    bad: list[object] = [
        Inspect(True),
        Send(1, 0, 0, "text"),  # type: ignore[arg-type]
        Send("1", 0, 0, b""),  # type: ignore[arg-type]
        Receive(1, 1.5),  # type: ignore[arg-type]
        ChannelSendBatch(1, [b"x"]),  # type: ignore[arg-type]
        MapBuffer(1, 1),  # type: ignore[arg-type]
        SetFilter(1, frozenset({True})),
        SetFilter(1, None, None, (1, 1, 1)),  # type: ignore[arg-type]
        CreatePort(False),
        ReadBuffer(1, 0.5, 1),  # type: ignore[arg-type]
        Kill(1.0),  # type: ignore[arg-type]
    ]
    return bad  # type: ignore[return-value]


#: Values only an in-process caller can pass (see the module's docstring):
#: ill-typed records first, then a bare ``Operation``, ``None`` and an
#: ``object()`` (typed as operations: that is the point).
IN_PROCESS_ILL_TYPED: tuple[Operation, ...] = (
    *_ill_typed_records(),
    Operation(),
    None,  # type: ignore[arg-type]
    object(),  # type: ignore[arg-type]
)


#: A rule of a run: its name and what it adds (``Steps``).
Rule = tuple[str, Callable[[Gen], Steps]]


def _single(name: str) -> Callable[[Gen], Steps]:
    gen = GENERATORS[name]

    def one(g: Gen) -> Steps:
        return [gen(g)]

    return one


def _in_process_ill_typed(g: Gen) -> Steps:
    return [(g.pid(), g.pick(IN_PROCESS_ILL_TYPED))]


def rules(
    groups: frozenset[str], ill_typed_too: bool = False, in_process: bool = False
) -> list[Rule]:
    """Every rule of ``groups``, in a fixed order: the operations in registry
    order, each ``WEIGHTS`` times; the scenarios; if ``ill_typed_too`` and the
    groups include ``errors``, the ill-typed draws (each wrong-type form in
    turn, ``ops.IllTypedRotation``: one table serves one run; with
    ``IN_PROCESS_ILL_TYPED`` if ``in_process``). Runs that feed checks of
    typed operations only (the encodings' agreement) leave them out."""
    out: list[Rule] = []
    for name in GENERATORS:
        if OP_GROUP[name] in groups:
            out += [(name, _single(name))] * WEIGHTS.get(name, 1)
    for name, scen in SCENARIOS.items():
        if SCENARIO_GROUPS[name] <= groups:
            out.append((f"scenario {name}", scen))
    if ill_typed_too and "errors" in groups:
        rotation = IllTypedRotation()
        out.append(("ill_typed", lambda g: [rotation(g)]))
        if in_process:
            out.append(("ill_typed in-process", _in_process_ill_typed))
    return out


def enabled(all_rules: list[Rule], s: KernelState) -> list[Rule]:
    """The rules whose ``NEEDS`` hold in ``s`` (the others would draw mostly
    invented handles)."""
    return [
        (name, make)
        for name, make in all_rules
        if (need := NEEDS.get(name)) is None or need(s)
    ]


def next_steps(g: Gen, all_rules: list[Rule]) -> Steps:
    """One enabled rule, drawn through ``g``, and the steps it adds."""
    rule: Rule = g.pick(enabled(all_rules, g.s))
    return rule[1](g)


__all__ = [
    "IN_PROCESS_ILL_TYPED",
    "NEEDS",
    "SCENARIO_GROUPS",
    "WEIGHTS",
    "Rule",
    "enabled",
    "next_steps",
    "rules",
]
