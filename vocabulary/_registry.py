"""Registry of rules and invariants: ``@rule(RuleId.X)`` and ``@invariant(InvId.Y)``.

The decorators return what they decorate unchanged (so mypy, CrossHair and
tracebacks see the plain function) and record an ``Entry``: the ID, the Python
name, the docstring, its one-line summary, and the errors the rule can return in
precedence order. The error list is read from the docstring's section that
starts with ``Errors, in precedence order:`` and lists one ``- ``Name``: ...``
bullet per error, so the prose is the single source of the order.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .ids import InvId, RuleId, group_of

T = TypeVar("T")

_ERRORS_HEADER = "Errors, in precedence order:"
_BULLET = re.compile(r"^\s*-\s+``([A-Za-z]+)``")


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered rule or invariant."""

    id: str
    group: str
    qualname: str
    module: str
    doc: str
    summary: str
    errors: tuple[str, ...]


RULES: dict[RuleId, Entry] = {}
INVARIANTS: dict[InvId, Entry] = {}
#: The object each rule ID is registered on: the spec's step dispatches an
#: operation to the definition of the rule its record declares
#: (vocabulary/operations.py).
DEFINITIONS: dict[RuleId, object] = {}


def parse_errors(doc: str) -> tuple[str, ...]:
    """The error names listed after ``Errors, in precedence order:``, in order.

    The section is a list of ``- ``Name``: ...`` bullets (continuation lines
    indented); it ends at the first blank line after a bullet or at the first
    unindented line that is not a bullet.
    """
    lines = doc.splitlines()
    if _ERRORS_HEADER not in (line.strip() for line in lines):
        return ()
    start = [line.strip() for line in lines].index(_ERRORS_HEADER) + 1
    names: list[str] = []
    for line in lines[start:]:
        m = _BULLET.match(line)
        if m:
            names.append(m.group(1))
        elif not line.strip():
            if names:
                break
        elif not line.startswith(" "):
            break
    return tuple(names)


def _entry(ident: str, group: str, obj: object) -> Entry:
    doc = inspect.getdoc(obj) or ""
    if not doc:
        raise ValueError(f"{ident}: a rule or invariant needs a docstring")
    return Entry(
        id=ident,
        group=group,
        qualname=getattr(obj, "__qualname__", repr(obj)),
        module=getattr(obj, "__module__", ""),
        doc=doc,
        summary=" ".join(doc.split("\n\n", 1)[0].split()),
        errors=parse_errors(doc),
    )


def rule(rule_id: RuleId) -> Callable[[T], T]:
    """Register the decorated function (or class) as the definition of ``rule_id``."""

    def register(obj: T) -> T:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} defined twice")
        RULES[rule_id] = _entry(rule_id.value, group_of(rule_id), obj)
        DEFINITIONS[rule_id] = obj
        return obj

    return register


def invariant(inv_id: InvId) -> Callable[[T], T]:
    """Register the decorated predicate as the definition of ``inv_id``."""

    def register(obj: T) -> T:
        if inv_id in INVARIANTS:
            raise ValueError(f"invariant {inv_id} defined twice")
        INVARIANTS[inv_id] = _entry(inv_id.value, "invariants", obj)
        return obj

    return register
