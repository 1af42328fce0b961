"""Vocabulary shared by every chapter: identifier types, fixed limits, configuration.

*Identifiers.* ``Pid`` names a process; ``Handle`` is a small integer that names a
capability **inside one process** and means nothing in any other; ``ObjId`` names a
kernel object (port, channel, shared buffer); ``CapId`` names one node of the
capability derivation tree; ``MapId`` names a mapping of a buffer in one process;
``Fd`` is a POSIX file descriptor. ``Tick`` is a value of the logical clock.

Handles, mapping ids, object ids, capability ids and pids are chosen by the
implementation (conformance compares them up to a consistent renaming) but are
**never reused**, so a stale number can never alias a newer capability. File
descriptors follow POSIX instead: the lowest free number, starting at 0.

*Fixed limits* come from the seed ("Synchronous Message Passing": 64 bytes of
inline data, up to 4 capabilities). *Configurable limits* (``Config``) bound the
resources one request may ask for; they are part of the initial state so that a
conformance run can use small values and reach every limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

Pid = NewType("Pid", int)
Handle = NewType("Handle", int)
ObjId = NewType("ObjId", int)
CapId = NewType("CapId", int)
MapId = NewType("MapId", int)
Fd = NewType("Fd", int)
Tick = NewType("Tick", int)

#: Inline data of a synchronous message, in bytes (seed: ``data: [u8; 64]``).
MAX_INLINE_DATA = 64
#: Capabilities carried by one message (seed: ``[Option<Capability>; 4]``).
MAX_MESSAGE_CAPS = 4
#: Message types and service types are unsigned 32-bit values.
MAX_U32 = 0xFFFF_FFFF
#: Message flags are an unsigned 16-bit field, opaque to the system.
MAX_FLAGS = 0xFFFF


@dataclass(frozen=True, slots=True)
class Config:
    """Resource limits of one system, fixed at ``initial_state``.

    Requests above a limit fail with ``OutOfMemory`` (the system cannot grant the
    memory); requests that are not positive fail with ``InvalidArgument``.
    """

    max_port_capacity: int = 1024
    """Largest queue capacity ``CreatePort`` / ``Socket`` accept."""
    max_channel_capacity: int = 4096
    """Largest ring size (in slots) ``CreateChannel`` accepts."""
    max_channel_message: int = 65536
    """Largest per-slot message size ``CreateChannel`` accepts, in bytes."""
    max_buffer_size: int = 1 << 30
    """Largest shared buffer ``CreateBuffer`` accepts, in bytes."""
    max_io: int = 1 << 20
    """Largest single ``ReadBuffer`` / ``WriteBuffer`` transfer, in bytes."""
    max_name_length: int = 255
    """Longest namespace name, in UTF-8 bytes."""
    default_socket_capacity: int = 64
    """Queue capacity of a socket's port when ``Socket`` is given none."""
