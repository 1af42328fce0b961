"""The quota conditions of the error cascades (spec/quotas.py).

Each is the condition under which a rule's ``OutOfMemory`` for a spent quota
holds; the cascades (``precedence_cascades``) place it last, where the rules
document it: after every rights, argument and object-side check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from veridian_ipc.spec import quotas
from veridian_ipc.spec.state import KernelState, Port
from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary.names import ObjId, Pid

from .precedence_conds import Cond, cap_at

#: Creating an object and its root handle (PORT-, CHAN-, BUF-CREATE).
CREATE_QUOTA = Cond(
    "OutOfMemory",
    "object or handle quota",
    lambda s, pid, op: quotas.check_create(s, pid) is not None,
)
#: Creating an object without a handle (POSIX-SOCKET).
OBJECT_QUOTA = Cond(
    "OutOfMemory",
    "object quota",
    lambda s, pid, op: quotas.check_objects(s) is not None,
)
#: Installing one handle (RIGHTS-DERIVE, NS-LOOKUP, NS-CONNECT).
HANDLE_QUOTA = Cond(
    "OutOfMemory",
    "handle quota",
    lambda s, pid, op: quotas.check_handles(s, pid) is not None,
)


def sent_port(s: KernelState, pid: Pid, op: Any) -> ObjId:
    """The port a ``Send`` offers to (its handle is checked first)."""
    cap = cap_at(s, pid, op.handle)
    assert cap is not None
    return cap.obj


def peer_obj(s: KernelState, pid: Pid, op: Any) -> ObjId:
    """The peer port a ``SockSend`` offers to (checked first)."""
    peer = table_of(s, pid).fds[op.fd].peer
    assert peer is not None
    return s.caps[peer].obj


def queued_quota(obj: Callable[[KernelState, Pid, Any], ObjId]) -> Cond:
    """Queuing the data takes the sender over its queued-bytes quota."""
    return Cond(
        "OutOfMemory",
        "queued-bytes quota",
        lambda s, pid, op: (
            quotas.check_queued(s, pid, obj(s, pid, op), len(op.data)) is not None
        ),
    )


def delivery_quota(port: Callable[[KernelState, Pid, Any], Port]) -> Cond:
    """The oldest queued message's capabilities do not fit the caller's table."""

    def holds(s: KernelState, pid: Pid, op: Any) -> bool:
        q = port(s, pid, op).queue
        return bool(q) and quotas.check_delivery(s, pid, q[0]) is not None

    return Cond("OutOfMemory", "delivery does not fit", holds)


__all__ = [
    "CREATE_QUOTA",
    "HANDLE_QUOTA",
    "OBJECT_QUOTA",
    "delivery_quota",
    "peer_obj",
    "queued_quota",
    "sent_port",
]
