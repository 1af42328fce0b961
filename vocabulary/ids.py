"""Stable identifiers of the spec's rules and invariants: the table of contents.

Every rule of the design has a ``RuleId``; every invariant the proofs and the
conformance monitors check has an ``InvId``. IDs are append-only: never renamed,
renumbered or reused, because proofs, conformance traces, test vectors and other
implementations' bug reports cite them.

The prefix of a rule ID names its group (see ``GROUPS``), which is also the
chapter of the spec that defines it.
"""

from __future__ import annotations

from enum import StrEnum


class RuleId(StrEnum):
    """One rule of the design."""

    # Processes and capability tables (spec/processes.py, spec/caps.py)
    PROC_SPAWN = "PROC-SPAWN"
    PROC_KILL = "PROC-KILL"
    PROC_STATUS = "PROC-STATUS"
    PROC_THREAD = "PROC-THREAD"
    CAP_HANDLE = "CAP-HANDLE"
    CAP_INSPECT = "CAP-INSPECT"
    CAP_DROP = "CAP-DROP"
    CAP_RECLAIM = "CAP-RECLAIM"
    # Rights and derivation (vocabulary/rights.py, spec/caps.py)
    RIGHTS_BITS = "RIGHTS-BITS"
    RIGHTS_REQUIRED = "RIGHTS-REQUIRED"
    RIGHTS_DERIVE = "RIGHTS-DERIVE"
    RIGHTS_REVOKE = "RIGHTS-REVOKE"
    # Ports (spec/ports.py)
    PORT_CREATE = "PORT-CREATE"
    PORT_SEND = "PORT-SEND"
    PORT_HANDOFF = "PORT-HANDOFF"
    PORT_RECEIVE = "PORT-RECEIVE"
    PORT_RESUME = "PORT-RESUME"
    PORT_CLOSE = "PORT-CLOSE"
    PORT_SEND_BLOCK = "PORT-SEND-BLOCK"
    # Synchronous messages (spec/messages.py)
    MSG_LIMITS = "MSG-LIMITS"
    MSG_SENDER = "MSG-SENDER"
    MSG_TRANSFER = "MSG-TRANSFER"
    MSG_INFLIGHT_REVOKE = "MSG-INFLIGHT-REVOKE"
    # Namespace (spec/namespace.py)
    NS_BIND = "NS-BIND"
    NS_UNBIND = "NS-UNBIND"
    NS_LOOKUP = "NS-LOOKUP"
    NS_CONNECT = "NS-CONNECT"
    # Filters (spec/filters.py)
    FILTER_SET = "FILTER-SET"
    FILTER_CHECK = "FILTER-CHECK"
    FILTER_RATE = "FILTER-RATE"
    # Timeouts (spec/timeouts.py)
    TIME_ADVANCE = "TIME-ADVANCE"
    TIME_DEADLINE = "TIME-DEADLINE"
    # Asynchronous channels (spec/channels.py)
    CHAN_CREATE = "CHAN-CREATE"
    CHAN_SEND = "CHAN-SEND"
    CHAN_SEND_BATCH = "CHAN-SEND-BATCH"
    CHAN_RECEIVE = "CHAN-RECEIVE"
    CHAN_RECEIVE_BATCH = "CHAN-RECEIVE-BATCH"
    CHAN_CLOSE = "CHAN-CLOSE"
    CHAN_SEND_BLOCK = "CHAN-SEND-BLOCK"
    # Zero-copy shared buffers (spec/buffers.py)
    BUF_CREATE = "BUF-CREATE"
    BUF_MAP = "BUF-MAP"
    BUF_UNMAP = "BUF-UNMAP"
    BUF_READ = "BUF-READ"
    BUF_WRITE = "BUF-WRITE"
    BUF_TRANSFER = "BUF-TRANSFER"
    # POSIX layer (spec/sockets.py)
    POSIX_SOCKET = "POSIX-SOCKET"
    POSIX_BIND = "POSIX-BIND"
    POSIX_CONNECT = "POSIX-CONNECT"
    POSIX_SEND = "POSIX-SEND"
    POSIX_RECV = "POSIX-RECV"
    POSIX_CLOSE = "POSIX-CLOSE"
    POSIX_ERRNO = "POSIX-ERRNO"
    # Errors (vocabulary/errors.py, spec/step.py)
    ERR_ENUM = "ERR-ENUM"
    ERR_PRECEDENCE = "ERR-PRECEDENCE"
    ERR_TOTAL = "ERR-TOTAL"
    ERR_ATOMIC = "ERR-ATOMIC"


class InvId(StrEnum):
    """One invariant of the state; ``spec/invariants.py`` defines each."""

    HANDLES_LIVE = "INV-HANDLES-LIVE"
    CAP_LOCATION = "INV-CAP-LOCATION"
    DERIVATION_TREE = "INV-DERIVATION-TREE"
    RIGHTS_MONOTONE = "INV-RIGHTS-MONOTONE"
    RIGHTS_KIND = "INV-RIGHTS-KIND"
    QUEUE_BOUND = "INV-QUEUE-BOUND"
    MESSAGE_LIMITS = "INV-MESSAGE-LIMITS"
    WAITERS = "INV-WAITERS"
    RING_BOUNDS = "INV-RING-BOUNDS"
    BUFFER_BOUNDS = "INV-BUFFER-BOUNDS"
    MAPPINGS_LIVE = "INV-MAPPINGS-LIVE"
    NAMESPACE_LIVE = "INV-NAMESPACE-LIVE"
    SOCKETS_LIVE = "INV-SOCKETS-LIVE"
    BUCKET_BOUND = "INV-BUCKET-BOUND"
    IDS_FRESH = "INV-IDS-FRESH"


#: Rule groups in reading order: (prefix, title).
GROUPS: tuple[tuple[str, str], ...] = (
    ("caps", "Processes and capability tables"),
    ("rights", "Rights and derivation"),
    ("ports", "Ports"),
    ("messages", "Synchronous messages"),
    ("namespace", "Namespace"),
    ("filters", "Message filters"),
    ("timeouts", "Timeouts"),
    ("channels", "Asynchronous channels"),
    ("buffers", "Zero-copy shared buffers"),
    ("posix", "POSIX layer"),
    ("errors", "Errors"),
)

_PREFIX_GROUP: dict[str, str] = {
    "PROC": "caps",
    "CAP": "caps",
    "RIGHTS": "rights",
    "PORT": "ports",
    "MSG": "messages",
    "NS": "namespace",
    "FILTER": "filters",
    "TIME": "timeouts",
    "CHAN": "channels",
    "BUF": "buffers",
    "POSIX": "posix",
    "ERR": "errors",
}


def group_of(rule_id: RuleId) -> str:
    """The group (chapter) a rule belongs to, from its ID prefix."""
    return _PREFIX_GROUP[rule_id.value.split("-", 1)[0]]
