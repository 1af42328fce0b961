"""What the spec leaves out of the seed, or does differently (documentation only).

The seed (``ipc-design.md``) mixes behaviour, which the spec defines, with
mechanism, layout and performance, which no observation of results can tell
apart and which the spec therefore leaves to implementations. ``REGISTER``
lists each such piece of the seed, by section heading, with the decision
taken and its reason:

- ``left out``: the spec says nothing about it; an implementation may do it
  or not, and conformance cannot tell.
- ``departs``: the spec defines the behaviour, differently from the seed (or
  from the precedent the seed follows); the rule IDs say where.

Together with ``seed_map`` (the seed's calls, and the rules of each heading)
this accounts for every heading of the seed; a test checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from veridian_ipc.vocabulary.ids import RuleId as R

Decision = Literal["left out", "departs"]


@dataclass(frozen=True, slots=True)
class Departure:
    """One piece of the seed the spec leaves out or does differently."""

    section: str
    content: str
    decision: Decision
    reason: str
    rules: tuple[R, ...] = ()


REGISTER: tuple[Departure, ...] = (
    # -- mechanism, layout and placement: not observable --------------------------
    Departure(
        "Synchronous Message Passing",
        "register-based transfer of small messages (the fast path's"
        " ``transfer_registers``; *message fits in registers*)",
        "left out",
        "how the bytes travel is not observable: a receiver sees the same"
        " Delivered either way. The observable part of the fast path, that a"
        " waiting receiver gets the message before anything queued later, is"
        " PORT-HANDOFF",
        (R.PORT_HANDOFF,),
    ),
    Departure(
        "Synchronous Message Passing",
        "*no allocation, stack-based transfer*; the 16-byte header layout",
        "left out",
        "memory layout is not behaviour; the header is three typed fields"
        " (sender, msg_type u32, flags u16), MSG-LIMITS",
        (R.MSG_LIMITS,),
    ),
    Departure(
        "Synchronous Message Passing",
        "*direct handoff: sender to receiver without queuing*",
        "departs",
        "only when a receiver waits; otherwise the message is queued, as the"
        " seed's own fast path falls back to ``port.enqueue``; a full queue is"
        " PortFull for a send with timeout 0, else the sender blocks until"
        " there is room (PORT-SEND-BLOCK)",
        (R.PORT_SEND, R.PORT_HANDOFF),
    ),
    Departure(
        "CPU Cache Optimization",
        "the cache-aligned 48-byte message variant (``CacheAlignedMessage``)",
        "left out",
        "a second size limit would contradict the 64 bytes of inline data the"
        " seed's SyncMessage carries; the spec has one limit (MSG-LIMITS) and"
        " alignment is layout, which no result reveals",
        (R.MSG_LIMITS,),
    ),
    Departure(
        "CPU Cache Optimization",
        "NUMA-aware placement (``create_channel_on_node``)",
        "left out",
        "where a ring's memory lives changes speed, not results; CreateChannel"
        " takes no node",
        (R.CHAN_CREATE,),
    ),
    Departure(
        "Zero-Copy Shared Memory",
        "*DMA compatible: direct hardware access*",
        "left out",
        "the spec has no devices; a buffer is a memory object reached through"
        " capabilities and mappings, which an implementation may pin for DMA",
        (R.BUF_CREATE,),
    ),
    Departure(
        "Zero-Copy Shared Memory",
        "virtual addresses (``sender_addr: VirtAddr``)",
        "departs",
        "a mapping is a per-process id, the spec's stand-in for an address"
        " range; every access through it is bounds-checked (OutOfBounds)",
        (R.BUF_MAP, R.BUF_READ, R.BUF_WRITE),
    ),
    Departure(
        "Zero-Copy Shared Memory",
        "*gigabytes without overhead*",
        "departs",
        "a buffer's size is bounded by Config.max_buffer_size (1 GiB by"
        " default): above it CreateBuffer is OutOfMemory",
        (R.BUF_CREATE,),
    ),
    Departure(
        "Asynchronous Channels",
        "the ring in shared memory with atomic indices and an EventFd",
        "left out",
        "the spec keeps write_idx and read_idx as state (INV-RING-BOUNDS) but"
        " no shared mapping of the ring and no event object: notification is"
        " not observable apart from the results it produces",
        (R.CHAN_SEND, R.CHAN_RECEIVE),
    ),
    Departure(
        "Asynchronous Channels",
        "the async ``send`` that waits for space",
        "departs",
        "followed only when asked: a ChannelSend with a non-zero timeout waits"
        " for a free slot, in FIFO order, until its deadline (CHAN-SEND-BLOCK);"
        " the default timeout 0 never waits (WouldBlock, as Zircon's"
        " zx_channel_write), and a batch never waits (spec/blocking.py says"
        " why)",
        (R.CHAN_SEND, R.CHAN_SEND_BLOCK),
    ),
    Departure(
        "Batched Operations",
        "the client-side buffer (``BatchedChannel::send`` pushes, ``flush``"
        " when ``batch_size`` is reached)",
        "left out",
        "a library's buffering, invisible to the system; the system call is"
        " ChannelSendBatch",
        (R.CHAN_SEND_BATCH,),
    ),
    Departure(
        "Batched Operations",
        "a batch's failure semantics (the seed does not say)",
        "departs",
        "all or nothing (sendmmsg(2), the usual precedent for batching, is"
        " partial): a failed flush sends nothing (ERR-ATOMIC)",
        (R.CHAN_SEND_BATCH, R.ERR_ATOMIC),
    ),
    # -- performance: not semantics -----------------------------------------------
    Departure(
        "Architecture Overview",
        "*zero-overhead native API for performance*",
        "left out",
        "cost is not behaviour; the POSIX layer adds no semantics of its own"
        " (each socket call is a native operation plus fd bookkeeping)",
        (R.POSIX_SEND,),
    ),
    Departure(
        "Performance Metrics",
        "the performance targets and achieved figures",
        "left out",
        "the spec defines results, not speed; the benchmarks (bench/) measure"
        " the model, and no test asserts a time",
    ),
    Departure(
        "Latency Targets",
        "latency targets (<1 us small message, <100 ns capability transfer ...)",
        "left out",
        "timing is not semantics (see Performance Metrics)",
    ),
    Departure(
        "Throughput Targets",
        "throughput targets (>1M messages/s, >10 GB/s, >10K channels)",
        "left out",
        "timing is not semantics; the number of channels is bounded only by"
        " memory (no limit in Config)",
    ),
    Departure(
        "Best Practices",
        "advice to users (sync for small messages, batch, zero-copy above"
        " 4 KB, cache capabilities, set filters)",
        "left out",
        "advice, not behaviour; what it relies on holds: handles stay valid"
        " until dropped or revoked (CAP-HANDLE), so caching them is safe, and"
        " filters exist (FILTER-*)",
        (R.CAP_HANDLE, R.FILTER_SET),
    ),
    # -- behaviour decided differently from the seed -----------------------------
    Departure(
        "Synchronous Message Passing",
        "the blocking ``port_receive`` as the default receive",
        "departs",
        "Receive's record defaults to timeout 0 (a poll); the seed's blocking"
        " receive is Receive(handle, None) (see seed_map's module docstring)",
        (R.PORT_RECEIVE,),
    ),
    Departure(
        "Timeout Support",
        "``Duration`` and ``Instant::now()``; the ``yield_now`` busy loop",
        "departs",
        "time is a logical clock moved by AdvanceClock, and a receive with a"
        " timeout blocks with a deadline instead of spinning (TIME-*)",
        (R.TIME_ADVANCE, R.TIME_DEADLINE),
    ),
    Departure(
        "IPC Errors",
        "the nine errors of the seed's enum",
        "departs",
        "Timeout (used by the seed's own timeout code but missing from its"
        " enum) and TypeMismatch (used by its connect) get codes 10 and 11;"
        " errors the seed has no name for come after (ERR-ENUM)",
        (R.ERR_ENUM,),
    ),
    Departure(
        "Port Creation and Binding",
        "``Port::create()`` with no argument; the bound capability itself",
        "departs",
        "CreatePort takes a capacity; a binding holds a new capability derived"
        " from the binder's, so revoking the binder's reaches every lookup"
        " (NS-BIND), and binding needs GRANT",
        (R.PORT_CREATE, R.NS_BIND),
    ),
    Departure(
        "Port System",
        "waiting *threads* (``waiters: WaitQueue``)",
        "departs",
        "processes wait, one receive each: a process is the unit that issues"
        " operations (PROC-STATUS); waiters are served in FIFO order",
        (R.PROC_STATUS, R.PORT_HANDOFF),
    ),
    Departure(
        "Port Rights",
        "rights for ports only",
        "departs",
        "buffers need READ and WRITE (0x10, 0x20), added after the seed's four"
        " bits; TransferBuffer needs MANAGE and GRANT on the buffer",
        (R.RIGHTS_BITS, R.RIGHTS_REQUIRED),
    ),
    Departure(
        "Port Rights",
        "revocation (the seed derives but never says what undoes it)",
        "departs",
        "Revoke destroys every descendant at any depth, unlike seL4 where only"
        " original capabilities have derived children (RIGHTS-REVOKE)",
        (R.RIGHTS_REVOKE,),
    ),
    Departure(
        "Capability Integration",
        "``cap.service_type()``: the service type as a property of the capability",
        "departs",
        "the service type belongs to the binding (Bind's argument), so the"
        " same port can be published under several types",
        (R.NS_BIND, R.NS_CONNECT),
    ),
    Departure(
        "Message Filtering",
        "``set_filter(&mut self)`` open to any caller; a filtered message"
        " refused as ``false``",
        "departs",
        "SetFilter needs MANAGE; a refused message is an error to the sender"
        " (Filtered, MessageTooLarge, RateLimited), never dropped silently",
        (R.FILTER_SET, R.FILTER_CHECK, R.FILTER_RATE),
    ),
    Departure(
        "Synchronous Message Passing",
        "capabilities in a message as copies (``[Option<Capability>; 4]``)",
        "departs",
        "they are moved, and moving needs GRANT; a failed send keeps them with"
        " the sender, unlike current Zircon, which discards them (MSG-TRANSFER)",
        (R.MSG_TRANSFER, R.ERR_ATOMIC),
    ),
    Departure(
        "Synchronous Message Passing",
        "``sender: ProcessId``",
        "departs",
        "kept as the pid, stamped by the system; seL4's badge, which"
        " identifies a capability rather than a sender, is not the model"
        " (MSG-SENDER)",
        (R.MSG_SENDER,),
    ),
    Departure(
        "Socket Emulation",
        "``socket(domain, type, protocol)``, ``send(fd, buf, flags)``",
        "departs",
        "domain, type, protocol and flags are not modelled: a socket is an"
        " AF_UNIX-like datagram socket over a port; bind, connect, recv and"
        " close are added, since a socket needs them to be used (POSIX-*)",
        (R.POSIX_SOCKET, R.POSIX_SEND, R.POSIX_BIND, R.POSIX_CONNECT),
    ),
    Departure(
        "POSIX Compatibility Layer",
        "``buf.try_into()?`` for data over 64 bytes",
        "departs",
        "a send of more than 64 bytes is MessageTooLarge, reported as"
        " EMSGSIZE (POSIX-ERRNO); nothing is truncated",
        (R.POSIX_SEND, R.POSIX_ERRNO),
    ),
)
