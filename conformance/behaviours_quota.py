"""Behaviours of buffer ownership (BUF-TRANSFER) and resource quotas.

Part of the catalogue (``behaviours_catalogue``); see ``behaviours_base`` for
what a behaviour and its predicate are.
"""

from __future__ import annotations

from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.results import Result
from veridian_ipc.vocabulary.rights import GRANT, MANAGE
from veridian_ipc.vocabulary.syscalls import (
    Operation,
    TransferBuffer,
)

from .behaviours_base import History, behaviour, cap_at, failed_with, ok

R = RuleId
S = KernelState
H = History


@behaviour(
    "B-BUF-TRANSFER-BY-DELEGATE",
    (R.BUF_TRANSFER, R.RIGHTS_DERIVE),
    "a delegate holding MANAGE and GRANT on a derived capability tries to"
    " transfer the buffer (refused: only the owner transfers)",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return (
        failed_with(r, "InsufficientRights")
        and c is not None
        and c.parent is not None
        and c.rights & (MANAGE | GRANT) == MANAGE | GRANT
    )


@behaviour(
    "B-BUF-TRANSFER-KEEPS-DELEGATES",
    (R.BUF_TRANSFER, R.RIGHTS_DERIVE),
    "the owner transfers a buffer while a capability derived from its root"
    " is held elsewhere (it stays)",
    TransferBuffer,
)
def _(pre: S, pid: int, op: Operation, r: Result, post: S, h: H) -> bool:
    c = cap_at(pre, pid, getattr(op, "handle", None))
    return ok(r) and c is not None and bool(c.children)
