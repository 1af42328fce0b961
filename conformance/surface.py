"""What the suite knows about the operation surface: groups, id-valued fields, tags.

The spec defines what every operation does; this module records only what the
*harness* needs to drive and compare targets, none of it semantics:

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

from enum import Enum

from veridian_ipc.spec import GROUPS, RULES, RuleId
from veridian_ipc.spec.syscalls import OPERATIONS


class IdKind(Enum):
    """A kind of implementation-chosen number."""

    PID = "pid"
    HANDLE = "handle"
    MAPPING = "mapping"


#: Every feature group a target may claim, in reading order.
ALL_GROUPS: tuple[str, ...] = tuple(g for g, _ in GROUPS)

OP_GROUP: dict[str, str] = {
    "Spawn": "caps",
    "Kill": "caps",
    "Inspect": "caps",
    "Drop": "caps",
    "Derive": "rights",
    "Revoke": "rights",
    "CreatePort": "ports",
    "Send": "ports",
    "Receive": "ports",
    "Resume": "ports",
    "Close": "ports",
    "SetFilter": "filters",
    "Bind": "namespace",
    "Unbind": "namespace",
    "Lookup": "namespace",
    "Connect": "namespace",
    "AdvanceClock": "timeouts",
    "CreateChannel": "channels",
    "ChannelSend": "channels",
    "ChannelSendBatch": "channels",
    "ChannelReceive": "channels",
    "ChannelReceiveBatch": "channels",
    "CreateBuffer": "buffers",
    "MapBuffer": "buffers",
    "Unmap": "buffers",
    "ReadBuffer": "buffers",
    "WriteBuffer": "buffers",
    "TransferBuffer": "buffers",
    "Socket": "posix",
    "SockBind": "posix",
    "SockConnect": "posix",
    "SockSend": "posix",
    "SockRecv": "posix",
    "SockClose": "posix",
}

#: Groups every target must implement: without them nothing else can be driven.
CORE_GROUPS: frozenset[str] = frozenset({"caps", "ports", "errors"})

#: Operation fields holding renamed numbers; ``Send.caps`` is a tuple of handles.
ID_FIELDS: dict[str, dict[str, IdKind]] = {
    "Kill": {"target": IdKind.PID},
    "Inspect": {"handle": IdKind.HANDLE},
    "Drop": {"handle": IdKind.HANDLE},
    "Derive": {"handle": IdKind.HANDLE},
    "Revoke": {"handle": IdKind.HANDLE},
    "Send": {"handle": IdKind.HANDLE, "caps": IdKind.HANDLE},
    "Receive": {"handle": IdKind.HANDLE},
    "Close": {"handle": IdKind.HANDLE},
    "SetFilter": {"handle": IdKind.HANDLE},
    "Bind": {"handle": IdKind.HANDLE},
    "Unbind": {"handle": IdKind.HANDLE},
    "ChannelSend": {"handle": IdKind.HANDLE},
    "ChannelSendBatch": {"handle": IdKind.HANDLE},
    "ChannelReceive": {"handle": IdKind.HANDLE},
    "ChannelReceiveBatch": {"handle": IdKind.HANDLE},
    "MapBuffer": {"handle": IdKind.HANDLE},
    "Unmap": {"mapping": IdKind.MAPPING},
    "ReadBuffer": {"mapping": IdKind.MAPPING},
    "WriteBuffer": {"mapping": IdKind.MAPPING},
    "TransferBuffer": {"handle": IdKind.HANDLE, "port": IdKind.HANDLE},
}

#: Operations whose successful integer result is a renamed number.
RESULT_ID: dict[str, IdKind] = {
    "Spawn": IdKind.PID,
    "CreatePort": IdKind.HANDLE,
    "Derive": IdKind.HANDLE,
    "Lookup": IdKind.HANDLE,
    "Connect": IdKind.HANDLE,
    "CreateChannel": IdKind.HANDLE,
    "CreateBuffer": IdKind.HANDLE,
    "MapBuffer": IdKind.MAPPING,
}

R = RuleId
STATIC_TAGS: dict[str, tuple[RuleId, ...]] = {
    "Spawn": (R.PROC_SPAWN,),
    "Kill": (R.PROC_KILL,),
    "AdvanceClock": (R.TIME_ADVANCE,),
    "Inspect": (R.CAP_INSPECT, R.CAP_HANDLE),
    "Drop": (R.CAP_DROP, R.CAP_HANDLE),
    "Derive": (R.RIGHTS_DERIVE, R.CAP_HANDLE, R.RIGHTS_BITS),
    "Revoke": (R.RIGHTS_REVOKE, R.CAP_HANDLE),
    "CreatePort": (R.PORT_CREATE,),
    "Send": (R.PORT_SEND, R.MSG_LIMITS, R.MSG_SENDER, R.RIGHTS_REQUIRED),
    "Receive": (R.PORT_RECEIVE, R.RIGHTS_REQUIRED),
    "Resume": (R.PORT_RESUME,),
    "Close": (R.RIGHTS_REQUIRED,),
    "SetFilter": (R.FILTER_SET, R.RIGHTS_REQUIRED),
    "Bind": (R.NS_BIND, R.RIGHTS_REQUIRED),
    "Unbind": (R.NS_UNBIND,),
    "Lookup": (R.NS_LOOKUP,),
    "Connect": (R.NS_CONNECT,),
    "CreateChannel": (R.CHAN_CREATE,),
    "ChannelSend": (R.CHAN_SEND, R.RIGHTS_REQUIRED),
    "ChannelSendBatch": (R.CHAN_SEND_BATCH, R.RIGHTS_REQUIRED),
    "ChannelReceive": (R.CHAN_RECEIVE, R.RIGHTS_REQUIRED),
    "ChannelReceiveBatch": (R.CHAN_RECEIVE_BATCH, R.RIGHTS_REQUIRED),
    "CreateBuffer": (R.BUF_CREATE,),
    "MapBuffer": (R.BUF_MAP,),
    "Unmap": (R.BUF_UNMAP,),
    "ReadBuffer": (R.BUF_READ,),
    "WriteBuffer": (R.BUF_WRITE,),
    "TransferBuffer": (R.BUF_TRANSFER, R.RIGHTS_REQUIRED),
    "Socket": (R.POSIX_SOCKET,),
    "SockBind": (R.POSIX_BIND,),
    "SockConnect": (R.POSIX_CONNECT,),
    "SockSend": (R.POSIX_SEND,),
    "SockRecv": (R.POSIX_RECV,),
    "SockClose": (R.POSIX_CLOSE,),
}

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


def _check_tables() -> None:
    names = {c.__name__ for c in OPERATIONS}
    for table in (OP_GROUP, STATIC_TAGS):
        if set(table) != names:  # a new operation must be classified here
            raise RuntimeError(f"surface table out of date: {set(table) ^ names}")
    for g in OP_GROUP.values():
        if g not in ALL_GROUPS:
            raise RuntimeError(f"unknown group {g}")


_check_tables()
