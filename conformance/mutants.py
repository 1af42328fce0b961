"""Mutants: deliberately wrong targets that the suite must tell from the spec.

This module is the catalogue's index: ``MUTANTS`` lists the mutants (49,
then 22 for the behaviours a short random walk seldom reaches, then one for
Unbind's precedence, then those for peer death, then those for reclamation
and what a revoke does to messages in flight), and every
mutant, the ``Mutant`` base and the campaign
(``run_campaign``, ``run_mutant``, ``MutantResult``) can be imported from here
(``veridian_ipc.conformance.mutants:NoHandoff`` names a target).

Each mutant is a small subclass of ``Mutant`` (``mutants_base``) that perturbs
exactly one rule (named in ``rules``) in a way a real implementation could get
wrong: a rights leak on derive, a revoke that misses grandchildren, a
reordered queue, an off-by-one capacity, a capability leaked by a failed send,
a filter that admits one message too many, ownership kept after a transfer,
the wrong error precedence, the wrong fd numbering, a reused handle... The
perturbations work on the spec's own state with the spec's bookkeeping
helpers, so mutants do not depend on any implementation. They live by feature
group:

- ``mutants_caps``: capabilities, rights, processes (CAP-*, RIGHTS-*, PROC-*);
- ``mutants_ports``: ports, messages, filters, timeouts (PORT-*, MSG-*,
  FILTER-*, TIME-*);
- ``mutants_namespace``: the namespace (NS-*);
- ``mutants_channels``: channels (CHAN-*);
- ``mutants_buffers``: shared buffers (BUF-*);
- ``mutants_posix``: the socket layer (POSIX-*);
- ``mutants_tree``: the derivation tree and what a revoke reaches (RIGHTS-*,
  CAP-DROP);
- ``mutants_travel``: capabilities that cross processes and are then used
  (MSG-TRANSFER, MSG-SENDER, PORT-HANDOFF);
- ``mutants_waits``: waiting, waking and time (PORT-RECEIVE, PORT-RESUME,
  TIME-*, FILTER-RATE);
- ``mutants_blocking``: blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK).

``mutants_campaign`` runs the suite against each and reports the kill rate and
how fast each was killed. A mutant whose difference no sequence of operations
can show is *equivalent* and is flagged as such (``equivalent = True``); none
is, today.
"""

from __future__ import annotations

from .mutants_base import Mutant
from .mutants_blocking import (
    BlockedSendersLifo,
    CloseLeavesSenders,
    SenderDeadlineIgnored,
)
from .mutants_buffers import (
    MapWithoutWrite,
    ReadPastEnd,
    TransferByDelegate,
    TransferFullRights,
    TransferKeepsOwnership,
    TransferNeedsRead,
    TransferStripsOthers,
    WriteReadOnly,
)
from .mutants_campaign import MutantResult, format_matrix, run_campaign, run_mutant
from .mutants_caps import (
    BlockedMayInspect,
    BoolIsInt,
    DeriveAmplifies,
    DeriveKeepsRights,
    DropKeepsMappings,
    DropRevokesChildren,
    FailedDeriveCreates,
    HandleReuse,
    InflightSurvivesRevoke,
    InspectChannelAsPort,
    KillLeavesWaiter,
    NeverReclaims,
    RevokeChildrenOnly,
    SelfCycleKept,
    SpawnReusesPid,
)
from .mutants_channels import (
    BatchPartial,
    ChannelCloseDrops,
    ReceiveBatchExtra,
    RingFullEarly,
)
from .mutants_namespace import (
    AmbientNamespace,
    BindPublishesHeldRights,
    BindReplaces,
    CloseKeepsBindings,
    ConnectIgnoresType,
    LookupFullRights,
    StaleLookupAfterUnbind,
    UnbindNameFirst,
    UnbindWithoutManage,
)
from .mutants_ports import (
    Accept65Bytes,
    ClockNoExpiry,
    CloseDropsQueue,
    CloseLeavesWaiters,
    DeadlinePlusOne,
    FilterSizeOffByOne,
    FilterWithoutManage,
    FiveCaps,
    HandoffToLastWaiter,
    NoHandoff,
    OrphanPortStaysOpen,
    OversizeBeforeHandle,
    PortCapacityPlusOne,
    RateLimitOneExtra,
    ReceiveNewestFirst,
    ResumeTimeoutAsClosed,
    SendCopiesCaps,
    SenderIsReceiver,
    SendLeaksCapOnFailure,
    TryReceiveBlocks,
)
from .mutants_posix import (
    CloseReportsNothing,
    ReconnectAllowed,
    RecvDropsCaps,
    RecvHidesCaps,
    RecvTruncates,
    SocketFdNotLowest,
    UnconnectedSendEpipe,
)
from .mutants_quota import (
    GiveBackIgnoresRoom,
    HandleQuotaOneOver,
    HandoffBytesFree,
    QueuedBytesUnbounded,
    ReceiveOverflowsTable,
)
from .mutants_threads import KillLeavesSiblings, PerThreadTables, SiblingBlocks
from .mutants_travel import (
    FourthCapLost,
    HandoffDropsCaps,
    ReceivedCapLosesParent,
    ReceivedCapParentRights,
    SenderIsPortOwner,
)
from .mutants_tree import (
    DeepDeriveIsRoot,
    DeriveForgetsSibling,
    DeriveKeepsGrant,
    DropOrphansChildren,
    RevokeCancelsQueued,
    RevokedWaiterSeesClosed,
    RevokeSparesBindings,
    RevokeStripsCarried,
)
from .mutants_waits import (
    AdvanceExpiresOne,
    ClosedPortNoDrain,
    ExpiryStrict,
    HandoffFreesSlot,
    HandoffWakesAll,
    KilledReceiverLosesHandoff,
    RateRefillEveryTick,
    RateRefillLate,
    ResumeFirstResult,
)

#: Every mutant: the first 49 in rule-group order, then the ones for the
#: behaviours a short random walk seldom reaches (capabilities that travel and
#: are then used, revocation through the tree, waiting, time), in the same
#: group order.
MUTANTS: tuple[type[Mutant], ...] = (
    DeriveKeepsRights,
    DeriveAmplifies,
    FailedDeriveCreates,
    RevokeChildrenOnly,
    InflightSurvivesRevoke,
    DropRevokesChildren,
    DropKeepsMappings,
    HandleReuse,
    InspectChannelAsPort,
    BlockedMayInspect,
    SpawnReusesPid,
    KillLeavesWaiter,
    BoolIsInt,
    ReceiveNewestFirst,
    PortCapacityPlusOne,
    SendLeaksCapOnFailure,
    SendCopiesCaps,
    Accept65Bytes,
    FiveCaps,
    SenderIsReceiver,
    OversizeBeforeHandle,
    NoHandoff,
    HandoffToLastWaiter,
    CloseDropsQueue,
    CloseLeavesWaiters,
    TryReceiveBlocks,
    ResumeTimeoutAsClosed,
    DeadlinePlusOne,
    ClockNoExpiry,
    RateLimitOneExtra,
    FilterSizeOffByOne,
    FilterWithoutManage,
    BindReplaces,
    UnbindWithoutManage,
    LookupFullRights,
    ConnectIgnoresType,
    BatchPartial,
    ReceiveBatchExtra,
    RingFullEarly,
    ChannelCloseDrops,
    TransferKeepsOwnership,
    MapWithoutWrite,
    WriteReadOnly,
    ReadPastEnd,
    SocketFdNotLowest,
    ReconnectAllowed,
    UnconnectedSendEpipe,
    RecvTruncates,
    CloseReportsNothing,
    DeriveKeepsGrant,
    DeepDeriveIsRoot,
    DeriveForgetsSibling,
    DropOrphansChildren,
    RevokeSparesBindings,
    RevokedWaiterSeesClosed,
    ReceivedCapParentRights,
    ReceivedCapLosesParent,
    SenderIsPortOwner,
    FourthCapLost,
    HandoffDropsCaps,
    HandoffWakesAll,
    ClosedPortNoDrain,
    ResumeFirstResult,
    ExpiryStrict,
    AdvanceExpiresOne,
    RateRefillEveryTick,
    RateRefillLate,
    StaleLookupAfterUnbind,
    TransferNeedsRead,
    TransferFullRights,
    RecvDropsCaps,
    UnbindNameFirst,
    CloseKeepsBindings,
    OrphanPortStaysOpen,
    BindPublishesHeldRights,
    AmbientNamespace,
    RecvHidesCaps,
    NeverReclaims,
    SelfCycleKept,
    RevokeCancelsQueued,
    RevokeStripsCarried,
    TransferStripsOthers,
    TransferByDelegate,
    HandleQuotaOneOver,
    QueuedBytesUnbounded,
    ReceiveOverflowsTable,
    # the hand-off's slot (PORT-HANDOFF, PROC-KILL)
    KilledReceiverLosesHandoff,
    HandoffFreesSlot,
    # a hand-off's bytes count until collected (spec/quotas.py)
    HandoffBytesFree,
    # a hand-off given back skips a waiter without room (PORT-HANDOFF)
    GiveBackIgnoresRoom,
    # threads within a process (PROC-THREAD, PROC-STATUS, PROC-KILL)
    KillLeavesSiblings,
    PerThreadTables,
    SiblingBlocks,
    # blocked senders (PORT-SEND-BLOCK, CHAN-SEND-BLOCK)
    BlockedSendersLifo,
    SenderDeadlineIgnored,
    CloseLeavesSenders,
)


__all__ = [
    "MUTANTS",
    "Accept65Bytes",
    "AdvanceExpiresOne",
    "AmbientNamespace",
    "BatchPartial",
    "BindPublishesHeldRights",
    "BindReplaces",
    "BlockedMayInspect",
    "BlockedSendersLifo",
    "BoolIsInt",
    "ChannelCloseDrops",
    "ClockNoExpiry",
    "CloseDropsQueue",
    "CloseKeepsBindings",
    "CloseLeavesSenders",
    "CloseLeavesWaiters",
    "CloseReportsNothing",
    "ClosedPortNoDrain",
    "ConnectIgnoresType",
    "DeadlinePlusOne",
    "DeepDeriveIsRoot",
    "DeriveAmplifies",
    "DeriveForgetsSibling",
    "DeriveKeepsGrant",
    "DeriveKeepsRights",
    "DropKeepsMappings",
    "DropOrphansChildren",
    "DropRevokesChildren",
    "ExpiryStrict",
    "FailedDeriveCreates",
    "FilterSizeOffByOne",
    "FilterWithoutManage",
    "FiveCaps",
    "FourthCapLost",
    "GiveBackIgnoresRoom",
    "HandleQuotaOneOver",
    "HandleReuse",
    "HandoffBytesFree",
    "HandoffDropsCaps",
    "HandoffFreesSlot",
    "HandoffToLastWaiter",
    "HandoffWakesAll",
    "InflightSurvivesRevoke",
    "InspectChannelAsPort",
    "KillLeavesSiblings",
    "KillLeavesWaiter",
    "KilledReceiverLosesHandoff",
    "LookupFullRights",
    "MapWithoutWrite",
    "Mutant",
    "MutantResult",
    "NeverReclaims",
    "NoHandoff",
    "OrphanPortStaysOpen",
    "OversizeBeforeHandle",
    "PerThreadTables",
    "PortCapacityPlusOne",
    "QueuedBytesUnbounded",
    "RateLimitOneExtra",
    "RateRefillEveryTick",
    "RateRefillLate",
    "ReadPastEnd",
    "ReceiveBatchExtra",
    "ReceiveNewestFirst",
    "ReceiveOverflowsTable",
    "ReceivedCapLosesParent",
    "ReceivedCapParentRights",
    "ReconnectAllowed",
    "RecvDropsCaps",
    "RecvHidesCaps",
    "RecvTruncates",
    "ResumeFirstResult",
    "ResumeTimeoutAsClosed",
    "RevokeCancelsQueued",
    "RevokeChildrenOnly",
    "RevokeSparesBindings",
    "RevokeStripsCarried",
    "RevokedWaiterSeesClosed",
    "RingFullEarly",
    "SelfCycleKept",
    "SendCopiesCaps",
    "SendLeaksCapOnFailure",
    "SenderDeadlineIgnored",
    "SenderIsPortOwner",
    "SenderIsReceiver",
    "SiblingBlocks",
    "SocketFdNotLowest",
    "SpawnReusesPid",
    "StaleLookupAfterUnbind",
    "TransferByDelegate",
    "TransferFullRights",
    "TransferKeepsOwnership",
    "TransferNeedsRead",
    "TransferStripsOthers",
    "TryReceiveBlocks",
    "UnbindNameFirst",
    "UnbindWithoutManage",
    "UnconnectedSendEpipe",
    "WriteReadOnly",
    "format_matrix",
    "run_campaign",
    "run_mutant",
]
