"""OPERATIONS.md is a reference an implementer can work from: each operation's
errors in its rule's precedence order, every config field, every observation
key, and a schema that refuses out-of-domain arguments."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from veridian_ipc.conformance import reference_gen
from veridian_ipc.conformance.reference_gen import (
    error_lines,
    md,
    observation_paths,
    operation_section,
    reference_markdown,
    sample_observation,
)
from veridian_ipc.spec import RULES
from veridian_ipc.spec.observe import OBSERVATION_FIELDS
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.operations import OPS_BY_NAME, Domain, operation

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates")

REPO = Path(__file__).resolve().parents[2]
SCHEMA: dict[str, Any] = json.loads(
    (REPO / "conformance" / "operations.schema.json").read_text()
)
REFERENCE = (REPO / "conformance" / "OPERATIONS.md").read_text()


def _errors_listed(section: str, rule: RuleId) -> list[str]:
    part = section.split(f"Errors of {rule.value}, in precedence order:", 1)[1]
    out = []
    for line in part.strip().splitlines():
        if not line[:1].isdigit():
            break
        out.append(line.split("`")[1])
    return out


def test_each_section_lists_its_rules_errors_in_order() -> None:
    for name, op in OPS_BY_NAME.items():
        section = operation_section(op)
        assert section in REFERENCE, name
        rules = (
            (RuleId.PORT_CLOSE, RuleId.CHAN_CLOSE) if op.rule is None else (op.rule,)
        )
        for rid in rules:
            assert _errors_listed(section, rid) == list(RULES[rid].errors), name
            assert f"- rule: {rid.value}: {md(RULES[rid].summary)}" in section


def test_a_swapped_pair_in_a_rule_docstring_changes_the_section() -> None:
    send = OPS_BY_NAME["Send"]
    entry = RULES[RuleId.PORT_SEND]
    swapped_doc = (
        entry.doc.replace("- ``PortClosed``", "- ``TMP``")
        .replace("- ``PortFull``", "- ``PortClosed``")
        .replace("- ``TMP``", "- ``PortFull``")
    )
    errors = list(entry.errors)
    i, j = errors.index("PortClosed"), errors.index("PortFull")
    errors[i], errors[j] = errors[j], errors[i]
    fake = dataclasses.replace(entry, doc=swapped_doc, errors=tuple(errors))
    section = operation_section(send, {**RULES, RuleId.PORT_SEND: fake})
    assert section != operation_section(send)
    assert _errors_listed(section, RuleId.PORT_SEND) == errors
    assert "1. `InvalidCapability`: CAP-HANDLE" in "\n".join(error_lines(entry))


def test_every_config_field_and_observation_key_is_in_the_reference() -> None:
    for f in dataclasses.fields(Config):
        assert f"| `{f.name}` | {f.default} |" in REFERENCE
    paths = observation_paths(sample_observation())
    assert set(paths) == set(OBSERVATION_FIELDS)  # no key without a meaning
    for path in paths:
        assert f"| `{path}` | {OBSERVATION_FIELDS[path]} |" in REFERENCE
    assert "## Renaming" in REFERENCE
    assert "(PROTOCOL.md)" in REFERENCE
    assert "`InvalidArgument`" in REFERENCE.split("## Operations")[0]  # ERR-TOTAL


def test_an_observation_key_without_a_meaning_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "ports.*.queue.[].sender" in observation_paths(sample_observation())
    assert observation_paths({"ports": {5: {"novel": 1}}}) == ["ports", "ports.*.novel"]
    table = dict(OBSERVATION_FIELDS)
    del table["ports.*.filter.tokens"]
    monkeypatch.setattr(reference_gen, "OBSERVATION_FIELDS", table)
    with pytest.raises(KeyError, match=r"ports\.\*\.filter\.tokens"):
        reference_gen.reference_sections()


def test_argument_domains_are_in_the_reference() -> None:
    assert (
        "| `handle` | integer | any int; not a live handle of the caller, or one"
        " of the wrong kind: InvalidCapability | handle |"
    ) in REFERENCE
    assert (
        "| `msg_type` | integer | 0..2**32-1; else InvalidMessage | no |" in REFERENCE
    )


@pytest.mark.parametrize(
    ("op", "args", "field", "good", "bad"),
    [
        ("Send", {"handle": 1, "flags": 0, "data": ""}, "msg_type", 7, -1),
        ("Send", {"handle": 1, "msg_type": 0, "flags": 0}, "data", "00", "00" * 65),
        ("CreatePort", {}, "capacity", 1, 0),
        ("Derive", {"handle": 1}, "rights", 0x3F, 0x40),
        ("CreateChannel", {"capacity": 1}, "max_message", 1, 0),
        ("Lookup", {}, "name", "a", ""),
        ("Socket", {}, "capacity", None, -3),
        ("ChannelSendBatch", {"handle": 1}, "items", ["00"], []),
        ("SetFilter", {"handle": 1}, "allowed_types", [0], [-1]),
    ],
)
def test_the_schema_refuses_out_of_domain_values(
    op: str, args: dict[str, Any], field: str, good: object, bad: object
) -> None:
    v = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    v.validate({"op": op, "args": {**args, field: good}})
    with pytest.raises(jsonschema.ValidationError):
        v.validate({"op": op, "args": {**args, field: bad}})


def test_a_domain_for_an_unknown_field_is_refused() -> None:
    from veridian_ipc.vocabulary.operations import RegistryError
    from veridian_ipc.vocabulary.syscalls import Operation

    @dataclasses.dataclass(frozen=True, slots=True)
    class Probe(Operation):
        size: int

    with pytest.raises(RegistryError, match="unknown fields nosuch"):
        operation(group="ports", rule=None, domains={"nosuch": Domain("x")})(Probe)


def test_the_reference_is_the_generated_one() -> None:
    assert reference_markdown() == REFERENCE
