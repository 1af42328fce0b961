"""The spec's chapters: one page per module, in the spec's reading order.

A chapter page opens with the module's docstring (the concept, and the
decisions taken where the seed was open, with their precedents), then has a
section per rule, anchored by its ID (``#port-send``):

- a heading naming the operation and its arguments (``Derive(handle,
  rights)``), or, for a rule no operation is named after (PORT-HANDOFF), its
  summary;
- the arguments with their types, domains and defaults, and the result;
- the rule's prose, its errors in precedence order, the seed sections it
  implements and what the seed register says about it;
- worked examples found by running the spec (``explore``);
- traceability: obligations, behaviours, operations, mutants, vectors;
- its code, folded.
"""

from __future__ import annotations

import inspect
import textwrap

from veridian_ipc.conformance.reference_gen import ID_DOMAINS, error_lines, rule_prose
from veridian_ipc.spec import RULES, Entry, RuleId
from veridian_ipc.spec.seed_register import REGISTER
from veridian_ipc.vocabulary._registry import DEFINITIONS
from veridian_ipc.vocabulary.operations import IdKind, OpSpec

from .explore import Step, search
from .facts import (
    Chapter,
    anchor,
    exercised_by,
    operations_of,
    seed_sections,
    traceability,
)
from .text import (
    defaults,
    link_ids,
    md,
    op_text,
    result_sentence,
    result_text,
    signature,
    table,
    type_name,
)

#: The name of each kind of renamed number, as the spec's state types call it.
ID_NAMES = {IdKind.PID: "Pid", IdKind.HANDLE: "Handle", IdKind.MAPPING: "MapId"}

SEED_MAP_PAGE = "reference/seed-map.md"
REGISTER_PAGE = "reference/seed-register.md"


def heading(entry: Entry) -> str:
    """The rule's heading: its operation's signature, else its summary."""
    ops = operations_of(RuleId(entry.id))
    if ops:
        return " / ".join(f"`{signature(op)}`" for op in ops)
    return md(entry.summary).rstrip(".")


def _arguments(op: OpSpec) -> list[str]:
    if not op.fields:
        return ["No arguments."]
    absent = defaults(op)
    rows = []
    for f in op.fields:
        declared = op.domains.get(f.name)
        domain = declared.text if declared else ""
        if not domain and f.id_kind is not None:
            domain = ID_DOMAINS[f.id_kind]
        default = repr(absent[f.name]) if f.name in absent else "required"
        rows.append(
            [
                f"`{f.name}`",
                f"`{field_type(f.type, f.id_kind)}`",
                md(domain) or "any value of the type",
                f"`{default}`" if f.name in absent else default,
            ]
        )
    return table(["argument", "type", "domain", "default"], rows)


def field_type(annotation: object, kind: IdKind | None) -> str:
    """A field's type, with a renamed number named by its kind (``Handle``,
    ``tuple[Handle, ...]``) rather than ``int``."""
    plain = type_name(annotation)
    if kind is None:
        return plain
    return plain.replace("int", ID_NAMES[kind])


def _operation_block(op: OpSpec, entry: Entry, page: str) -> list[str]:
    who = (
        "an environment operation (issued by the world; `pid` is ignored)"
        if op.environment
        else "issued by a process"
    )
    out = [f"**`{signature(op)}`**: {who}; group `{op.group}`.", ""]
    out += _arguments(op)
    out += ["", f"**Result**: `Ok({type_name(op.returns)})`."]
    sentence = result_sentence(entry.doc)
    if sentence:
        out[-1] += f" {sentence}"
    if op.also:
        out[-1] += " Every step also exercises " + ", ".join(r.value for r in op.also)
        out[-1] += "."
    return out


def _example(title: str, scope: str, steps: list[Step]) -> list[str]:
    rows = [
        [
            str(i),
            "world" if s.op.environment else f"process {s.pid}",
            f"`{op_text(s.op)}`",
            f"`{result_text(s.result)}`",
        ]
        for i, s in enumerate(steps, 1)
    ]
    return [
        f"*{title}* (the shortest run in the `{scope}` scope):",
        "",
        *table(["#", "issuer", "operation", "result"], rows),
        "",
    ]


def _examples(rid: str) -> list[str]:
    found = search()
    out = ["**Worked examples**, found by running the spec:", ""]
    if rid in found.ok:
        out += _example("Succeeds", *found.ok[rid])
    if rid in found.error:
        out += _example("Fails", *found.error[rid])
    if rid not in found.ok and rid not in found.error:
        ops = [op.name for op in exercised_by(RuleId(rid))]
        where = (
            f" It is exercised by every step of {', '.join(f'`{n}`' for n in ops)}."
            if ops
            else ""
        )
        out = [
            "**Worked examples**: none of the small scopes dispatches an"
            f" operation to this rule.{where}",
            "",
        ]
    return out


def _seed(rid: RuleId, page: str) -> list[str]:
    sections, source = seed_sections(rid)
    rel = "../" + SEED_MAP_PAGE
    if sections:
        names = ", ".join(f'"{s}"' for s in sections)
        how = {
            "seed map": f"[seed map]({rel})",
            "register": f"[register](../{REGISTER_PAGE})",
            "chapter": "this chapter's introduction",
        }[source]
        out = [f"**Seed**: {names} (from the {how})."]
    else:
        out = [
            "**Seed**: none: the seed has no such call; the spec adds it (see"
            " this chapter's introduction)."
        ]
    for d in REGISTER:
        if rid in d.rules:
            out += [
                "",
                f'**Seed register** ("{d.section}", {d.decision}): {md(d.content)}.'
                f" Reason: {link_ids(md(d.reason), page)}.",
            ]
    return [*out, ""]


def _links(rid: str, page: str) -> list[str]:
    t = traceability()[rid]

    def names(items: list[str]) -> str:
        return ", ".join(f"`{x}`" for x in items) if items else "**none**"

    matrix = "../reference/traceability.md"
    return [
        f"**Traceability** ([matrix]({matrix}#{anchor(rid)})):",
        "",
        f"- proof obligations: {names(t.proofs)}",
        f"- behaviours: {names(t.behaviours)}",
        f"- operations: {names(t.operations)}",
        f"- mutants: {names(t.mutants)}",
        f"- regression vectors: {names(t.vectors)}",
        "",
    ]


def _code(entry: Entry) -> list[str]:
    try:
        source = inspect.getsource(DEFINITIONS[RuleId(entry.id)])  # type: ignore[arg-type]
    except (TypeError, OSError):
        return []
    body = textwrap.indent(
        "```python\n" + textwrap.dedent(source).rstrip() + "\n```", "    "
    )
    return [f'??? note "Code: `{entry.module}.{entry.qualname}`"', "", body, ""]


def rule_section(entry: Entry, page: str) -> list[str]:
    """One rule's section (see the module docstring)."""
    rid = RuleId(entry.id)
    out = [f"### {heading(entry)} {{#{anchor(entry.id)}}}", ""]
    out += [
        f"**{entry.id}** · defined by `{entry.module}.{entry.qualname}`",
        "",
        link_ids(md(entry.summary), page, skip=entry.id),
        "",
    ]
    for op in operations_of(rid):
        out += [*_operation_block(op, entry, page), ""]
    prose = rule_prose(entry)
    if prose:
        out += [link_ids(prose, page, skip=entry.id), ""]
    errors = error_lines(entry)
    if errors:
        out += [
            link_ids(
                "**Errors, in precedence order** (after the checks every"
                " operation makes first, ERR-PRECEDENCE):",
                page,
            ),
            "",
            *(link_ids(e, page) for e in errors),
            "",
        ]
    out += _seed(rid, page)
    out += _examples(entry.id)
    out += _links(entry.id, page)
    out += _code(entry)
    return out


def chapter_page(chapter: Chapter) -> str:
    """The Markdown of one chapter."""
    page = chapter.page
    doc = inspect.cleandoc(chapter.module.__doc__ or "")
    _, _, rest = doc.partition("\n")
    out = [
        f"# {md(chapter.title)}",
        "",
        f"*{md(chapter.blurb).replace('*', '&ast;')}*: module"
        f" `{chapter.module.__name__}`.",
        "",
        link_ids(md(rest.strip()), page),
        "",
    ]
    if chapter.rules:
        out += ["## Rules", ""]
        rows = [
            [f"[{e.id}](#{anchor(e.id)})", heading(e), md(e.summary)]
            for e in chapter.rules
        ]
        out += [*table(["rule", "operation", "summary"], rows), ""]
        for e in chapter.rules:
            out += rule_section(e, page)
    if chapter.invariants:
        out += ["## Invariants", ""]
        for inv in chapter.invariants:
            out += [
                f"### {inv.id} {{#{anchor(inv.id)}}}",
                "",
                f"`{inv.module}.{inv.qualname}`",
                "",
                link_ids(md(inv.doc), page, skip=inv.id),
                "",
            ]
    return "\n".join(out) + "\n"


def rule_entries() -> list[Entry]:
    """Every rule, in ``RuleId`` order."""
    return [RULES[r] for r in RuleId]
