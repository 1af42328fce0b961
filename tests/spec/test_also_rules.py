"""The registry's ``also`` lists name the rules an operation really runs.

Each operation's record (vocabulary/syscalls.py) declares its rule and the
rules it **also** always exercises; conformance coverage counts them. Here the
spec is traced (``sys.setprofile``) on the pools of reachable states and
operations of ``test_precedence_applied``: every rule whose registered function
runs on every successful step of an operation must be declared, and every
declared rule function must run on some step. The generic checks every
operation passes through (ERR-TOTAL, ERR-PRECEDENCE, PROC-STATUS, CAP-HANDLE,
CAP-RECLAIM) and tables that are not called (RIGHTS-REQUIRED, RIGHTS-BITS) are
left out.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType
from typing import Any

from veridian_ipc.spec import Err, step
from veridian_ipc.vocabulary._registry import DEFINITIONS
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.operations import OP_SPECS, OpSpec

from .test_precedence_applied import _pools

GENERIC = {
    RuleId.ERR_TOTAL,
    RuleId.ERR_PRECEDENCE,
    RuleId.PROC_STATUS,
    RuleId.CAP_HANDLE,
    RuleId.CAP_RECLAIM,  # ends every successful step (spec/step.py)
}
TABLES = {RuleId.RIGHTS_REQUIRED, RuleId.RIGHTS_BITS}


def _codes() -> dict[CodeType, RuleId]:
    out: dict[CodeType, RuleId] = {}
    for rid, fn in DEFINITIONS.items():
        code = getattr(fn, "__code__", None)
        if isinstance(code, CodeType):
            out[code] = rid
    return out


def traced(spec: OpSpec) -> tuple[set[RuleId], set[RuleId]]:
    """(rules run on every successful step, rules run on some step)."""
    codes = _codes()
    states, ops = _pools()
    always: set[RuleId] | None = None
    some: set[RuleId] = set()
    for sample in states:
        for op in ops.get(spec.cls, ()):
            seen: set[RuleId] = set()

            def profile(frame: FrameType, event: str, arg: Any) -> None:
                if event == "call" and frame.f_code in codes:
                    seen.add(codes[frame.f_code])  # noqa: B023

            sys.setprofile(profile)
            try:
                _, result = step(sample.state, sample.pid, op)
            finally:
                sys.setprofile(None)
            some |= seen
            if not isinstance(result, Err):
                always = set(seen) if always is None else always & seen
    return always or set(), some


def undeclared(tags: set[RuleId], always: set[RuleId]) -> set[RuleId]:
    """Rules run on every successful step but not declared."""
    return always - tags - GENERIC


def test_also_lists_name_every_rule_each_operation_runs() -> None:
    """MSG-TRANSFER runs on every successful Send, MSG-INFLIGHT-REVOKE on every
    delivering Receive, TIME-DEADLINE on every AdvanceClock, MSG-LIMITS and
    MSG-SENDER on every TransferBuffer and SockSend: each is declared, and each
    declared rule runs."""
    missing: dict[str, set[str]] = {}
    never: dict[str, set[str]] = {}
    for spec in OP_SPECS:
        always, some = traced(spec)
        assert some, f"the pools never issue {spec.name}"
        extra = undeclared(set(spec.tags), always)
        if extra:
            missing[spec.name] = {r.value for r in extra}
        unused = set(spec.tags) - some - TABLES - GENERIC
        if unused:
            never[spec.name] = {r.value for r in unused}
    assert not missing, missing
    assert not never, never


def test_also_check_can_fail() -> None:
    """A Send record without MSG-TRANSFER in its list would be reported."""
    send = next(s for s in OP_SPECS if s.name == "Send")
    always, _ = traced(send)
    assert undeclared(set(send.tags) - {RuleId.MSG_TRANSFER}, always) == {
        RuleId.MSG_TRANSFER
    }
