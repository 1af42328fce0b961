"""Zero-copy shared buffers (group "buffers"): memory objects, mappings, ownership.

Seed section "Zero-Copy Shared Memory": a ``SharedBuffer`` is a memory
capability and a size; the receiver maps it into its address space
(``map_shared``), and ``transfer_buffer`` moves ownership without copying.

The spec models a buffer as ``size`` bytes (initially zero) and a **mapping** as
a per-process id through which the process reads and writes the buffer's
memory: a mapping is the spec's stand-in for a virtual address range, and every
access through it is bounds-checked. Decisions:

- *Rights on memory.* Buffer capabilities carry READ and WRITE (RIGHTS-BITS)
  besides MANAGE and GRANT. Mapping read-only needs READ; mapping writable needs
  READ and WRITE (no write-only memory, as on common MMUs).
- *Mappings belong to a capability.* A mapping is made through a capability
  and lives only as long as that capability stays in the process: dropping,
  revoking, or sending the capability away unmaps it (seL4: deleting a frame
  capability unmaps the frame). Sharing is therefore explicit: derive a
  capability (say READ only), send it, and the receiver maps it.
- *Ownership transfer.* The **owner** of a buffer is the holder of its root
  capability: the one ``CreateBuffer`` made (or one a transfer delivered), the
  capability with no parent. ``TransferBuffer`` moves that capability, and
  with it ownership, into a message on a port; only the owner may transfer
  (a delegate holding MANAGE and GRANT on a derived capability is refused), and
  a transfer never destroys another capability or mapping. The sender's
  mappings made through the root end (its capability left its table), every
  capability derived from the root keeps its holder, rights and mappings, and
  the new owner receives the root with the whole derivation tree under it: it
  strips the others only if it chooses to (``Revoke``). So the seed's sequence
  ("Zero-Copy Shared Memory": the receiver maps the buffer, then the sender
  transfers it) ends with the receiver's mapping intact. Precedent: Zircon,
  where a VMO handle and a mapping of the VMO are independent (a mapping keeps
  its own reference: closing or transferring a handle with
  ``zx_channel_write`` unmaps nothing), and Linux memfd, where an ``fd``
  passed with ``SCM_RIGHTS`` leaves other holders' ``mmap`` s alone and a
  seal cannot be added over a writable mapping (``F_SEAL_WRITE`` fails with
  ``EBUSY``): neither system ever strips a mapping from its holder.
- *Bounds.* An access outside ``[0, size)`` is ``OutOfBounds`` (a dedicated
  error: it is neither a bad message nor a bad capability; Zircon reports
  ``ZX_ERR_OUT_OF_RANGE``). One access moves at most ``Config.max_io`` bytes.
- *Cost.* The bytes are stored in page-sized chunks, zero chunks absent
  (spec/storage.py): creating a buffer of any size allocates nothing, and an
  access costs O(n) in the bytes it moves, sharing untouched chunks with the
  previous state.
- *Stale mapping ids* are refused like stale handles (``InvalidCapability``):
  a mapping id is a per-process name for authority, never reused.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import MapId, Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import (
    BUFFER_RIGHTS,
    GRANT,
    MANAGE,
    READ,
    SEND,
    WRITE,
)
from veridian_ipc.vocabulary.syscalls import (
    CreateBuffer,
    MapBuffer,
    ReadBuffer,
    TransferBuffer,
    Unmap,
    WriteBuffer,
)

from . import quotas
from .caps import authorize, new_handle
from .messages import check_limits
from .ports import check_offer, commit_offer
from .state import Buffer, Cap, KernelState, Kind, Mapping
from .storage import read_bytes, write_bytes
from .store import Step, buffer, fail, new_object, put_obj
from .tasks import put_table, table_of


@rule(RuleId.BUF_CREATE)
def create_buffer(s: KernelState, pid: Pid, op: CreateBuffer) -> Step:
    """A new buffer of ``size`` zero bytes; the creator gets READ, WRITE, MANAGE
    and GRANT on it. Result: the handle.

    Errors, in precedence order:

    - ``InvalidArgument``: ``size`` below 1.
    - ``OutOfMemory``: ``size`` above ``Config.max_buffer_size``.
    - ``OutOfMemory``: the object or handle quota is spent (spec/quotas.py).
    """
    if op.size < 1:
        return fail(s, IpcError.InvalidArgument)
    if op.size > s.config.max_buffer_size:
        return fail(s, IpcError.OutOfMemory)
    if (err := quotas.check_create(s, pid)) is not None:
        return fail(s, err)
    s, obj = new_object(s, Buffer(op.size))
    s, handle = new_handle(s, pid, obj, Kind.BUFFER, BUFFER_RIGHTS, None)
    return s, Ok(handle)


@rule(RuleId.BUF_MAP)
def map_buffer(s: KernelState, pid: Pid, op: MapBuffer) -> Step:
    """Map a buffer into the caller, read-only or writable, through a capability.

    The mapping stays valid while that capability stays in the caller's table.
    A process may map the same buffer several times. Result: the mapping id.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a buffer capability is needed).
    - ``InsufficientRights``: no READ, or ``writable`` without WRITE.
    """
    needed = READ | WRITE if op.writable else READ
    found = authorize(s, pid, op.handle, Kind.BUFFER, needed)
    if isinstance(found, IpcError):
        return fail(s, found)
    cap_id, cap = found
    p = table_of(s, pid)
    map_id = MapId(p.next_mapping)
    mapping = Mapping(cap.obj, cap_id, op.writable)
    p = replace(p, mappings=p.mappings.set(map_id, mapping), next_mapping=map_id + 1)
    return put_table(s, pid, p), Ok(map_id)


@rule(RuleId.BUF_UNMAP)
def unmap(s: KernelState, pid: Pid, op: Unmap) -> Step:
    """Remove one of the caller's mappings. Result: ``None``.

    Errors, in precedence order:

    - ``InvalidCapability``: not a live mapping id of the caller.
    """
    m = _mapping(s, pid, op.mapping)
    if isinstance(m, IpcError):
        return fail(s, m)
    p = table_of(s, pid)
    p = replace(p, mappings=p.mappings.delete(MapId(op.mapping)))
    return put_table(s, pid, p), Ok(None)


def _mapping(s: KernelState, pid: Pid, mapping: int) -> Mapping | IpcError:
    """The caller's live mapping ``mapping``, or ``InvalidCapability``."""
    m = table_of(s, pid).mappings.get(MapId(mapping))
    return IpcError.InvalidCapability if m is None else m


def in_bounds(size: int, offset: int, length: int) -> bool:
    """``[offset, offset + length)`` lies inside ``[0, size)``."""
    return offset >= 0 and length >= 0 and offset + length <= size


@rule(RuleId.BUF_READ)
def read_buffer(s: KernelState, pid: Pid, op: ReadBuffer) -> Step:
    """The ``length`` bytes at ``offset`` of the mapped buffer, as they are now.

    Every process that maps the buffer sees every write made through any
    mapping (one memory, zero copies). Result: the bytes.

    Errors, in precedence order:

    - ``InvalidCapability``: not a live mapping id of the caller.
    - ``InvalidArgument``: ``length`` negative or above ``Config.max_io``.
    - ``OutOfBounds``: the range leaves the buffer.
    """
    m = _mapping(s, pid, op.mapping)
    if isinstance(m, IpcError):
        return fail(s, m)
    if not 0 <= op.length <= s.config.max_io:
        return fail(s, IpcError.InvalidArgument)
    buf = buffer(s, m.buf)
    if not in_bounds(buf.size, op.offset, op.length):
        return fail(s, IpcError.OutOfBounds)
    return s, Ok(read_bytes(buf.chunks, op.offset, op.length))


@rule(RuleId.BUF_WRITE)
def write_buffer(s: KernelState, pid: Pid, op: WriteBuffer) -> Step:
    """Store ``data`` at ``offset`` of the mapped buffer. Result: ``None``.

    Errors, in precedence order:

    - ``InvalidCapability``: not a live mapping id of the caller.
    - ``InsufficientRights``: the mapping is read-only.
    - ``InvalidArgument``: ``data`` longer than ``Config.max_io``.
    - ``OutOfBounds``: the range leaves the buffer.
    """
    m = _mapping(s, pid, op.mapping)
    if isinstance(m, IpcError):
        return fail(s, m)
    if not m.writable:
        return fail(s, IpcError.InsufficientRights)
    if len(op.data) > s.config.max_io:
        return fail(s, IpcError.InvalidArgument)
    buf = buffer(s, m.buf)
    if not in_bounds(buf.size, op.offset, len(op.data)):
        return fail(s, IpcError.OutOfBounds)
    chunks = write_bytes(buf.chunks, op.offset, op.data)
    return put_obj(s, m.buf, replace(buf, chunks=chunks)), Ok(None)


@rule(RuleId.BUF_TRANSFER)
def transfer_buffer(s: KernelState, pid: Pid, op: TransferBuffer) -> Step:
    """Give a buffer away: the owner's capability travels, nothing else ends.

    Needs MANAGE and GRANT on the buffer and the **root** capability (the
    owner's: no parent), and SEND on the port. The root capability moves into a
    message of type ``msg_type``, no data, on the port, like a capability sent
    with PORT-SEND (MSG-TRANSFER: the sender's mappings through it end;
    PORT-SEND's port-side checks, hand-off included). Every other capability to
    the buffer, derived from the root or not, stays where it is with its
    mappings; the receiver becomes the owner with the derivation tree intact.
    The data is never copied. A failed transfer changes nothing. Result:
    ``None``.

    Decision (seed "Zero-Copy Shared Memory" leaves who may transfer open):
    a delegate with MANAGE and GRANT may send its own capability with
    ``Send`` but may not transfer ownership, and no transfer strips a holder
    of its mapping (Zircon: handles and mappings of a VMO are independent;
    Linux memfd: passing the fd unmaps nothing). The seed's own sequence maps
    the buffer in the receiver before the transfer, so a transfer that ended
    that mapping would contradict it: the seed is followed. Dropping the root
    re-attaches its children to no parent (CAP-DROP), so each becomes a root
    and its holder an owner: ownership is never lost while a capability lives.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (``handle`` must be a buffer capability).
    - ``InsufficientRights``: no MANAGE or no GRANT on the buffer.
    - ``InsufficientRights``: ``handle`` is not the root (a delegate's
      capability, derived or looked up, even with MANAGE and GRANT).
    - ``InvalidCapability``: CAP-HANDLE (``port`` must be a port capability).
    - ``InsufficientRights``: no SEND on the port.
    - ``InvalidMessage``: MSG-LIMITS (``msg_type`` out of range).
    - ``PortClosed``: the port is closed.
    - ``Filtered``: FILTER-CHECK.
    - ``RateLimited``: FILTER-RATE.
    - ``PortFull``: the port is full (PORT-SEND: uncollected hand-offs count).
    """
    found = authorize(s, pid, op.handle, Kind.BUFFER, MANAGE | GRANT)
    if isinstance(found, IpcError):
        return fail(s, found)
    bcap_id, bcap = found
    if not is_owner(bcap):
        return fail(s, IpcError.InsufficientRights)
    pfound = authorize(s, pid, op.port, Kind.PORT, SEND)
    if isinstance(pfound, IpcError):
        return fail(s, pfound)
    _, pcap = pfound
    err = check_limits(op.msg_type, 0, b"", (), op.port)
    if err is not None:
        return fail(s, err)
    admitted = check_offer(s, pcap.obj, op.msg_type, 0)
    if isinstance(admitted, IpcError):
        return fail(s, admitted)
    body = (op.msg_type, 0, b"")
    return commit_offer(s, pid, pcap.obj, admitted, body, (bcap_id,)), Ok(None)


def is_owner(cap: Cap) -> bool:
    """BUF-TRANSFER: ``cap`` is its buffer's root capability (no parent)."""
    return cap.parent is None
