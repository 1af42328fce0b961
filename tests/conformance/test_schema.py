"""The shipped JSON Schemas describe what the suite and the server really send."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Protocol

import pytest

import veridian_ipc.conformance
from veridian_ipc.conformance.mutants import NoHandoff
from veridian_ipc.conformance.protocol import PROTOCOL, VERSION
from veridian_ipc.conformance.runner import export_vectors, run_conformance
from veridian_ipc.conformance.serve import serve
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.traces import load
from veridian_ipc.conformance.wire import encode_config, encode_op
from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreatePort,
    Lookup,
    RateLimit,
    Receive,
    Send,
    SetFilter,
)

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema validates the schemas"
)
referencing = pytest.importorskip("referencing")

HERE = Path(veridian_ipc.conformance.__file__).parent
PROTOCOL_SCHEMA = json.loads((HERE / "protocol.schema.json").read_text())
REPO = Path(__file__).resolve().parents[2]
TRACE_SCHEMA = json.loads((HERE / "trace.schema.json").read_text())


class Validator(Protocol):
    """The part of a ``jsonschema`` validator the tests use."""

    def validate(self, instance: object) -> None: ...


def _validator(schema: dict[str, object], ref: str | None = None) -> Validator:
    resource = referencing.Resource.from_contents(PROTOCOL_SCHEMA)
    registry = referencing.Registry().with_resources(
        [("protocol.schema.json", resource), (PROTOCOL_SCHEMA["$id"], resource)]
    )
    target = schema if ref is None else {"$ref": f"{PROTOCOL_SCHEMA['$id']}{ref}"}
    cls = jsonschema.validators.validator_for(PROTOCOL_SCHEMA)
    cls.check_schema(schema)
    validator: Validator = cls(target, registry=registry)
    return validator


def test_a_served_session_matches_the_schema() -> None:
    ops = [
        CreatePort(2),
        Bind(1, "svc", 0),
        Lookup("svc"),
        SetFilter(1, frozenset({0}), 8, RateLimit(1, 1, 2)),
        Send(1, 0, 0, b"hi", (2,)),
        Receive(1, None),
        Receive(1, 1),
    ]
    requests = [
        {"type": "hello", "protocol": PROTOCOL, "version": VERSION},
        {
            "type": "reset",
            "processes": 2,
            "config": encode_config(Config()),
        },
    ]
    for i, op in enumerate(ops):
        requests.append({"type": "apply", "id": 2 * i, "pid": 1, "op": encode_op(op)})
        requests.append({"type": "observe", "id": 2 * i + 1})
    requests.append({"type": "bye"})
    inp = io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
    out = io.BytesIO()
    assert serve(SpecTarget, list(SpecTarget.groups), inp, out) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == len(requests) - 1
    v = _validator(PROTOCOL_SCHEMA)
    for msg in requests + answers:
        v.validate(msg)
    # every request but ``bye`` answered once, in order, with its id
    kinds = [a["type"] for a in answers]
    assert kinds == ["hello", "ready", *["result", "observation"] * len(ops)]
    assert [a["id"] for a in answers[2:]] == list(range(2 * len(ops)))


def test_traces_and_vectors_match_the_schema(tmp_path: Path) -> None:
    v = _validator(TRACE_SCHEMA)
    report = run_conformance(InProcessDriver(NoHandoff), "ci", trace_dir=tmp_path)
    assert report.trace is not None
    v.validate(load(Path(report.trace)))
    for path in export_vectors(tmp_path / "vectors", "ci", max_examples=3):
        v.validate(load(path))
    for path in sorted((REPO / "conformance" / "vectors").glob("*.json")):
        v.validate(load(path))


def test_a_malformed_message_is_rejected() -> None:
    v = _validator(PROTOCOL_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        v.validate({"type": "result", "id": 1, "result": {"error": 7}})


def operation_names_problem(schema: dict[str, object]) -> str | None:
    """How the protocol schema's operation names differ from the registry's."""
    from veridian_ipc.vocabulary.operations import OP_SPECS

    defs = schema["$defs"]
    assert isinstance(defs, dict)
    listed = defs["operation"]["properties"]["op"]["enum"]
    registered = [s.name for s in OP_SPECS]
    if listed == registered:
        return None
    missing = sorted(set(registered) - set(listed))
    extra = sorted(set(listed) - set(registered))
    return f"missing {missing}, not registered {extra}, or out of order"


def test_the_protocol_names_exactly_the_registered_operations() -> None:
    """The wire's operation names are the registry's, in its order: adding an
    operation without listing it here fails by name."""
    assert operation_names_problem(PROTOCOL_SCHEMA) is None
    stale = json.loads(json.dumps(PROTOCOL_SCHEMA))
    stale["$defs"]["operation"]["properties"]["op"]["enum"].pop()  # one forgotten
    assert operation_names_problem(stale) == (
        "missing ['SpawnThread'], not registered [], or out of order"
    )
