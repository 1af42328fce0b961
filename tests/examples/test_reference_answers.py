"""The questions an implementer writing a target from the documents alone
(the C target in ``examples/c-target``) had to answer from the spec's Python
source are answered by the documents: OPERATIONS.md (generated) and
PROTOCOL.md. Each answer is also checked against the spec itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from veridian_ipc.conformance.reference_gen import (
    OBJECTS_LIFETIME,
    reference_markdown,
    rule_prose,
    shared_rules_section,
)
from veridian_ipc.conformance.wire import decode_op
from veridian_ipc.spec import RULES, initial_state, step
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import Err, Ok
from veridian_ipc.vocabulary.syscalls import (
    Close,
    CreatePort,
    Derive,
    Drop,
    Kill,
    Receive,
    Revoke,
    Send,
)

REPO = Path(__file__).resolve().parents[2]
REFERENCE = (REPO / "conformance" / "OPERATIONS.md").read_text()
PROTOCOL = (REPO / "conformance" / "PROTOCOL.md").read_text()


def _section(name: str) -> str:
    return REFERENCE.split(f"### `{name}`\n", 1)[1].split("\n### ", 1)[0]


@pytest.mark.parametrize(
    ("operation", "answer"),
    [
        ("Revoke", "Result: the number of capabilities\ndestroyed."),
        ("Revoke", "The capability itself stays."),
        ("Close", "Result: the number of\nmessages left to drain"),
        ("Drop", "children stay valid and move up to its parent"),
        ("Kill", "Ports it created stay open"),
        ("Resume", "`Timeout`, `PortClosed` or `InvalidCapability`"),
        ("Receive", "deadline `clock + timeout`"),
        ("AdvanceClock", "Result: the new clock value."),
    ],
)
def test_each_operation_quotes_its_rules_prose(operation: str, answer: str) -> None:
    assert answer in _section(operation)


def test_optional_arguments_state_their_default() -> None:
    assert "`caps` [], `timeout` 0. Every other argument is required." in _section(
        "Send"
    )
    assert "`timeout` 0. Every other argument is required." in _section("Receive")
    assert "may be left out" not in _section("Drop")
    op = decode_op({"op": "Receive", "args": {"handle": 1}})
    assert op == Receive(1, 0)


def test_the_rules_no_operation_is_named_after_are_in_the_reference() -> None:
    shared = shared_rules_section()
    assert shared in REFERENCE
    for rid in (
        RuleId.CAP_HANDLE,
        RuleId.MSG_LIMITS,
        RuleId.MSG_TRANSFER,
        RuleId.MSG_INFLIGHT_REVOKE,
        RuleId.PORT_HANDOFF,
        RuleId.TIME_DEADLINE,
        RuleId.PROC_STATUS,
    ):
        assert f"### {rid.value} (group" in shared
        assert rule_prose(RULES[rid]) in shared
    assert "The message keeps its slot in the port's capacity" in shared
    assert "the handle the message is sent through" in shared
    assert "### PORT-SEND (group" not in shared  # an operation's rule: in its section


def test_rule_prose_stops_before_the_errors() -> None:
    prose = rule_prose(RULES[RuleId.PORT_SEND])
    assert prose.startswith("Needs SEND on the port.")
    assert "Errors, in precedence order" not in prose
    assert "``" not in prose


def test_the_python_terms_of_the_prose_are_translated() -> None:
    head = REFERENCE.split("## Before", 1)[0]
    assert '`Ok(BLOCKED)` is `{"ok": "blocked"}`' in head
    assert "`None` is JSON `null`" in head


def test_the_channel_ring_bound_is_stated() -> None:
    assert "`max_channel_capacity` times `max_channel_message`" in REFERENCE
    with pytest.raises(ValueError, match="full ring"):
        Config(max_channel_capacity=65536, max_channel_message=65536)


def test_an_object_goes_with_its_last_capability() -> None:
    """OBJECTS_LIFETIME, on the spec: a port closed and revoked stays while a
    handle names it; its last handle dropped, or its holder killed, it leaves
    the object table (CAP-RECLAIM)."""
    assert OBJECTS_LIFETIME in REFERENCE
    s = initial_state(processes=2)
    steps: list[tuple[int, object, set[int]]] = [
        (1, CreatePort(2), {1}),
        (1, Derive(1, 0x0F), {1}),
        (1, Send(1, 0, 0, b"hi", (2,)), {1}),
        (1, Revoke(1), {1}),
        (1, Close(1), {1}),
        (1, Drop(1), set()),
        (2, CreatePort(1), {2}),
        (0, Kill(2), set()),
    ]
    for pid, op, live in steps:
        s, r = step(s, pid, op)
        assert isinstance(r, Ok), (op, r)
        assert set(s.objects) == live, op


def test_absent_and_malformed_fields_as_protocol_md_says() -> None:
    assert "**Absent and malformed fields.**" in PROTOCOL
    s = initial_state(processes=1)
    s, _ = step(s, 1, CreatePort(2))
    for data in ("6", "zz", "6g"):
        op = decode_op({"op": "Send", "args": _send_args(data)})
        assert step(s, 99, op)[1] == Err(IpcError.InvalidArgument), data
    op = decode_op({"op": "Send", "args": _send_args("AB cd")})
    assert step(s, 1, op)[1] == Ok(None)


def test_a_name_that_is_not_text_is_invalid_argument() -> None:
    assert "lone surrogate escape" in PROTOCOL
    s = initial_state(processes=1)
    for name in ("\ud800", "x\0", ""):
        op = decode_op({"op": "Lookup", "args": {"name": name}})
        assert step(s, 1, op)[1] == Err(IpcError.InvalidArgument), name
    op = decode_op({"op": "Lookup", "args": {"name": "x"}})
    assert step(s, 1, op)[1] == Err(IpcError.PortNotFound)


def _send_args(data: str) -> dict[str, object]:
    return {"handle": 1, "msg_type": 0, "flags": 0, "data": data}


def test_integers_beyond_64_bits_compare_by_value() -> None:
    assert "**Integer size.**" in PROTOCOL
    s = initial_state(processes=1)
    assert step(s, 1, Drop(2**70))[1] == Err(IpcError.InvalidCapability)
    assert step(s, 1, CreatePort(2**70))[1] == Err(IpcError.OutOfMemory)
    assert step(s, 1, CreatePort(-(2**70)))[1] == Err(IpcError.InvalidArgument)


def test_the_reference_is_current() -> None:
    assert reference_markdown() == REFERENCE
