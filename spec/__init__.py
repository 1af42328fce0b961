"""veridian_ipc.spec: the executable specification of the VeridianOS IPC design.

Read it in this order; each module's docstring is a chapter. The first
chapters are the shared vocabulary, which lives in its own package,
``veridian_ipc.vocabulary``, below the spec (the model imports it, and nothing
of the spec's logic):

1. ``names``      identifiers, fixed limits, configuration (vocabulary)
2. ``errors``     the complete error enum (ERR-ENUM) (vocabulary)
3. ``rights``     rights bits and which operation needs which (RIGHTS-*)
   (vocabulary); ``syscalls`` and ``operations``, the operation records and
   their registry, and ``results`` are vocabulary too
4. ``state``      the state of the whole system
5. ``caps``       handles, derivation, drop, revoke (CAP-*, RIGHTS-*)
6. ``reclaim``    objects destroyed when no capability can reach them
   (CAP-RECLAIM; ``orphans``, a port closed when no RECEIVE is left, beside it)
7. ``processes``  spawn, kill, blocked processes (PROC-*); ``tasks`` beside it,
   threads sharing their task's tables and blocking on their own (PROC-THREAD)
8. ``messages``   message limits, sender, capability transfer (MSG-*)
9. ``filters``    message filters and rate limits (FILTER-*)
10. ``ports``     ports, hand-off, receive, close (PORT-*)
11. ``timeouts``  the logical clock and deadlines (TIME-*)
12. ``namespace`` bind, lookup, typed connect, namespace authority (NS-*)
13. ``channels``  asynchronous rings and batches (CHAN-*)
14. ``blocking``  senders waiting for room on a port or a ring
    (PORT-SEND-BLOCK, CHAN-SEND-BLOCK)
15. ``buffers``   zero-copy shared buffers (BUF-*)
16. ``sockets``   the POSIX layer and errno mapping (POSIX-*)
17. ``quotas``    per-process handle and queued-byte quotas, the object quota
    (where ``OutOfMemory`` comes from)
18. ``step``      the single entry point and error precedence (ERR-*)
19. ``invariants`` what every reachable state satisfies (INV-*)
20. ``observe``   the observable state implementations are compared on
21. ``seed_map``  the seed's calls as operations, its headings as rules
    (documentation only: receive and its default timeout, explained there)
22. ``seed_register`` what the spec leaves out of the seed or does
    differently, each with its reason (documentation only)

This package re-exports the vocabulary names readers of the spec need
(``IpcError``, ``Ok``, ``Err``, ``Rights``, ``RuleId`` ...) next to ``step``
and ``initial_state``, so ``from veridian_ipc.spec import IpcError, Ok, step``
works; ``RULES`` and ``INVARIANTS`` are complete once this package is imported.

The seed is ``ipc-design.md``; every rule cites the section it comes from.
"""

from __future__ import annotations

from veridian_ipc.vocabulary._registry import INVARIANTS, RULES, Entry
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import GROUPS, InvId, RuleId, group_of
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import (
    BLOCKED,
    Blocked,
    CapInfo,
    Delivered,
    Err,
    Ok,
    Result,
    encode_result,
    encode_value,
)
from veridian_ipc.vocabulary.rights import Rights

from . import (
    blocking,  # noqa: F401  (registers PORT-SEND-BLOCK, CHAN-SEND-BLOCK)
    buffers,
    caps,
    channels,
    filters,
    invariants,
    messages,
    namespace,
    observe,
    ports,
    processes,
    sockets,
    tasks,
    timeouts,
)
from .invariants import violations
from .sockets import errno_of
from .state import KernelState, initial_state
from .step import step

__all__ = [
    "BLOCKED",
    "GROUPS",
    "INVARIANTS",
    "RULES",
    "Blocked",
    "CapInfo",
    "Config",
    "Delivered",
    "Entry",
    "Err",
    "InvId",
    "IpcError",
    "KernelState",
    "Ok",
    "Result",
    "Rights",
    "RuleId",
    "buffers",
    "caps",
    "channels",
    "encode_result",
    "encode_value",
    "errno_of",
    "filters",
    "group_of",
    "initial_state",
    "invariants",
    "messages",
    "namespace",
    "observe",
    "ports",
    "processes",
    "sockets",
    "step",
    "tasks",
    "timeouts",
    "violations",
]
