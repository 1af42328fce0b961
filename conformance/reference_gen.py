"""``OPERATIONS.md``: the reference an implementer writes a target from.

Generated, like ``operations.schema.json``, from the project's own registries
so it cannot drift (``schema_gen --check`` fails while the committed copy is
stale):

- per operation, from ``OP_SPECS``: its group, its rule, the rule's summary
  and the rest of its prose (``spec.RULES``: what it does, what it returns,
  what happens to everything it touches), each argument with its JSON type, its domain
  (``Domain`` declarations in vocabulary/syscalls.py, or the renamed-id
  default below), whether the suite renames it, the JSON shape of its success
  value (``results.encode_value``), the value of each argument that may be
  left out (the record's field default) and its errors in precedence order
  (``RULES[rule].errors``, each with the reason its docstring gives);
- the rules no operation is named after (CAP-HANDLE, MSG-TRANSFER,
  PORT-HANDOFF, TIME-DEADLINE, ...), each with its prose and errors: the
  behaviour several operations share;
- the ``Config`` fields with their defaults and bounds (``CONFIG_BOUNDS``), the
  rights bits, the errors with their errno (``spec.errno_of``), and the keys
  of an observation (walked from ``observe`` of a small state) with their
  meaning (``spec.observe.OBSERVATION_FIELDS``).
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Mapping
from dataclasses import MISSING, fields
from itertools import pairwise
from typing import Any

from veridian_ipc.spec import RULES, errno_of, initial_state, step
from veridian_ipc.spec.observe import OBSERVATION_FIELDS, observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary._registry import Entry
from veridian_ipc.vocabulary.errors import ERRNO_NAMES, IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import CONFIG_BOUNDS, MAX_CHANNEL_BYTES, Config
from veridian_ipc.vocabulary.operations import OP_SPECS, IdKind, OpSpec
from veridian_ipc.vocabulary.rights import Rights

#: The domain of a renamed id field, when the record declares none.
ID_DOMAINS: dict[IdKind, str] = {
    IdKind.HANDLE: "any int; not a live handle of the caller, or one of the"
    " wrong kind: InvalidCapability",
    IdKind.MAPPING: "any int; not a live mapping of the caller: InvalidCapability",
    IdKind.PID: "any int; not a live process: NoSuchProcess",
}

#: The rules a ``Close`` dispatches to, by the kind of object its handle names.
CLOSE_RULES = (RuleId.PORT_CLOSE, RuleId.CHAN_CLOSE)

#: Containers of ``observe`` keyed by ids or names (``*`` in a path).
_ID_MAPS = frozenset(
    ("processes", "handles", "mappings", "fds", "ports", "channels", "buffers")
) | {"namespace"}

RENAMING = (
    "## Renaming\n\n"
    "Pids, handles, mapping ids and object ids are numbers the implementation\n"
    "chooses (the *renamed* column below: `pid`, `handle`, `mapping`), each\n"
    "allocated afresh and never reused. The suite keeps one bijection per kind\n"
    "between the spec's numbers and the target's (handles and mapping ids per\n"
    "process): a number the target returns is bound to the spec's number at the\n"
    "same position, and a number bound twice fails the step; numbers seen only in\n"
    "observations (object ids) are bound on first sight. Arguments are translated\n"
    "to the target's numbering; one that names no live number is sent as a\n"
    "number the target has not used either. File descriptors and names are\n"
    "normative (fds: the lowest free one, from 0) and never renamed. Details:\n"
    "[PROTOCOL.md](PROTOCOL.md).\n"
)


#: How the rules' prose (the spec's docstrings, in Python terms) maps to the wire.
PYTHON_TERMS = (
    "Each operation's rule is quoted with its prose, the spec's own words in\n"
    'its Python terms: `None` is JSON `null`; `Ok(v)` is `{"ok": v}` and an\n'
    'error `E` is `{"error": "E"}`; `Ok(BLOCKED)` is `{"ok": "blocked"}`;\n'
    "`Delivered` is a received message `{sender, msg_type, flags, data, caps}`\n"
    "and `CapInfo` `Inspect`'s `{kind, rights}`; `op.x` is the argument `x`,\n"
    "and `pid` the process that issues the operation.\n\n"
)


def json_type(annotation: Any) -> str:
    """The JSON type of a field or value, as the reference writes it."""
    from .schema_gen import field_schema  # the one source of the wire forms

    return _describe(field_schema(annotation))


def _describe(schema: Mapping[str, Any]) -> str:
    if "oneOf" in schema:
        return " or ".join(_describe(s) for s in schema["oneOf"])
    if schema.get("$ref") == "#/$defs/hex":
        return "hex string"
    if schema.get("$ref") == "#/$defs/rate":
        return "{burst, refill, period: integer}"
    if schema.get("type") == "array":
        return f"array of {_describe(schema['items'])}"
    return str(schema.get("type", "?"))


def md(text: str) -> str:
    """Docstring prose as Markdown: ````code```` becomes ```code```."""
    return text.replace("``", "`")


def _reasons(entry: Entry) -> list[str]:
    """The bullets of the entry's error section, in order, on one line each."""
    lines = (entry.doc or "").splitlines()
    stripped = [line.strip() for line in lines]
    if "Errors, in precedence order:" not in stripped:
        return []
    out: list[str] = []
    for line in stripped[stripped.index("Errors, in precedence order:") + 1 :]:
        if line.startswith("- "):
            out.append(line[2:])
        elif line and out:
            out[-1] += " " + line
        elif out:
            break
    return out


def error_lines(entry: Entry) -> list[str]:
    """``RULES[rule].errors`` in order, each with its documented reason."""
    reasons = _reasons(entry)
    if len(reasons) != len(entry.errors):
        reasons = [f"``{e}``" for e in entry.errors]
    out: list[str] = []
    for name, reason in zip(entry.errors, reasons, strict=True):
        text = reason.split(":", 1)[1].strip() if ":" in reason else ""
        out.append(f"{len(out) + 1}. `{name}`" + (f": {md(text)}" if text else ""))
    return out


def rule_prose(entry: Entry) -> str:
    """The rule's docstring after its summary and before its error section:
    what it does, what it returns and what happens to everything it touches."""
    paragraphs = inspect.cleandoc(entry.doc or "").split("\n\n")[1:]
    kept: list[str] = []
    for para in paragraphs:
        if para.strip().startswith("Errors, in precedence order:"):
            break
        kept.append(md(para.strip()))
    return "\n\n".join(kept)


def defaults_line(op: OpSpec) -> str:
    """The arguments that may be left out, with the value an absent one takes."""
    absent = [
        (f.name, f.default)
        for f in fields(op.cls)  # type: ignore[arg-type]
        if f.default is not MISSING
    ]
    if not absent:
        return ""
    parts = [
        f"`{name}` {json.dumps(list(v) if isinstance(v, tuple | frozenset) else v)}"
        for name, v in absent
    ]
    return (
        "Arguments that may be left out, and the value an absent one takes: "
        + ", ".join(parts)
        + ". Every other argument is required."
    )


def _rules_of(op: OpSpec) -> tuple[RuleId, ...]:
    return CLOSE_RULES if op.rule is None else (op.rule,)


def operation_section(op: OpSpec, rules: Mapping[RuleId, Entry] = RULES) -> str:
    """One operation's section of the reference."""
    env = " (environment operation: issued by the world, `pid` ignored)"
    doc = " ".join((inspect.getdoc(op.cls) or "").split())
    lines = [f"### `{op.name}`", "", md(doc)]
    lines += ["", f"- group: `{op.group}`{env if op.environment else ''}"]
    for rid in _rules_of(op):
        lines.append(f"- rule: {rid.value}: {md(rules[rid].summary)}")
    if op.also:
        lines.append(f"- also exercises: {', '.join(r.value for r in op.also)}")
    for rid in _rules_of(op):
        prose = rule_prose(rules[rid])
        if prose:
            lines += ["", f"{rid.value}: {prose}"]
    lines += ["", "| argument | JSON type | domain | renamed |", "|---|---|---|---|"]
    for f in op.fields:
        declared = op.domains.get(f.name)
        domain = declared.text if declared else ""
        if not domain and f.id_kind is not None:
            domain = ID_DOMAINS[f.id_kind]
        domain = domain or "any value of the type"
        renamed = f.id_kind.value if f.id_kind is not None else "no"
        lines.append(f"| `{f.name}` | {json_type(f.type)} | {domain} | {renamed} |")
    if not op.fields:
        lines.append("| (none) | | | |")
    if defaults_line(op):
        lines += ["", defaults_line(op)]
    lines += ["", f"Success: `ok` is {_value_text(op)}."]
    for rid in _rules_of(op):
        lines += ["", f"Errors of {rid.value}, in precedence order:", ""]
        lines += error_lines(rules[rid]) or ["(none)"]
    return "\n".join(lines) + "\n"


def _value_text(op: OpSpec) -> str:
    from .schema_gen import value_schema

    schema = value_schema(op.returns)
    kind = op.result_id
    base = _value_describe(schema)
    renamed = f" (a {kind.value}, renamed)" if kind is not None else ""
    return f"{base}{renamed}; schema `#/$defs/{op.name}.ok`"


def _value_describe(schema: Mapping[str, Any]) -> str:
    if "oneOf" in schema:
        return " or ".join(_value_describe(s) for s in schema["oneOf"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    ref = schema.get("$ref", "")
    shapes = {
        "#/$defs/bytes_value": '{"bytes": hex}',
        "#/$defs/items_value": '{"items": [hex, ...]}',
        "#/$defs/delivered": '{"sender", "msg_type", "flags", "data": hex,'
        ' "caps": [handle or null, ...]}',
        "#/$defs/cap_info": '{"kind": "port"|"channel"|"buffer", "rights": int}',
    }
    return shapes.get(ref) or str(schema.get("type", "?"))


def observation_paths(data: Any, prefix: str = "") -> list[str]:
    """The key paths of an observation, ids and names replaced by ``*``."""
    out: list[str] = []
    if isinstance(data, dict):
        last = prefix.rsplit(".", 1)[-1]
        for key, value in data.items():
            part = "*" if last in _ID_MAPS else str(key)
            path = f"{prefix}.{part}" if prefix else part
            if part != "*":
                out.append(path)
            out += observation_paths(value, path)
    elif isinstance(data, list):
        for item in data:
            out += observation_paths(item, f"{prefix}.[]")
    return list(dict.fromkeys(out))


def sample_observation() -> Any:
    """``observe`` of a small state that fills every kind of key."""
    s = initial_state(processes=2)
    for op in (
        sc.CreatePort(capacity=2),
        sc.SetFilter(1, frozenset({7}), 8, sc.RateLimit(2, 1, 1)),
        sc.Send(1, msg_type=7, flags=0, data=b"hi"),
        sc.Bind(1, "svc"),
        sc.CreateChannel(capacity=2, max_message=4),
        sc.ChannelSend(2, b"x"),
        sc.CreateBuffer(size=4),
        sc.MapBuffer(3, writable=True),
        sc.Socket(),
    ):
        s, _ = step(s, 1, op)
    return observe(s)


def reference_sections() -> str:
    """Config, rights, errors and observation: the tables below the operations."""
    out = ["## Configuration", "", "| field | default | bounds | meaning |"]
    out.append("|---|---|---|---|")
    docs = _config_docs()
    out += [
        f"| `{f.name}` | {f.default} | 1..{CONFIG_BOUNDS[f.name]} |"
        f" {md(docs.get(f.name, ''))} |"
        for f in fields(Config)
    ]
    out += [
        "",
        "Also `max_channel_capacity` times `max_channel_message` (the bytes of a"
        f" full ring) is at most {MAX_CHANNEL_BYTES}. A configuration outside"
        " these bounds is refused before anything runs (PROTOCOL.md: `reset`).",
    ]
    out += ["", "## Rights bits (RIGHTS-BITS)", "", "| right | bit |", "|---|---|"]
    out += [f"| `{r.name}` | {int(r):#04x} |" for r in Rights]
    out += ["", "## Errors", "", "| error | code | errno |", "|---|---|---|"]
    out += [
        f"| `{e.name}` | {int(e)} | {ERRNO_NAMES[e]} ({errno_of(e)}) |"
        for e in IpcError
    ]
    out += ["", "## Observation", "", "| key | meaning |", "|---|---|"]
    for path in observation_paths(sample_observation()):
        if path not in OBSERVATION_FIELDS:
            raise KeyError(f"observation key {path} has no meaning in the table")
        out.append(f"| `{path}` | {OBSERVATION_FIELDS[path]} |")
    out += ["", OBJECTS_LIFETIME]
    return "\n".join(out) + "\n"


#: What the observation's object maps hold over time (CAP-RECLAIM:
#: ``test_an_object_goes_with_its_last_capability`` checks it on the spec).
OBJECTS_LIFETIME = (
    "`ports`, `channels` and `buffers` hold every live object. An object\n"
    "leaves them in the step that takes away the last capability that can\n"
    "reach it (CAP-RECLAIM): its last handle dropped (CAP-DROP), the process\n"
    "holding it killed (PROC-KILL), the binding holding it removed, or its\n"
    "only capabilities left in messages queued on ports nobody can reach.\n"
    "A closed port stays while a capability to it is held. Object numbers\n"
    "are never reused."
)


def shared_rules_section(rules: Mapping[RuleId, Entry] = RULES) -> str:
    """The rules no operation is named after, each with its prose and errors."""
    named = {op.rule for op in OP_SPECS} | set(CLOSE_RULES)
    named |= {RuleId.ERR_PRECEDENCE, RuleId.ERR_TOTAL}  # "Before ..." above
    out = [
        "## Rules the operations share",
        "",
        "The rules below belong to no single operation: the operations above",
        "apply them where their sections cite them (CAP-HANDLE, MSG-TRANSFER,",
        "...), and some apply on their own (PORT-HANDOFF in a send that finds a",
        "receiver waiting, TIME-DEADLINE when the clock moves).",
    ]
    for rid, entry in rules.items():
        if rid in named:
            continue
        out += ["", f"### {rid.value} (group `{entry.group}`)", "", md(entry.summary)]
        prose = rule_prose(entry)
        if prose:
            out += ["", prose]
        if entry.errors:
            out += ["", f"Errors of {rid.value}, in precedence order:", ""]
            out += error_lines(entry)
    return "\n".join(out) + "\n"


def _config_docs() -> dict[str, str]:
    """The attribute docstrings of ``Config`` (the string under each field)."""
    source = inspect.getsource(Config)
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    out: dict[str, str] = {}
    items = body.body
    for node, nxt in pairwise(items):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            out[node.target.id] = " ".join(nxt.value.value.split())
    return out


def reference_markdown(rules: Mapping[RuleId, Entry] = RULES) -> str:
    """The whole reference, ``OPERATIONS.md`` as committed."""
    precedence = rules[RuleId.ERR_PRECEDENCE]
    total = rules[RuleId.ERR_TOTAL]
    checks = (
        "## Before the operation's own errors\n\n"
        f"ERR-PRECEDENCE: {md(precedence.summary)} Every operation first"
        " checks, in order:\n\n" + "\n".join(error_lines(precedence)) + "\n\n"
        f"ERR-TOTAL: {md(total.summary)} An argument of the wrong JSON type (a\n"
        "bool or a string where an int is expected, for example) gives\n"
        "`InvalidArgument` and changes nothing. Environment operations\n"
        "skip PROC-STATUS. Then come the rule's errors, listed per operation\n"
        "below; a domain's *else* is the error it gives at that point of the\n"
        "order.\n\n"
    )
    head = (
        "# Operations\n\n"
        "Generated from the operation registry (`vocabulary/syscalls.py`) and the\n"
        "spec's rule registry by\n"
        "`python -m veridian_ipc.conformance.schema_gen --write conformance`:\n"
        "do not edit. The wire form of each operation and of its success value is\n"
        "`operations.schema.json`.\n\n"
        'A request is `{"op": Name, "args": {...}}`; a reply `{"ok": value}` or\n'
        '`{"error": Name}`. A failed operation changes nothing (ERR-ATOMIC).\n\n'
        + PYTHON_TERMS
    )
    ops = "\n".join(operation_section(op, rules) for op in OP_SPECS)
    return (
        head
        + checks
        + RENAMING
        + "\n## Operations\n\n"
        + ops
        + "\n"
        + shared_rules_section(rules)
        + "\n"
        + reference_sections()
    )
