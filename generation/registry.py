"""What the generators read from the operation registry (``vocabulary/operations.py``).

``OP_GROUP`` maps each operation's name to its feature group: a flow adds
only steps of the groups the target claims, and a run of the spec claims them
all (``ALL_GROUPS``). ``ops.GENERATORS`` covers exactly the registry
(checked at import by the registry's ``check_table``), so a new operation
without a generator fails loudly, by name.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.operations import GROUP_NAMES, OP_SPECS

#: Operation name -> its feature group.
OP_GROUP: dict[str, str] = {op.name: op.group for op in OP_SPECS}

#: Every feature group, in reading order: what a run of the spec claims.
ALL_GROUPS: frozenset[str] = frozenset(GROUP_NAMES)

__all__ = ["ALL_GROUPS", "OP_GROUP"]
