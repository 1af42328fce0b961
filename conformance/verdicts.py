"""A verdict per rule: what a conformance run says about each rule of the spec.

A run's report (``runner.Report`` or its JSON) holds the groups the target
declared, how many steps exercised each rule (``coverage``) and the distinct
divergences found (``divergences``, one per signature ``{rule, op, kind}``;
a report without that list gives its one ``divergence``). From these,
``rule_verdicts`` gives every rule of the spec (``veridian_ipc.spec.RULES``) one
verdict:

- ``conforms``: exercised N times (N > 0) and no divergence is pinned on it;
- ``diverges``: at least one divergence's signature names it (the IDs say
  which). A rule that was also exercised many times without trouble still
  **diverges**: one disagreement with the spec is a failure, however rare,
  and the count is kept beside it (``count``);
- ``not-examined``: never exercised, with the first reason that applies:
  every step that reached it diverged first (the divergences are named: the
  spec applied the rule at their diverging step, which counts for the
  divergence, not for coverage); its group was not declared; its operations
  are ones the target declared it lacks (``restrictions``: "restricted by the
  target"); its operations diverged before it was reached; the run stopped (a
  target failure, no step run); or the run simply never got there (and which
  divergences cut examples
  short, if any).

A divergence with no rule (at reset, step 0: the initial observations differ;
a crash or hang the signature pins on no rule) is listed apart
(``unattributed``), never pinned on a rule. The summary line reads
``41/52 rules conform, 6 diverge, 5 not examined`` (and how many divergences
are pinned on no rule, when there are any).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veridian_ipc.spec import GROUPS, RuleId, group_of
from veridian_ipc.vocabulary.operations import OP_SPECS, OPS_BY_NAME
from veridian_ipc.vocabulary.results import Data

__all__ = [
    "CONFORMS",
    "DIVERGES",
    "NOT_EXAMINED",
    "RESTRICTED",
    "DivergenceRef",
    "Signature",
    "Summary",
    "Verdict",
    "Verdicts",
    "divergences_of",
    "format_verdicts",
    "plain_report",
    "rule_verdicts",
]

CONFORMS = "conforms"
DIVERGES = "diverges"
NOT_EXAMINED = "not-examined"

#: Operation name -> the rules every step of it exercises (the registry's).
_OP_RULES: dict[str, frozenset[str]] = {
    op.name: frozenset(r.value for r in op.tags) for op in OP_SPECS
}


@dataclass(frozen=True)
class Signature:
    """What makes divergences the same: the rule blamed (None: no rule), the
    operation, and the kind of difference (result, observation, ...)."""

    rule: str | None
    op: str
    kind: str

    def text(self) -> str:
        """``PORT-SEND Send result`` (``reset observation`` for no rule)."""
        return (
            f"{self.rule} {self.op} {self.kind}"
            if self.rule
            else f"{self.op} {self.kind}"
        )

    def to_json(self) -> Data:
        """Plain data."""
        return {"rule": self.rule, "op": self.op, "kind": self.kind}


@dataclass(frozen=True)
class DivergenceRef:
    """One distinct divergence as the verdicts and reports see it."""

    id: str
    signature: Signature
    count: int
    step: int | None
    message: str
    #: The rules the spec applied at the diverging step.
    rules: tuple[str, ...]
    #: The divergence as the report holds it (steps, diff, trace, ...).
    data: Data


@dataclass(frozen=True)
class Verdict:
    """One rule's verdict."""

    rule: str
    group: str
    verdict: str
    #: Steps that exercised the rule without diverging.
    count: int
    #: IDs of the divergences pinned on this rule.
    divergences: tuple[str, ...] = ()
    #: Why the rule was not examined (``not-examined`` only).
    reason: str | None = None

    def to_json(self) -> Data:
        """Plain data."""
        return {
            "rule": self.rule,
            "group": self.group,
            "verdict": self.verdict,
            "count": self.count,
            "divergences": list(self.divergences),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Summary:
    """How many rules got each verdict."""

    rules: int
    conform: int
    diverge: int
    not_examined: int
    unattributed: int

    @property
    def line(self) -> str:
        """``41/52 rules conform, 6 diverge, 5 not examined``."""
        text = (
            f"{self.conform}/{self.rules} rules conform, {self.diverge} diverge, "
            f"{self.not_examined} not examined"
        )
        if self.unattributed:
            many = "divergences" if self.unattributed > 1 else "divergence"
            text += f"; {self.unattributed} {many} on no rule"
        return text

    def to_json(self) -> Data:
        """Plain data (with the line)."""
        return {
            "rules": self.rules,
            "conform": self.conform,
            "diverge": self.diverge,
            "not_examined": self.not_examined,
            "unattributed": self.unattributed,
            "line": self.line,
        }


@dataclass(frozen=True)
class Verdicts:
    """Every rule's verdict, in the spec's order, and the divergences."""

    verdicts: tuple[Verdict, ...]
    divergences: tuple[DivergenceRef, ...]

    @property
    def unattributed(self) -> tuple[DivergenceRef, ...]:
        """Divergences pinned on no rule of the spec."""
        return tuple(d for d in self.divergences if _known(d.signature.rule) is None)

    @property
    def summary(self) -> Summary:
        """The counts of each verdict."""
        kinds = [v.verdict for v in self.verdicts]
        return Summary(
            rules=len(kinds),
            conform=kinds.count(CONFORMS),
            diverge=kinds.count(DIVERGES),
            not_examined=kinds.count(NOT_EXAMINED),
            unattributed=len(self.unattributed),
        )

    def by_group(self) -> list[tuple[str, list[Verdict]]]:
        """The verdicts grouped by group, in the spec's reading order."""
        return [
            (g, [v for v in self.verdicts if v.group == g])
            for g, _ in GROUPS
            if any(v.group == g for v in self.verdicts)
        ]

    def to_json(self) -> Data:
        """``{"verdicts": [...], "summary": {...}}`` (merged into ``--json``)."""
        summary = self.summary.to_json()
        summary["unattributed_divergences"] = [d.id for d in self.unattributed]
        return {
            "verdicts": [v.to_json() for v in self.verdicts],
            "summary": summary,
        }


#: Why a rule whose operations the target lacks altogether is not examined.
RESTRICTED = "restricted by the target"


def _known(rule: object) -> RuleId | None:
    try:
        return RuleId(rule) if isinstance(rule, str) else None
    except ValueError:
        return None


def plain_report(report: object) -> dict[str, Any]:
    """The report as plain data (a ``Report`` or its ``to_json``)."""
    if isinstance(report, dict):
        return report
    to_json = getattr(report, "to_json", None)
    data = to_json() if callable(to_json) else None
    if not isinstance(data, dict):
        raise TypeError(f"not a conformance report: {type(report).__name__}")
    return data


def divergences_of(report: object) -> list[Data]:
    """The distinct divergences of ``report``: its ``divergences`` when it has
    them, else its one ``divergence`` (if any)."""
    found = getattr(report, "divergences", None)
    if found is None and isinstance(report, dict):
        found = report.get("divergences")
    if found is None:
        one = getattr(report, "divergence", None)
        if one is None and isinstance(report, dict):
            one = report.get("divergence")
        found = [one] if isinstance(one, dict) else []
    return [d for d in found if isinstance(d, dict)]


def _last_step(div: Data) -> Data:
    """The diverging step's record, if the divergence carries its steps."""
    steps, at = div.get("steps"), div.get("step")
    if isinstance(steps, list) and isinstance(at, int) and 0 < at <= len(steps):
        step = steps[at - 1]
        return step if isinstance(step, dict) else None
    return None


def _derived_signature(div: Data, last: Data) -> Signature:
    """The signature of a divergence that does not carry one: the rule whose
    check the spec's error stopped at, else the operation's own rule (the
    registry's), else the first rule of the operation's group the spec
    applied at that step; no rule at reset (step 0)."""
    kind = str(div.get("kind", "?"))
    if not isinstance(last, dict):
        return Signature(None, "reset" if div.get("step") == 0 else "?", kind)
    op_data = last.get("op")
    op = str(op_data.get("op", "?")) if isinstance(op_data, dict) else "?"
    rule: str | None = None
    check = last.get("check") or div.get("check")
    spec = OPS_BY_NAME.get(op)
    applied = [r for r in last.get("rules") or [] if _known(r) is not None]
    if "ERR-ATOMIC" in (div.get("invariants") or []):
        rule = "ERR-ATOMIC"
    elif isinstance(check, dict) and _known(check.get("rule")) is not None:
        rule = str(check["rule"])
    elif spec is not None and spec.rule is not None:
        rule = spec.rule.value
    else:
        same_group = [r for r in applied if spec and group_of(RuleId(r)) == spec.group]
        rule = (same_group or applied or [None])[0]
    return Signature(rule, op, kind)


def _ref(i: int, div: Data) -> DivergenceRef:
    last = _last_step(div)
    sig = div.get("signature")
    if isinstance(sig, dict):
        signature = Signature(
            sig.get("rule") if isinstance(sig.get("rule"), str) else None,
            str(sig.get("op", "?")),
            str(sig.get("kind", div.get("kind", "?"))),
        )
    else:
        signature = _derived_signature(div, last)
    rules = last.get("rules") if isinstance(last, dict) else None
    count, step = div.get("count", 1), div.get("step")
    return DivergenceRef(
        id=str(div.get("id") or f"D{i}"),
        signature=signature,
        count=count if isinstance(count, int) else 1,
        step=step if isinstance(step, int) else None,
        message=str(div.get("message", "")),
        rules=tuple(str(r) for r in rules) if isinstance(rules, list) else (),
        data=div,
    )


def _names(refs: Sequence[DivergenceRef], most: int = 3) -> str:
    """``D1 (PORT-SEND Send result), D2 (...)``, at most ``most`` of them."""
    text = ", ".join(f"{d.id} ({d.signature.text()})" for d in refs[:most])
    return text + (f" and {len(refs) - most} more" if len(refs) > most else "")


#: The operations whose own rule each rule is (``OpSpec.rule``).
_RULE_OPS: dict[str, frozenset[str]] = {
    r.value: frozenset(op.name for op in OP_SPECS if op.rule is r) for r in RuleId
}


def _restricted_ops(data: dict[str, Any]) -> set[str]:
    """Operations the report says the target lacks altogether (a
    ``restricts`` entry with no field, ``restrictions``)."""
    items = data.get("restricts") or []
    return {
        str(r["op"])
        for r in items
        if isinstance(r, dict) and "op" in r and r.get("field") is None
    }


def _not_examined_reason(
    rule: RuleId,
    declared: set[str],
    refs: Sequence[DivergenceRef],
    status: str,
    restricted: set[str] | None = None,
) -> str:
    reached = [d for d in refs if rule.value in d.rules]
    if reached:
        return f"every step that reached it diverged first: {_names(reached)}"
    group = group_of(rule)
    if group not in declared:
        return f"group {group} not declared"
    own = _RULE_OPS.get(rule.value, frozenset())
    if own and own <= (restricted or set()):
        return RESTRICTED
    ops = [d for d in refs if rule.value in _OP_RULES.get(d.signature.op, ())]
    if ops:
        return f"its operation diverged before it was reached: {_names(ops)}"
    if status in ("target-failure", "no-steps"):
        return f"never exercised: the run stopped ({status})"
    if refs:
        return f"never exercised; examples cut short by {_names(refs)}"
    return "never exercised, although its group was declared"


def rule_verdicts(
    report: object, divergences: Sequence[Data] | None = None
) -> Verdicts:
    """Every rule's verdict from ``report`` (a ``Report`` or its JSON) and its
    distinct ``divergences`` (by default ``divergences_of(report)``)."""
    data = plain_report(report)
    divs = divergences_of(report) if divergences is None else list(divergences)
    refs = [_ref(i, d) for i, d in enumerate(divs, start=1)]
    cov = data.get("coverage")
    per_rule = cov.get("rules", {}) if isinstance(cov, dict) else {}
    declared = {str(g) for g in data.get("groups") or []}
    status = str(data.get("status", ""))
    restricted = _restricted_ops(data)
    out: list[Verdict] = []
    for rule in RuleId:
        entry = per_rule.get(rule.value)
        raw = entry.get("count", 0) if isinstance(entry, dict) else 0
        count = raw if isinstance(raw, int) else 0
        mine = tuple(d.id for d in refs if d.signature.rule == rule.value)
        if mine:
            out.append(Verdict(rule.value, group_of(rule), DIVERGES, count, mine))
        elif count > 0:
            out.append(Verdict(rule.value, group_of(rule), CONFORMS, count))
        else:
            why = _not_examined_reason(rule, declared, refs, status, restricted)
            out.append(Verdict(rule.value, group_of(rule), NOT_EXAMINED, 0, (), why))
    return Verdicts(tuple(out), tuple(refs))


#: How each verdict reads in the terminal table.
_SHOWN = {CONFORMS: "conforms", DIVERGES: "DIVERGES", NOT_EXAMINED: "not examined"}


def format_verdicts(v: Verdicts) -> str:
    """The terminal table: one line per rule under its group's name (a group
    that was not declared, and so not examined at all, on one line), the
    divergences pinned on no rule, and the summary line last."""
    width = max((len(x.rule) for x in v.verdicts), default=0)
    by_id = {d.id: d for d in v.divergences}
    lines = ["verdicts:"]
    for group, rows in v.by_group():
        undeclared = f"group {group} not declared"
        if all(x.reason == undeclared for x in rows):
            lines.append(f"  {group}: {len(rows)} rules not examined ({undeclared})")
            continue
        lines.append(f"  {group}")
        for x in rows:
            if x.verdict == DIVERGES:
                detail = ", ".join(
                    f"{i} ({by_id[i].signature.op} {by_id[i].signature.kind})"
                    for i in x.divergences
                )
            else:
                detail = x.reason or ""
            count = f"×{x.count}" if x.count else ""
            lines.append(
                f"    {x.rule:<{width}}  {_SHOWN[x.verdict]:<12} {count:>7}  {detail}"
            )
    if v.unattributed:
        lines.append(f"  on no rule: {_names(v.unattributed, most=10)}")
    lines.append(v.summary.line)
    return "\n".join(line.rstrip() for line in lines)
