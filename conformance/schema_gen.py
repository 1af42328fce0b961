"""The JSON Schema and the reference of the operations, generated from the registry.

``operations.schema.json`` (next to this module) describes each operation as it
travels in the conformance protocol, traces and vectors (``wire.encode_op``):
``{"op": Name, "args": {...}}`` with one property per field of the record,
typed from the record's annotations, and the value it returns on success
(``results.encode_value``). It also carries, as ``x-`` annotations, what the
operation registry says: the feature group, the rule, the rules every step
exercises, and which fields and results hold renamed numbers (``x-id``: pid,
handle or mapping; file descriptors are normative and never renamed).

The schema describes *well-typed* operations: the suite also sends ill-typed
ones on purpose (ERR-TOTAL), which ``protocol.schema.json`` admits.

``OPERATIONS.md`` (next to it) is the operation reference: one table row per
operation, with its group, rule, typed fields and result.

Regenerate both after changing an operation record (a test fails while a
committed file is stale), from the repository's root::

    python -m veridian_ipc.conformance.schema_gen --write conformance

``--check DIR`` exits 1 when a file in ``DIR`` is stale; without options the
schema is printed, with ``--markdown`` the reference.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import types
from collections.abc import Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from veridian_ipc.vocabulary import syscalls as sc  # noqa: F401  (fills the registry)
from veridian_ipc.vocabulary.operations import OP_SPECS, OpSpec, id_kind_of
from veridian_ipc.vocabulary.results import Blocked, CapInfo, Delivered
from veridian_ipc.vocabulary.syscalls import RateLimit

Schema = dict[str, Any]

SCHEMA_ID = "https://veridian-ipc/conformance/operations.schema.json"
HEX = "^([0-9a-f]{2})*$"

#: Shared definitions the per-operation ones refer to.
SHARED: dict[str, Schema] = {
    "hex": {"type": "string", "pattern": HEX},
    "rate": {
        "type": "object",
        "required": ["burst", "refill", "period"],
        "additionalProperties": False,
        "properties": {k: {"type": "integer"} for k in ("burst", "refill", "period")},
    },
    "bytes_value": {
        "type": "object",
        "required": ["bytes"],
        "additionalProperties": False,
        "properties": {"bytes": {"$ref": "#/$defs/hex"}},
    },
    "items_value": {
        "type": "object",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/hex"}}},
    },
    "delivered": {
        "type": "object",
        "required": ["sender", "msg_type", "flags", "data", "caps"],
        "additionalProperties": False,
        "properties": {
            "sender": {"type": "integer", "x-id": "pid"},
            "msg_type": {"type": "integer"},
            "flags": {"type": "integer"},
            "data": {"$ref": "#/$defs/hex"},
            "caps": {
                "type": "array",
                "items": {"type": ["integer", "null"], "x-id": "handle"},
            },
        },
    },
    "cap_info": {
        "type": "object",
        "required": ["kind", "rights"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": ["port", "channel", "buffer"]},
            "rights": {"type": "integer"},
        },
    },
}


def _with_id(schema: Schema, annotation: object) -> Schema:
    kind = id_kind_of(annotation)
    return schema if kind is None else {**schema, "x-id": kind.value}


def field_schema(annotation: object) -> Schema:
    """The wire form of a field of type ``annotation`` (``wire._encode_field``)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _with_id(field_schema(get_args(annotation)[0]), annotation)
    if origin in (Union, types.UnionType):
        return {"oneOf": [field_schema(a) for a in get_args(annotation)]}
    if annotation is type(None) or annotation is None:
        return {"type": "null"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is str:
        return {"type": "string"}
    if annotation is bytes:
        return {"$ref": "#/$defs/hex"}
    if annotation is RateLimit:
        return {"$ref": "#/$defs/rate"}
    if origin is tuple:
        return {"type": "array", "items": field_schema(get_args(annotation)[0])}
    if origin is frozenset:
        item = field_schema(get_args(annotation)[0])
        return {"type": "array", "items": item, "uniqueItems": True}
    raise TypeError(f"no schema for field type {annotation!r}")


def value_schema(annotation: object) -> Schema:
    """The wire form of a success value of type ``annotation`` (``encode_value``)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _with_id(value_schema(get_args(annotation)[0]), annotation)
    if origin in (Union, types.UnionType):
        return {"oneOf": [value_schema(a) for a in get_args(annotation)]}
    if annotation is None or annotation is type(None):
        return {"type": "null"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is bytes:
        return {"$ref": "#/$defs/bytes_value"}
    if annotation == tuple[bytes, ...]:
        return {"$ref": "#/$defs/items_value"}
    if annotation is Delivered:
        return {"$ref": "#/$defs/delivered"}
    if annotation is CapInfo:
        return {"$ref": "#/$defs/cap_info"}
    if annotation is Blocked:
        return {"const": "blocked"}
    raise TypeError(f"no schema for result type {annotation!r}")


def summary(op: OpSpec) -> str:
    """The first paragraph of the record's docstring, on one line."""
    doc = inspect.getdoc(op.cls) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def operation_schema(op: OpSpec) -> Schema:
    """``{"op": Name, "args": {...}}`` for one operation, with its registry facts."""
    hints = _marked_hints(op)
    required = [
        f.name
        for f in fields(op.cls)  # type: ignore[arg-type]
        if f.default is MISSING and f.default_factory is MISSING
    ]
    args: Schema = {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": {f.name: field_schema(hints[f.name]) for f in op.fields},
    }
    return {
        "description": summary(op),
        "type": "object",
        "required": ["op", "args"],
        "additionalProperties": False,
        "properties": {"op": {"const": op.name}, "args": args},
        "x-group": op.group,
        "x-rule": None if op.rule is None else op.rule.value,
        "x-tags": [r.value for r in op.tags],
        "x-environment": op.environment,
    }


def _marked_hints(op: OpSpec) -> dict[str, Any]:
    return get_type_hints(op.cls, include_extras=True)


def operations_schema() -> Schema:
    """The whole schema, from the registry."""
    defs: Schema = {}
    for op in OP_SPECS:
        defs[op.name] = operation_schema(op)
    for op in OP_SPECS:
        defs[f"{op.name}.ok"] = value_schema(op.returns)
    defs.update(SHARED)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "veridian-ipc operations",
        "description": (
            "Every well-typed operation and its success value, generated from"
            " the operation registry (vocabulary/syscalls.py) by"
            " `python -m veridian_ipc.conformance.schema_gen`: do not edit."
        ),
        "oneOf": [{"$ref": f"#/$defs/{op.name}"} for op in OP_SPECS],
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as committed: two-space indented JSON and a final newline."""
    return json.dumps(operations_schema(), indent=2) + "\n"


def _type_name(annotation: object) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        kind = id_kind_of(annotation)
        return {"pid": "PidRef", "handle": "HandleRef", "mapping": "MapRef"}[kind.value]  # type: ignore[union-attr]
    if origin in (Union, types.UnionType):
        return r" \| ".join(_type_name(a) for a in get_args(annotation))
    if origin is tuple:
        return f"tuple[{_type_name(get_args(annotation)[0])}, ...]"
    if origin is frozenset:
        return f"frozenset[{_type_name(get_args(annotation)[0])}]"
    if annotation is None or annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", repr(annotation))


def operations_markdown() -> str:
    """The operation reference: one row per operation, from the registry."""
    lines = [
        "| Operation | Group | Rule | Fields | Returns | Also exercises |",
        "|---|---|---|---|---|---|",
    ]
    for op in OP_SPECS:
        hints = _marked_hints(op)
        args = ", ".join(f"`{f.name}: {_type_name(hints[f.name])}`" for f in op.fields)
        rule = "(by object)" if op.rule is None else op.rule.value
        also = ", ".join(r.value for r in op.also)
        env = " (environment)" if op.environment else ""
        lines.append(
            f"| `{op.name}`{env} | {op.group} | {rule} | {args} |"
            f" `{_type_name(op.returns)}` | {also} |"
        )
    return "\n".join(lines) + "\n"


def reference_text() -> str:
    """``OPERATIONS.md``: the operation reference, as committed."""
    return (
        "# Operations\n\n"
        "Generated from the operation registry (`vocabulary/syscalls.py`, one\n"
        "`@operation(...)` per record) by\n"
        "`python -m veridian_ipc.conformance.schema_gen --write conformance`:\n"
        "do not edit. The wire form of each operation and of its success value is\n"
        "`operations.schema.json`.\n\n"
        "`HandleRef`, `MapRef` and `PidRef` are ints the implementation chooses:\n"
        "the conformance suite renames them between the spec's numbering and a\n"
        "target's (PROTOCOL.md). File descriptors are normative and never renamed.\n"
        "*Rule* is the rule that defines the operation (the spec's step calls its\n"
        "definition); *also exercises* lists the rules every step of it counts\n"
        "towards in conformance coverage.\n\n" + operations_markdown()
    )


#: The generated files, by name, and what they must contain.
GENERATED = {"operations.schema.json": schema_text, "OPERATIONS.md": reference_text}


def _check(directory: Path) -> int:
    stale = []
    for name, text in GENERATED.items():
        try:
            current = (directory / name).read_text(encoding="utf-8")
        except OSError as exc:
            print(
                f"schema_gen: cannot read {directory / name}: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
        if current != text():
            stale.append(name)
    if stale:
        print(
            f"schema_gen: stale in {directory}: {', '.join(stale)};"
            f" regenerate with --write {directory}",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Print the schema or the reference; write or check the generated files."""
    parser = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.schema_gen",
        description="Generate the operations' JSON Schema and reference from the"
        " registry (default: print the schema).",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--markdown", action="store_true", help="print the reference")
    group.add_argument(
        "--write", metavar="DIR", type=Path, help="write the generated files into DIR"
    )
    group.add_argument(
        "--check", metavar="DIR", type=Path, help="exit 1 if DIR's files are stale"
    )
    args = parser.parse_args(argv)
    if args.check is not None:
        return _check(args.check)
    if args.write is not None:
        if not args.write.is_dir():
            print(f"schema_gen: {args.write} is not a directory", file=sys.stderr)
            return 2
        for name, text in GENERATED.items():
            (args.write / name).write_text(text(), encoding="utf-8")
        return 0
    sys.stdout.write(reference_text() if args.markdown else schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
