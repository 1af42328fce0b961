"""The conformance suite's operation tables: derived from the operation
registry and equal to the hand-written tables they replace (frozen below), and
the tables that stay hand-written (generators, weights, mutants, precedence
cascades) checked against the registry, so a new operation that one of them
misses fails here, by name."""

from __future__ import annotations

from typing import TypeVar

import pytest

from veridian_ipc.conformance import surface
from veridian_ipc.conformance.coverage import tags as coverage_tags
from veridian_ipc.conformance.generate import GENERATORS
from veridian_ipc.conformance.machine import NEEDS, WEIGHTS
from veridian_ipc.conformance.mutants import MUTANTS
from veridian_ipc.proofs.precedence_cascades import CASCADES
from veridian_ipc.spec import RULES, Err, RuleId, initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import (
    OP_SPECS,
    OPS_BY_NAME,
    IdKind,
    RegistryError,
    check_table,
    process_ops,
)

R = RuleId
T = TypeVar("T")

# -- frozen copies of conformance/surface.py's hand-written tables --------------------

OLD_OP_GROUP: dict[str, str] = {
    "Spawn": "caps",
    "Kill": "caps",
    "Inspect": "caps",
    "Drop": "caps",
    "Derive": "rights",
    "Revoke": "rights",
    "CreatePort": "ports",
    "Send": "ports",
    "Receive": "ports",
    "Resume": "ports",
    "Close": "ports",
    "SetFilter": "filters",
    "Bind": "namespace",
    "Unbind": "namespace",
    "Lookup": "namespace",
    "Connect": "namespace",
    "AdvanceClock": "timeouts",
    "CreateChannel": "channels",
    "ChannelSend": "channels",
    "ChannelSendBatch": "channels",
    "ChannelReceive": "channels",
    "ChannelReceiveBatch": "channels",
    "CreateBuffer": "buffers",
    "MapBuffer": "buffers",
    "Unmap": "buffers",
    "ReadBuffer": "buffers",
    "WriteBuffer": "buffers",
    "TransferBuffer": "buffers",
    "Socket": "posix",
    "SockBind": "posix",
    "SockConnect": "posix",
    "SockSend": "posix",
    "SockRecv": "posix",
    "SockClose": "posix",
}
OLD_ID_FIELDS: dict[str, dict[str, IdKind]] = {
    "Kill": {"target": IdKind.PID},
    "Inspect": {"handle": IdKind.HANDLE},
    "Drop": {"handle": IdKind.HANDLE},
    "Derive": {"handle": IdKind.HANDLE},
    "Revoke": {"handle": IdKind.HANDLE},
    "Send": {"handle": IdKind.HANDLE, "caps": IdKind.HANDLE},
    "Receive": {"handle": IdKind.HANDLE},
    "Close": {"handle": IdKind.HANDLE},
    "SetFilter": {"handle": IdKind.HANDLE},
    "Bind": {"handle": IdKind.HANDLE},
    "Unbind": {"handle": IdKind.HANDLE},
    "ChannelSend": {"handle": IdKind.HANDLE},
    "ChannelSendBatch": {"handle": IdKind.HANDLE},
    "ChannelReceive": {"handle": IdKind.HANDLE},
    "ChannelReceiveBatch": {"handle": IdKind.HANDLE},
    "MapBuffer": {"handle": IdKind.HANDLE},
    "Unmap": {"mapping": IdKind.MAPPING},
    "ReadBuffer": {"mapping": IdKind.MAPPING},
    "WriteBuffer": {"mapping": IdKind.MAPPING},
    "TransferBuffer": {"handle": IdKind.HANDLE, "port": IdKind.HANDLE},
}
OLD_RESULT_ID: dict[str, IdKind] = {
    "Spawn": IdKind.PID,
    "CreatePort": IdKind.HANDLE,
    "Derive": IdKind.HANDLE,
    "Lookup": IdKind.HANDLE,
    "Connect": IdKind.HANDLE,
    "CreateChannel": IdKind.HANDLE,
    "CreateBuffer": IdKind.HANDLE,
    "MapBuffer": IdKind.MAPPING,
}
OLD_STATIC_TAGS: dict[str, tuple[RuleId, ...]] = {
    "Spawn": (R.PROC_SPAWN,),
    "Kill": (R.PROC_KILL,),
    "AdvanceClock": (R.TIME_ADVANCE, R.TIME_DEADLINE),
    "Inspect": (R.CAP_INSPECT, R.CAP_HANDLE),
    "Drop": (R.CAP_DROP, R.CAP_HANDLE, R.CAP_RECLAIM),
    "Derive": (R.RIGHTS_DERIVE, R.CAP_HANDLE, R.RIGHTS_BITS),
    "Revoke": (R.RIGHTS_REVOKE, R.CAP_HANDLE),
    "CreatePort": (R.PORT_CREATE,),
    "Send": (
        R.PORT_SEND,
        R.MSG_LIMITS,
        R.MSG_TRANSFER,
        R.MSG_SENDER,
        R.RIGHTS_REQUIRED,
        R.PORT_SEND_BLOCK,  # a send may wait for room (issue 12 item 11)
    ),
    "Receive": (R.PORT_RECEIVE, R.MSG_INFLIGHT_REVOKE, R.RIGHTS_REQUIRED),
    "Resume": (R.PORT_RESUME,),
    "Close": (R.RIGHTS_REQUIRED,),
    "SetFilter": (R.FILTER_SET, R.RIGHTS_REQUIRED),
    "Bind": (R.NS_BIND, R.RIGHTS_REQUIRED),
    "Unbind": (R.NS_UNBIND,),
    "Lookup": (R.NS_LOOKUP,),
    "Connect": (R.NS_CONNECT,),
    "CreateChannel": (R.CHAN_CREATE,),
    "ChannelSend": (R.CHAN_SEND, R.RIGHTS_REQUIRED, R.CHAN_SEND_BLOCK),
    "ChannelSendBatch": (R.CHAN_SEND_BATCH, R.RIGHTS_REQUIRED),
    "ChannelReceive": (R.CHAN_RECEIVE, R.RIGHTS_REQUIRED),
    "ChannelReceiveBatch": (R.CHAN_RECEIVE_BATCH, R.RIGHTS_REQUIRED),
    "CreateBuffer": (R.BUF_CREATE,),
    "MapBuffer": (R.BUF_MAP,),
    "Unmap": (R.BUF_UNMAP,),
    "ReadBuffer": (R.BUF_READ,),
    "WriteBuffer": (R.BUF_WRITE,),
    "TransferBuffer": (
        R.BUF_TRANSFER,
        R.MSG_LIMITS,
        R.MSG_SENDER,
        R.RIGHTS_REQUIRED,
    ),
    "Socket": (R.POSIX_SOCKET,),
    "SockBind": (R.POSIX_BIND,),
    "SockConnect": (R.POSIX_CONNECT,),
    "SockSend": (R.POSIX_SEND, R.MSG_LIMITS, R.MSG_SENDER),
    "SockRecv": (R.POSIX_RECV, R.MSG_INFLIGHT_REVOKE),
    "SockClose": (R.POSIX_CLOSE,),
}


# -- derived tables equal the old ones ------------------------------------------------


def _old(table: dict[str, T]) -> dict[str, T]:
    """``table`` on the operations of the frozen tables (a new one may be added)."""
    return {k: v for k, v in table.items() if k in OLD_OP_GROUP}


def test_op_group_is_unchanged() -> None:
    assert set(OLD_OP_GROUP) <= set(surface.OP_GROUP)
    assert _old(surface.OP_GROUP) == OLD_OP_GROUP


def test_id_fields_are_unchanged() -> None:
    assert _old(surface.ID_FIELDS) == OLD_ID_FIELDS


def test_result_ids_are_unchanged() -> None:
    assert _old(surface.RESULT_ID) == OLD_RESULT_ID


def test_static_tags_are_unchanged() -> None:
    assert _old(surface.STATIC_TAGS) == OLD_STATIC_TAGS


def test_idkind_is_still_importable_from_surface() -> None:
    assert surface.IdKind is IdKind


# -- hand-written tables are complete against the registry ----------------------------

#: Process operations whose rule documents several errors but whose check order
#: has no cascade in proofs/precedence (Close: its rule depends on the object).
NO_CASCADE = {
    "Resume",
    "Close",
    "ChannelSend",
    "ChannelReceive",
    "Socket",
    "SockBind",
}

#: Operations whose own rule no mutant perturbs (Close: PORT-CLOSE and
#: CHAN-CLOSE mutants cover it; its record names no single rule).
NO_MUTANT = {
    "CreatePort",
    "Close",
    "CreateChannel",
    "ChannelReceive",
    "CreateBuffer",
    "SockBind",
}


def test_every_operation_has_a_generator() -> None:
    check_table(GENERATORS, "conformance.generate.GENERATORS")


def test_needs_and_weights_name_registered_operations() -> None:
    for table, where in ((NEEDS, "NEEDS"), (WEIGHTS, "WEIGHTS")):
        unknown = sorted(set(table) - set(OPS_BY_NAME))
        assert not unknown, f"conformance.machine.{where}: unknown {unknown}"
    assert all(type(w) is int and w >= 1 for w in WEIGHTS.values())


def test_every_process_operation_has_a_cascade_or_is_listed() -> None:
    """A rule with several documented errors has an order to prove."""
    one_error = {
        s.name
        for s in process_ops()
        if s.rule is not None and len(set(RULES[s.rule].errors)) < 2
    }
    covered = {c.op.__name__ for c in CASCADES} | NO_CASCADE | one_error
    check_table(covered, "proofs.precedence.CASCADES + NO_CASCADE", ops=process_ops())
    for c in CASCADES:
        assert OPS_BY_NAME[c.op.__name__].rule is c.rule, c.op.__name__


def test_every_operation_rule_has_a_mutant_or_is_listed() -> None:
    perturbed = {r for m in MUTANTS for r in m.rules}
    assert perturbed <= set(RULES)
    covered = {s.name for s in OP_SPECS if s.rule in perturbed} | NO_MUTANT
    check_table(covered, "conformance.mutants.MUTANTS + NO_MUTANT")


def test_a_generator_table_missing_an_operation_is_named() -> None:
    partial = {k: v for k, v in GENERATORS.items() if k != "Unmap"}
    with pytest.raises(
        RegistryError, match=r"GENERATORS is out of date: missing Unmap"
    ):
        check_table(partial, "conformance.generate.GENERATORS")


def test_posix_errno_is_tagged_on_errors_of_posix_operations_only() -> None:
    s = initial_state(1)
    for op, tagged in (
        (sc.SockClose(9), True),
        (sc.Socket(-1), True),
        (sc.Inspect(9), False),
        (sc.Close(9), False),
    ):
        after, result = step(s, 1, op)
        assert isinstance(result, Err), op
        rules, _ = coverage_tags(s, 1, op, result, after)
        assert (R.POSIX_ERRNO in rules) is tagged, op
