"""``operations.schema.json`` is generated from the operation registry, is up
to date, and describes what really travels: every well-typed operation of a
run and of the shipped vectors, and every success value."""

from __future__ import annotations

import functools
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from veridian_ipc.conformance.schema_gen import (
    main,
    operations_markdown,
    reference_text,
    schema_text,
)
from veridian_ipc.conformance.wire import decode_op, encode_op
from veridian_ipc.generation import random_run
from veridian_ipc.spec import encode_result
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import OP_SPECS

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates")

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "conformance" / "operations.schema.json"
REFERENCE = REPO / "conformance" / "OPERATIONS.md"
SCHEMA: dict[str, Any] = json.loads(COMMITTED.read_text())


@functools.cache
def _validator(ref: str | None = None) -> Any:
    """A validator of the whole schema, or of the definition ``ref`` in it."""
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    if ref is None:
        return cls(SCHEMA)
    target = {k: v for k, v in SCHEMA.items() if k != "oneOf"}
    return cls({**target, "$ref": ref})


def test_the_committed_files_are_up_to_date() -> None:
    regenerate = "python -m veridian_ipc.conformance.schema_gen --write conformance"
    assert COMMITTED.read_text() == schema_text(), f"stale: run {regenerate}"
    assert REFERENCE.read_text() == reference_text(), f"stale: run {regenerate}"
    assert main(["--check", str(COMMITTED.parent)]) == 0


def test_stale_files_are_reported(tmp_path: Path) -> None:
    assert main(["--write", str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0
    schema = tmp_path / "operations.schema.json"
    schema.write_text(schema_text().replace('"Unmap"', '"Unmapp"', 1))
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["--check", str(tmp_path)]) == 1
    assert "stale in" in err.getvalue()
    assert "operations.schema.json" in err.getvalue()
    schema.unlink()
    with redirect_stderr(io.StringIO()):
        assert main(["--check", str(tmp_path)]) == 2
        assert main(["--write", str(tmp_path / "missing")]) == 2


def test_the_schema_lists_every_operation_with_its_registry_facts() -> None:
    assert [r["$ref"] for r in SCHEMA["oneOf"]] == [
        f"#/$defs/{s.name}" for s in OP_SPECS
    ]
    send = SCHEMA["$defs"]["Send"]
    assert send["x-group"] == "ports"
    assert send["x-rule"] == "PORT-SEND"
    caps = send["properties"]["args"]["properties"]["caps"]
    assert caps == {
        "type": "array",
        "items": {"type": "integer", "x-id": "handle"},
        "maxItems": 4,
    }
    assert send["properties"]["args"]["required"] == [
        "handle",
        "msg_type",
        "flags",
        "data",
    ]
    assert SCHEMA["$defs"]["MapBuffer.ok"] == {"type": "integer", "x-id": "mapping"}
    assert SCHEMA["$defs"]["SockSend"]["properties"]["args"]["properties"]["fd"] == {
        "type": "integer"
    }


def _steps() -> list[tuple[Any, Any]]:
    """(encoded operation, encoded spec result) of random runs and the vectors."""
    runs = [
        (encode_op(st.op), encode_result(st.result))  # type: ignore[arg-type]
        for seed in range(20)
        for st in random_run(seed, 60)
        if well_typed(st.op)
    ]
    vectors = [
        (step["op"], step["spec"])
        for path in sorted((REPO / "conformance" / "vectors").glob("*.json"))
        for step in json.loads(path.read_text())["steps"]
        if well_typed(decode_op(step["op"]))
    ]
    return runs + vectors


def test_runs_and_vectors_match_the_schema() -> None:
    """Every operation that succeeds lies in the schema's domains, and every
    one the schema rejects (an out-of-domain value) failed in the spec."""
    ops = _validator()
    seen: set[str] = set()
    rejected = 0
    for data, result in _steps():
        if not ops.is_valid(data):
            assert "error" in result, (data, result)
            rejected += 1
            continue
        seen.add(data["op"])
        if "ok" in result:
            _validator(f"#/$defs/{data['op']}.ok").validate(result["ok"])
    assert len(seen) >= 30, sorted({s.name for s in OP_SPECS} - seen)
    assert rejected > 0  # the runs do try out-of-domain values


def test_ill_typed_and_unknown_operations_are_refused() -> None:
    v = _validator()
    for bad in (
        {"op": "Send", "args": {"handle": True, "msg_type": 0, "flags": 0, "data": ""}},
        {"op": "Inspect", "args": {"handle": 1, "extra": 0}},
        {"op": "Ping", "args": {}},
        {"op": "ReadBuffer", "args": {"mapping": 1, "offset": 0}},
        {"op": "ChannelSend", "args": {"handle": 1, "data": "xyz"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            v.validate(bad)
    with pytest.raises(jsonschema.ValidationError):
        _validator("#/$defs/Derive.ok").validate({"bytes": ""})
    v.validate(
        encode_op(sc.SetFilter(1, frozenset({1, 2}), None, sc.RateLimit(1, 1, 1)))
    )


def test_the_reference_has_a_row_per_operation() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--markdown"]) == 0
    assert out.getvalue() == reference_text()
    rows = operations_markdown().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == [s.name for s in OP_SPECS]
    assert "| `Kill` (environment) | caps | PROC-KILL | `target: PidRef` |" in rows[1]
