"""What the pages are made of, read from the code.

- ``chapters()``: the spec's chapters in its reading order (the numbered list
  of ``veridian_ipc.spec``'s docstring), each with its module and rules;
- ``operations_of(rule)``: the operations dispatched to a rule, and
  ``exercised_by(rule)`` those that exercise it on every step (``also``);
- ``seed_sections(rule)``: the seed headings a rule implements
  (``spec.seed_map.SECTIONS``, then ``seed_register``), else those its
  chapter's docstring names;
- ``traceability()``: for every rule, the proof obligations, behaviours,
  mutants and regression vectors that point at it. The proofs column goes
  through ``proof_links`` alone, so a richer per-rule coverage table of the
  proofs package can replace ``obligations.coverage`` in one place.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

import veridian_ipc.spec as spec_pkg
from veridian_ipc.spec import INVARIANTS, RULES, Entry, InvId, RuleId
from veridian_ipc.spec.seed_map import SECTIONS
from veridian_ipc.spec.seed_register import REGISTER
from veridian_ipc.vocabulary.operations import OP_SPECS, OpSpec

#: The rules a ``Close`` dispatches to, by the kind of object it names.
CLOSE_RULES = (RuleId.PORT_CLOSE, RuleId.CHAN_CLOSE)

_CHAPTER_LINE = re.compile(r"^\s*\d+\.\s+``(\w+)``\s+(.*)$")
_SEED = re.compile(r'[Ss]eed sections? ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)')


@dataclass(frozen=True)
class Chapter:
    """One module of the spec (or of the vocabulary) read as a chapter."""

    name: str
    module: ModuleType
    blurb: str
    rules: tuple[Entry, ...] = ()
    invariants: tuple[Entry, ...] = ()

    @property
    def title(self) -> str:
        """The module docstring's first line, without its trailing period."""
        return (self.module.__doc__ or self.name).strip().splitlines()[0].rstrip(".")

    @property
    def page(self) -> str:
        """The chapter's page, relative to the site root."""
        return f"spec/{self.name}.md"


def _module(name: str) -> ModuleType:
    for package in ("veridian_ipc.spec", "veridian_ipc.vocabulary"):
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError:
            continue
    raise LookupError(f"chapter {name!r}: no such spec or vocabulary module")


@cache
def chapters() -> tuple[Chapter, ...]:
    """The chapters in reading order, each with its rules in ``RuleId`` order."""
    names: list[tuple[str, str]] = []
    for line in (spec_pkg.__doc__ or "").splitlines():
        m = _CHAPTER_LINE.match(line)
        if m:
            names.append((m.group(1), m.group(2).strip()))
    out = []
    for name, blurb in names:
        module = _module(name)
        rules = tuple(RULES[r] for r in RuleId if RULES[r].module == module.__name__)
        invs = tuple(
            INVARIANTS[i] for i in InvId if INVARIANTS[i].module == module.__name__
        )
        out.append(Chapter(name, module, blurb, rules, invs))
    placed = {e.id for c in out for e in c.rules}
    missing = sorted(r.value for r in RuleId if r.value not in placed)
    if missing:
        raise LookupError(f"rules in no chapter of the reading order: {missing}")
    return tuple(out)


@cache
def anchors() -> dict[str, str]:
    """Rule and invariant ID -> its page and anchor (``spec/ports.md#port-send``)."""
    out: dict[str, str] = {}
    for c in chapters():
        for e in (*c.rules, *c.invariants):
            out[e.id] = f"{c.page}#{anchor(e.id)}"
    return out


def anchor(ident: str) -> str:
    """The stable anchor of a rule or invariant ID: ``PORT-SEND`` -> ``port-send``."""
    return ident.lower()


def operations_of(rule: RuleId) -> list[OpSpec]:
    """The operations ``step`` dispatches to ``rule``."""
    return [
        op
        for op in OP_SPECS
        if op.rule == rule or (op.rule is None and rule in CLOSE_RULES)
    ]


def exercised_by(rule: RuleId) -> list[OpSpec]:
    """The operations that exercise ``rule`` on every step without being
    dispatched to it (their ``also``)."""
    return [op for op in OP_SPECS if rule in op.also]


def _chapter_sections(module: ModuleType) -> list[str]:
    m = _SEED.search(module.__doc__ or "")
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def seed_sections(rule: RuleId) -> tuple[list[str], str]:
    """The seed headings ``rule`` implements, and where that was read:
    ``"seed map"``, ``"register"``, ``"chapter"`` or ``""`` (none)."""
    found = [h for h, rules in SECTIONS.items() if rule in rules]
    if found:
        return found, "seed map"
    found = list(dict.fromkeys(d.section for d in REGISTER if rule in d.rules))
    if found:
        return found, "register"
    module = importlib.import_module(RULES[rule].module)
    found = _chapter_sections(module)
    return found, "chapter" if found else ""


# -- traceability ----------------------------------------------------------------


@dataclass
class Trace:
    """Everything that points at one rule."""

    proofs: list[str] = field(default_factory=list)
    behaviours: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    mutants: list[str] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)


def proof_links() -> Mapping[str, Iterable[str]]:
    """Rule/invariant ID -> the proof obligations that cover it.

    The one adapter between the site and the proofs package: a per-rule
    coverage table there (``proofs.coverage.rule_coverage``), when it exists
    and maps IDs to obligation IDs, is used; else ``obligations.coverage``.
    """
    try:
        module = importlib.import_module("veridian_ipc.proofs.coverage")
    except ModuleNotFoundError:
        module = None
    rule_coverage = getattr(module, "rule_coverage", None)
    if callable(rule_coverage):
        table = rule_coverage()
        if isinstance(table, Mapping) and all(isinstance(k, str) for k in table):
            return {k: [str(x) for x in v] for k, v in table.items()}
    from veridian_ipc.proofs.obligations import coverage

    return coverage()


def vector_dir() -> Path:
    """The conformance package's regression vectors."""
    import veridian_ipc.conformance as conformance

    return Path(next(iter(conformance.__path__))) / "vectors"


def vector_rules() -> dict[str, list[str]]:
    """Vector file name -> the rules of its last step (the one it pins)."""
    out: dict[str, list[str]] = {}
    for path in sorted(vector_dir().glob("*.json")):
        data = json.loads(path.read_text())
        steps = data.get("steps") or []
        last = steps[-1] if steps else {}
        rules = [str(r) for r in last.get("rules", [])]
        if not rules:
            rules = sorted({str(r) for st in steps for r in st.get("rules", [])})
        out[path.name] = rules
    return out


@cache
def traceability() -> dict[str, Trace]:
    """Rule ID -> what proves, exercises, targets and pins it."""
    from veridian_ipc.conformance.behaviours_catalogue import CATALOGUE
    from veridian_ipc.conformance.mutants import MUTANTS

    out = {r.value: Trace() for r in RuleId}
    for ident, obligations in proof_links().items():
        if ident in out:
            out[ident].proofs = sorted(obligations)
    for b in CATALOGUE:
        for r in b.rules:
            out[r.value].behaviours.append(b.id)
    for op in OP_SPECS:
        for r in (*operations_of_op(op), *op.also):
            out[r.value].operations.append(op.name)
    for m in MUTANTS:
        for r in m.rules:
            out[r.value].mutants.append(m.__name__)
    for name, pinned in vector_rules().items():
        for ident in pinned:
            if ident in out:
                out[ident].vectors.append(name)
    return out


def operations_of_op(op: OpSpec) -> tuple[RuleId, ...]:
    """The rules ``op`` is dispatched to (both close rules for ``Close``)."""
    return CLOSE_RULES if op.rule is None else (op.rule,)
