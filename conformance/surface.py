"""What the suite knows about the operation surface: groups, id-valued fields, tags.

The spec defines what every operation does; this module gives the *harness*
the views of the operation registry (``veridian_ipc.vocabulary.operations``) it needs
to drive and compare targets, none of it semantics, and none of it written
here: each operation record declares them once.

- ``OP_GROUP``: the feature group (``veridian_ipc.spec.GROUPS``) each operation
  belongs to. A target declares the groups it implements and the suite
  generates only their operations.
- ``ID_FIELDS``: which operation fields hold implementation-chosen numbers
  (pids, handles, mapping ids), so they can be renamed between the spec's
  numbering and a target's (file descriptors are normative: never renamed).
- ``RESULT_ID``: which operations return such a number on success.
- ``STATIC_TAGS``: the rule IDs an operation always exercises. ``tags`` adds
  the ones that depend on the outcome (error paths, hand-off, deadlines).
"""

from __future__ import annotations

from veridian_ipc.spec import GROUPS, RULES, RuleId
from veridian_ipc.vocabulary.operations import OP_SPECS, IdKind

__all__ = [
    "ALL_GROUPS",
    "ALWAYS_TAGS",
    "CORE_GROUPS",
    "ID_FIELDS",
    "OP_GROUP",
    "RESULT_ID",
    "STATIC_TAGS",
    "IdKind",
    "op_names_for",
    "rule_with_error",
]

#: Every feature group a target may claim, in reading order.
ALL_GROUPS: tuple[str, ...] = tuple(g for g, _ in GROUPS)

#: Operation name -> its feature group.
OP_GROUP: dict[str, str] = {op.name: op.group for op in OP_SPECS}

#: Groups every target must implement: without them nothing else can be driven.
CORE_GROUPS: frozenset[str] = frozenset({"caps", "ports", "errors"})

#: Operation fields holding renamed numbers; ``Send.caps`` is a tuple of handles.
ID_FIELDS: dict[str, dict[str, IdKind]] = {
    op.name: op.id_fields for op in OP_SPECS if op.id_fields
}

#: Operations whose successful integer result is a renamed number.
RESULT_ID: dict[str, IdKind] = {
    op.name: kind for op in OP_SPECS if (kind := op.result_id) is not None
}

R = RuleId
#: Operation name -> the rule IDs every step of it exercises.
STATIC_TAGS: dict[str, tuple[RuleId, ...]] = {op.name: op.tags for op in OP_SPECS}

#: Rules that are checked on every step rather than by one operation.
ALWAYS_TAGS: tuple[RuleId, ...] = (R.ERR_ENUM, R.ERR_PRECEDENCE)


def op_names_for(groups: frozenset[str]) -> frozenset[str]:
    """The operations a target claiming ``groups`` is driven with."""
    return frozenset(name for name, g in OP_GROUP.items() if g in groups)


def rule_with_error(candidates: tuple[RuleId, ...], error: str) -> RuleId | None:
    """The first of ``candidates`` whose documented errors include ``error``."""
    for rid in candidates:
        entry = RULES.get(rid)
        if entry is not None and error in entry.errors:
            return rid
    return None
