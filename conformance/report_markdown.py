"""The verdicts of a conformance run as a Markdown report for a pull request.

``markdown(report, verdicts)`` gives, in GitHub-flavoured Markdown: a title
with the target, the summary line (``41/52 rules conform, 6 diverge, 5 not
examined``), the run (groups, mode, profile, seed, examples, steps, status),
a table of every rule (group, rule, verdict, times exercised, divergences or
the reason it was not examined), then a section per divergence: its
signature, how often it was seen, its message, its trace file, and its
minimal trace as a table (the diverging step marked ✗), the spec's result and
the target's side by side. A run that stopped says so (``failure``).
"""

from __future__ import annotations

from typing import Any

from veridian_ipc.vocabulary.results import Data

from .traces import op_text, result_text, rule_text
from .verdicts import CONFORMS, DIVERGES, DivergenceRef, Verdicts, plain_report

__all__ = ["cell", "code", "markdown"]

#: How each verdict reads in the table.
_SHOWN = {CONFORMS: "✅ conforms", DIVERGES: "❌ diverges"}


def cell(text: object) -> str:
    """``text`` as one table cell: one line, pipes escaped."""
    one = " ".join(str(text).split())
    return one.replace("\\", "\\\\").replace("|", "\\|")


def code(text: object) -> str:
    """``text`` as inline code in a table cell (empty stays empty)."""
    one = " ".join(str(text).split()).replace("|", "\\|")
    if not one:
        return ""
    fence = "``" if "`" in one else "`"
    return f"{fence} {one} {fence}" if fence == "``" else f"`{one}`"


def _value(v: Data) -> str:
    return result_text(v)


def _trace_table(div: Data) -> list[str]:
    steps = div.get("steps") if isinstance(div, dict) else None
    if not isinstance(steps, list) or not steps:
        return []
    bad = div.get("step")
    lines = [
        "| # | pid | operation | rule | spec | target |",
        "|--:|--:|---|---|---|---|",
    ]
    for i, st in enumerate(steps, start=1):
        if not isinstance(st, dict):
            continue
        mark = " ✗" if i == bad else ""
        op = st.get("op") if isinstance(st.get("op"), dict) else {}
        target = st.get("target", st.get("spec"))
        lines.append(
            f"| {i}{mark} | {cell(st.get('pid'))} | {code(op_text(op))} "
            f"| {cell(rule_text(st))} | {code(_value(st.get('spec')))} "
            f"| {code(_value(target))} |"
        )
    return lines


def _divergence_section(d: DivergenceRef) -> list[str]:
    data = d.data if isinstance(d.data, dict) else {}
    lines = [
        f"#### {d.id}: {cell(d.signature.text())}",
        "",
        f"Seen {d.count}×; "
        + ("at reset (step 0)" if d.step == 0 else f"at step {d.step} of its trace")
        + f"; kind {cell(d.signature.kind)}.",
        "",
        f"> {cell(d.message)}",
        "",
    ]
    if data.get("trace"):
        lines += [f"Trace file: {code(data['trace'])}", ""]
    table = _trace_table(data)
    if table:
        lines += [*table, ""]
    diff = data.get("diff")
    if isinstance(diff, list) and diff:
        lines += ["| path | spec | target |", "|---|---|---|"]
        lines += [
            f"| {code(x.get('path'))} | {code(_value(x.get('spec')))} "
            f"| {code(_value(x.get('target')))} |"
            for x in diff[:12]
            if isinstance(x, dict)
        ]
        lines.append("")
    return lines


def markdown(report: object, verdicts: Verdicts) -> str:
    """The Markdown report of ``report`` (a ``Report`` or its JSON) and its
    ``verdicts``."""
    data: dict[str, Any] = plain_report(report)
    groups = ", ".join(str(g) for g in data.get("groups") or [])
    lines = [
        f"## Conformance: {code(data.get('target', '?'))}",
        "",
        f"**{verdicts.summary.line}**",
        "",
        f"Groups {cell(groups)}; mode {cell(data.get('mode'))}; profile "
        f"{cell(data.get('profile'))}; seed {cell(data.get('seed'))}; "
        f"{cell(data.get('examples'))} examples, {cell(data.get('steps'))} steps; "
        f"status **{cell(data.get('status'))}**.",
        "",
    ]
    if data.get("status") in ("target-failure", "no-steps") and data.get("failure"):
        lines += [f"> {cell(data['failure'])}", ""]
    lines += [
        "| group | rule | verdict | exercised | details |",
        "|---|---|---|--:|---|",
    ]
    for v in verdicts.verdicts:
        shown = _SHOWN.get(v.verdict, "➖ not examined")
        details = ", ".join(v.divergences) if v.divergences else cell(v.reason or "")
        lines.append(f"| {v.group} | {v.rule} | {shown} | {v.count} | {details} |")
    lines.append("")
    if verdicts.divergences:
        lines += ["### Divergences", ""]
        for d in verdicts.divergences:
            lines += _divergence_section(d)
    return "\n".join(lines).rstrip() + "\n"
