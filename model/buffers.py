"""Zero-copy shared buffers: real memory, mappings tied to capabilities (BUF-*).

A buffer's memory (model/memory.py) is allocated on first write or view; every
mapping of it, in every process, reads and writes that one memory. If the host
cannot allocate it, ``WriteBuffer`` answers ``OutOfMemory`` and changes nothing
(the one place the model may differ from the spec: see model/memory.py).

A mapping lives as long as the capability it was made through stays in the
process's table (``detach`` removes it); ownership transfer moves the
owner's root capability into a message, ending only the sender's mappings
through it; every other capability and mapping of the buffer stays.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.results import Err, Ok, Result
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, GRANT, MANAGE, READ, WRITE
from veridian_ipc.vocabulary.syscalls import (
    CreateBuffer,
    MapBuffer,
    ReadBuffer,
    TransferBuffer,
    Unmap,
    WriteBuffer,
)

from . import quotas
from .caps import install, new_cap
from .ports import admit_send, commit_offer
from .state import Buffer, Mapping, Port, Process, State, end_mapping
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_OUT_OF_BOUNDS,
    E_OUT_OF_MEMORY,
    OK_NONE,
    new_object,
)


def create_buffer(st: State, p: Process, op: CreateBuffer) -> Result:
    """BUF-CREATE: ``size`` zero bytes; the creator gets READ, WRITE, MANAGE, GRANT.

    Errors, in precedence order: ``InvalidArgument``, ``OutOfMemory`` (size),
    ``OutOfMemory`` (object or handle quota, model/quotas.py).
    """
    if op.size < 1:
        return E_INVALID_ARGUMENT
    if op.size > st.config.max_buffer_size:
        return E_OUT_OF_MEMORY
    if (quota := quotas.check_create(st, p)) is not None:
        return quota
    buf = Buffer(st.next_obj, op.size)
    new_object(st, buf)
    return Ok(install(p, new_cap(buf, BUFFER_RIGHTS, None)))


def map_buffer(st: State, p: Process, op: MapBuffer) -> Result:
    """BUF-MAP: a mapping through a capability; READ, and WRITE if writable.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``.
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Buffer:
        return E_INVALID_CAPABILITY
    needed = READ | WRITE if op.writable else READ
    if cap.rights & needed != needed:
        return E_INSUFFICIENT_RIGHTS
    map_id = p.task.next_mapping
    p.task.next_mapping = map_id + 1
    p.mappings[map_id] = Mapping(cap.obj, cap, op.writable)
    if cap.mappings is None:
        cap.mappings = []
    cap.mappings.append(map_id)
    return Ok(map_id)


def unmap(st: State, p: Process, op: Unmap) -> Result:
    """BUF-UNMAP: remove one of the caller's mappings.

    Errors, in precedence order: ``InvalidCapability`` (not a live mapping id).
    """
    m = p.mappings.pop(op.mapping, None)
    if m is None:
        return E_INVALID_CAPABILITY
    if m.cap.mappings is not None:
        m.cap.mappings.remove(op.mapping)
    end_mapping(m)
    return OK_NONE


def in_bounds(size: int, offset: int, length: int) -> bool:
    """``[offset, offset + length)`` lies inside ``[0, size)``."""
    return offset >= 0 and length >= 0 and offset + length <= size


def read_buffer(st: State, p: Process, op: ReadBuffer) -> Result:
    """BUF-READ: the bytes at ``offset``, as every mapping sees them now.

    Errors, in precedence order: ``InvalidCapability``, ``InvalidArgument``
    (length negative or over ``max_io``), ``OutOfBounds``.
    """
    m = p.mappings.get(op.mapping)
    if m is None:
        return E_INVALID_CAPABILITY
    if not 0 <= op.length <= st.config.max_io:
        return E_INVALID_ARGUMENT
    buf = m.buf
    if not in_bounds(buf.size, op.offset, op.length):
        return E_OUT_OF_BOUNDS
    assert buf.mem is not None  # a mapping holds a capability to it
    return Ok(buf.mem.read(op.offset, op.length))


def write_buffer(st: State, p: Process, op: WriteBuffer) -> Result:
    """BUF-WRITE: store ``data`` at ``offset`` through a writable mapping.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``
    (read-only mapping), ``InvalidArgument`` (over ``max_io``), ``OutOfBounds``;
    and ``OutOfMemory`` if the host cannot allocate the buffer's memory on its
    first write (host exhaustion, which the spec does not model).
    """
    m = p.mappings.get(op.mapping)
    if m is None:
        return E_INVALID_CAPABILITY
    if not m.writable:
        return E_INSUFFICIENT_RIGHTS
    n = len(op.data)
    if n > st.config.max_io:
        return E_INVALID_ARGUMENT
    buf = m.buf
    if not in_bounds(buf.size, op.offset, n):
        return E_OUT_OF_BOUNDS
    assert buf.mem is not None  # a mapping holds a capability to it
    if not buf.mem.write(op.offset, op.data):
        return E_OUT_OF_MEMORY
    return OK_NONE


def transfer_buffer(st: State, p: Process, op: TransferBuffer) -> Result:
    """BUF-TRANSFER: the owner's root capability moves into a message on the
    port (its mappings in the sender end); every other capability and mapping
    of the buffer stays.

    Errors, in precedence order: ``InvalidCapability`` (buffer),
    ``InsufficientRights`` (MANAGE and GRANT), ``InsufficientRights`` (not the
    root), ``InvalidCapability`` (port), ``InsufficientRights`` (SEND),
    ``InvalidMessage`` (type), ``PortClosed``, ``Filtered``, ``RateLimited``,
    ``PortFull``.
    """
    bcap = p.handles.get(op.handle)
    if bcap is None or type(bcap.obj) is not Buffer:
        return E_INVALID_CAPABILITY
    if bcap.rights & (MANAGE | GRANT) != MANAGE | GRANT:
        return E_INSUFFICIENT_RIGHTS
    if bcap.parent is not None:
        return E_INSUFFICIENT_RIGHTS
    pcap = p.handles.get(op.port)
    # PORT-SEND's checks of an empty message of type ``msg_type``
    err = admit_send(st, p, pcap, op.port, op.msg_type, 0, b"", ())
    if err is not None:
        assert isinstance(err, Err)  # no capability carried: nothing moves
        return err
    assert pcap is not None
    port = pcap.obj
    assert type(port) is Port
    commit_offer(st, p.pid, port, op.msg_type, 0, b"", [bcap])
    return OK_NONE
