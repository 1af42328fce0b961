"""Per rule, what covers it and what does not: the honest coverage table.

``rule_coverage()`` returns one row per rule (in ``RuleId`` order) as plain
data, for the rule index (``veridian-ipc spec``) and the documentation site:

- ``proofs``: the Z3 obligations whose statement mentions the rule's own
  effect (``Obligation.covers``), each with its theorem (``CAP-SAFETY`` for
  the capability parts), whether it holds by construction, and whether it
  proves only the rule's error order (ERR-PRECEDENCE: not its effect);
- ``exercised_by``: obligations whose proof includes the rule's transitions
  without stating its effect (a kill as a generic "destroy any capability"):
  listed, not counted;
- ``step_properties``: the exhaustive check's step properties that name the
  rule (``step_properties.PROPERTIES``), checked on every explored transition;
- ``scopes``: the exhaustive check's CI scopes whose enabled operations
  dispatch to the rule, with their depth and, when measured, the states and
  transitions searched (``measure=True`` runs the search: a few seconds);
- ``tests``: the test modules that name the rule ID (when the test tree is
  present beside the package sources, else ``None``);
- ``gaps``: what is missing, in words: no proof, no step property, no scope.

A rule is *proved* when ``proofs`` is not empty, *checked exhaustively* when
a step property names it and a scope reaches it. Invariants are not rows:
every invariant is checked on every explored state and has an obligation
(``obligations.coverage``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from veridian_ipc.spec import RULES, RuleId
from veridian_ipc.vocabulary.operations import OP_SPECS

from .explore import explore
from .explore_scopes import CI_SCOPES, SCOPES, Scope
from .obligations import OBLIGATIONS
from .step_properties import PROPERTIES


def _scope_ops(scope: Scope) -> set[str]:
    ops = set(scope.ops)
    if scope.kill:
        ops.add("Kill")
    return ops


#: Rules an operation reaches beyond its registry tags: ``Close`` names no
#: rule (its rule is the closed object's), and a send to a filtered port runs
#: the filter's checks (FILTER-CHECK, FILTER-RATE) when the scope sets one.
_CLOSE = {RuleId.PORT_CLOSE: "Close", RuleId.CHAN_CLOSE: "Close"}
_FILTERED = {RuleId.FILTER_CHECK, RuleId.FILTER_RATE}


def _reaching(rule: RuleId) -> set[str]:
    """The operations whose steps exercise ``rule`` (the registry's tags)."""
    ops = {spec.name for spec in OP_SPECS if rule in spec.tags}
    if rule in _CLOSE:
        ops.add(_CLOSE[rule])
    return ops


def _reaches(rule: RuleId, scope: Scope) -> bool:
    if _reaching(rule) & _scope_ops(scope):
        return True
    return rule in _FILTERED and bool(scope.filters) and "Send" in scope.ops


@cache
def scope_sizes() -> dict[str, tuple[int, int, int]]:
    """Each CI scope's (depth, states, transitions), measured by one search
    without the step properties (cached for the process)."""
    out: dict[str, tuple[int, int, int]] = {}
    for name in CI_SCOPES:
        r = explore(SCOPES[name], properties=False)
        out[name] = (r.depth, r.states, r.transitions)
    return out


def _tests_root() -> Path | None:
    root = Path(__file__).resolve().parent.parent / "tests"
    return root if root.is_dir() else None


@cache
def _test_texts() -> dict[str, str] | None:
    root = _tests_root()
    if root is None:
        return None
    return {
        str(p.relative_to(root.parent)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("test_*.py"))
    }


def _naming(rule: RuleId, texts: dict[str, str]) -> list[str]:
    pat = re.compile(rf"(?<![A-Z-]){re.escape(rule.value)}(?![A-Z-])")
    return [path for path, text in texts.items() if pat.search(text)]


def rule_coverage(measure: bool = False) -> list[dict[str, Any]]:
    """One row per rule: its proofs, what only exercises it, its step
    properties and scopes, the tests naming it, and its gaps (module
    docstring). ``measure`` fills in the scopes' state and transition
    counts (``None`` otherwise)."""
    sizes = scope_sizes() if measure else {}
    texts = _test_texts()
    rows: list[dict[str, Any]] = []
    for rule in RuleId:
        proofs = [
            {
                "obligation": ob.id,
                "theorem": ob.theorem or None,
                "by_construction": bool(ob.by_construction),
                "error_order_only": ob.id == "ERR-PRECEDENCE"
                and rule is not RuleId.ERR_PRECEDENCE,
            }
            for ob in OBLIGATIONS
            if rule in ob.covers
        ]
        exercised = [ob.id for ob in OBLIGATIONS if rule in ob.exercises]
        props = [p.id for p in PROPERTIES if rule in p.rules]
        # a rule no operation is tagged with (ERR-ATOMIC, ERR-TOTAL) is
        # checked on every transition of every scope by its properties
        general = not _reaching(rule) and rule not in _FILTERED and bool(props)
        scopes = []
        for name in CI_SCOPES:
            scope = SCOPES[name]
            if not general and not _reaches(rule, scope):
                continue
            depth, states, moves = sizes.get(name, (scope.depth, None, None))
            scopes.append(
                {"scope": name, "depth": depth, "states": states, "transitions": moves}
            )
        gaps = []
        if not [p for p in proofs if not p["error_order_only"]]:
            gaps.append("no proof obligation states its effect")
        if not props:
            gaps.append("no step property of the exhaustive check names it")
        if not scopes:
            gaps.append("no exhaustive-check scope reaches it")
        tests = None if texts is None else _naming(rule, texts)
        if tests == []:
            gaps.append("no test names it")
        rows.append(
            {
                "id": rule.value,
                "group": RULES[rule].group,
                "proofs": proofs,
                "exercised_by": exercised,
                "step_properties": props,
                "scopes": scopes,
                "tests": tests,
                "gaps": gaps,
            }
        )
    return rows


def coverage_line(row: dict[str, Any]) -> str:
    """One rule's coverage in a line: proofs, exhaustive check, tests."""
    proofs = ", ".join(
        p["obligation"]
        + (" (by construction)" if p["by_construction"] else "")
        + (" (error order only)" if p["error_order_only"] else "")
        for p in row["proofs"]
    )
    scopes = ", ".join(
        s["scope"] if s["states"] is None else f"{s['scope']} ({s['states']} states)"
        for s in row["scopes"]
    )
    parts = [
        f"proved by {proofs}" if proofs else "not proved",
        f"checked by {', '.join(row['step_properties'])} in {scopes or 'no scope'}"
        if row["step_properties"]
        else f"explored in {scopes}"
        if scopes
        else "not explored",
    ]
    if row["tests"] is not None:
        parts.append(f"{len(row['tests'])} test modules")
    if row["exercised_by"]:
        parts.append(f"exercised only by {', '.join(row['exercised_by'])}")
    return "; ".join(parts)


__all__ = ["coverage_line", "rule_coverage", "scope_sizes"]
