"""Lifecycle diagrams: the transitions ``explore`` found, drawn.

With Graphviz's ``dot`` on the PATH the diagram is rendered at build time to
an SVG embedded in the page (no script, works offline); without it the page
carries the same graph as a Mermaid ``stateDiagram-v2``, which the Material
theme renders in the reader's browser.
"""

from __future__ import annotations

import re
import shutil
import subprocess

#: (phase before, phase after) -> operation names; None is "does not exist".
Transitions = dict[tuple[str | None, str | None], set[str]]

START = "[*]"


class DiagramError(RuntimeError):
    """Graphviz failed to render a diagram."""


def have_graphviz() -> bool:
    """``dot`` is on the PATH."""
    return shutil.which("dot") is not None


def _states(transitions: Transitions) -> list[str]:
    seen: dict[str, None] = {}
    for a, b in sorted(transitions, key=lambda e: (e[0] or "", e[1] or "")):
        for s in (a, b):
            if s is not None:
                seen.setdefault(s, None)
    return list(seen)


def _label(ops: set[str]) -> str:
    return ", ".join(sorted(ops))


def to_dot(kind: str, transitions: Transitions) -> str:
    """The Graphviz source of one lifecycle."""
    ids = {s: f"s{i}" for i, s in enumerate(_states(transitions))}
    lines = [
        f'digraph "{kind}" {{',
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb",'
        ' fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    if any(a is None for a, _ in transitions):
        lines.append('  start [shape=point, width=0.15, label=""];')
    if any(b is None for _, b in transitions):
        lines.append(
            '  gone [shape=doublecircle, width=0.12, label="", fillcolor=black];'
        )
    lines += [f'  {i} [label="{s}"];' for s, i in ids.items()]
    for (a, b), ops in sorted(transitions.items(), key=lambda e: str(e[0])):
        src = "start" if a is None else ids[a]
        dst = "gone" if b is None else ids[b]
        lines.append(f'  {src} -> {dst} [label="{_label(ops)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(dot_source: str) -> str:
    """``dot -Tsvg``, without the XML prologue (for embedding in HTML)."""
    done = subprocess.run(
        ["dot", "-Tsvg"],
        input=dot_source,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise DiagramError(f"dot failed: {done.stderr.strip()}")
    svg = done.stdout
    svg = svg[svg.index("<svg") :]
    # one line per element: Markdown must not read indented lines as code
    return re.sub(r"\n\s*", "\n", re.sub(r"<!--.*?-->", "", svg, flags=re.S))


def to_mermaid(transitions: Transitions) -> str:
    """The same graph as a Mermaid state diagram."""
    ids = {s: f"s{i}" for i, s in enumerate(_states(transitions))}
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{s}" as {i}' for s, i in ids.items()]
    for (a, b), ops in sorted(transitions.items(), key=lambda e: str(e[0])):
        src = START if a is None else ids[a]
        dst = START if b is None else ids[b]
        lines.append(f"    {src} --> {dst} : {_label(ops)}")
    return "\n".join(lines)


def lifecycle_section(
    kind: str, transitions: Transitions, use_graphviz: bool
) -> list[str]:
    """The page section of one kind of object: its diagram and its table."""
    anchor = kind.replace(" ", "-")
    out = [f"## {kind.capitalize()} {{#{anchor}}}", ""]
    if not transitions:
        return [*out, "No transition found in the small scopes.", ""]
    if use_graphviz:
        out += [
            f'<div class="lifecycle" id="diagram-{anchor}" markdown="0">',
            to_svg(to_dot(kind, transitions)).strip(),
            "</div>",
            "",
        ]
    else:
        out += ["```mermaid", to_mermaid(transitions), "```", ""]
    rows = [
        f"| {a or START} | {b or START} | {', '.join(f'`{o}`' for o in sorted(ops))} |"
        for (a, b), ops in sorted(
            transitions.items(), key=lambda e: (e[0][0] or "", e[0][1] or "")
        )
    ]
    out += ["| from | to | operations |", "|---|---|---|", *rows, ""]
    return out
