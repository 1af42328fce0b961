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

*Quotas* (``Config.max_handles``, ``max_objects``, ``max_queued_bytes``)
bound what a process or the system holds at once (spec/quotas.py).

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


#: Upper bounds on ``Config`` fields: the limits a machine can honour.
KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
CONFIG_BOUNDS: dict[str, int] = {
    "max_port_capacity": 1 << 16,
    "max_channel_capacity": 1 << 16,
    "max_channel_message": 16 * MIB,
    "max_buffer_size": GIB,
    "max_io": 16 * MIB,
    "max_name_length": 4 * KIB,
    "default_socket_capacity": 1 << 16,
    "max_handles": 1 << 24,
    "max_objects": 1 << 24,
    "max_queued_bytes": 1 << 46,
}
#: A full channel's bytes (``max_channel_capacity * max_channel_message``).
MAX_CHANNEL_BYTES = GIB


@dataclass(frozen=True, slots=True)
class Config:
    """Resource limits of one system, fixed at ``initial_state``.

    Requests above a limit fail with ``OutOfMemory`` (the system cannot grant the
    memory); requests that are not positive fail with ``InvalidArgument``.

    *Limits the machine can honour.* A configuration promises that
    every request within its limits succeeds when nothing else is in the way,
    so a limit no machine can honour would make the spec answer ``Ok`` where any
    implementation must fail. ``Config`` therefore refuses, when it is made,
    with a ``ValueError`` naming the field and the bound, any field that is not
    an ``int`` (a ``bool`` is not one), below 1, or above its bound in
    ``CONFIG_BOUNDS``:

    - ``max_buffer_size`` at most 1 GiB: one shared buffer is one contiguous
      mapping (seed "Zero-Copy Shared Memory"); 1 GiB fits the address space
      and the commit limits of an ordinary host, and is the default.
    - ``max_channel_capacity`` at most 65,536 slots and ``max_channel_message``
      at most 16 MiB, and their product (the bytes of a full ring, seed
      "Asynchronous Channels") at most 1 GiB, like one buffer.
    - ``max_port_capacity`` and ``default_socket_capacity`` at most 65,536
      messages of 64 bytes and 4 capabilities each (seed "Synchronous Message
      Passing").
    - ``max_io`` at most 16 MiB: one ``ReadBuffer`` / ``WriteBuffer`` copies
      that much in one step.
    - ``max_name_length`` at most 4,096 bytes (POSIX ``PATH_MAX``).
    - The quotas (spec/quotas.py): ``max_handles`` and ``max_objects`` at
      most 2**24, ``max_queued_bytes`` at most 2**46 (every port the object
      quota allows, full of 64-byte messages). Their defaults are large enough
      that no ordinary run meets them; conformance configurations lower them
      so that exhaustion is reached.
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
    max_handles: int = 1 << 20
    """Quota: handles one process's table holds at once (spec/quotas.py)."""
    max_objects: int = 1 << 20
    """Quota: kernel objects the system creates (spec/quotas.py)."""
    max_queued_bytes: int = 1 << 40
    """Quota: inline bytes of one process's messages not yet collected (in
    port queues or in a woken receiver's kept hand-off slot, spec/quotas.py)."""

    @property
    def queued_bytes_reachable(self) -> bool:
        """Whether ``max_queued_bytes`` can be met at all: every object a full
        port of 64-byte messages stays under it otherwise, so an
        implementation need not count."""
        most = max(self.max_port_capacity, self.default_socket_capacity)
        return self.max_queued_bytes < self.max_objects * most * MAX_INLINE_DATA

    def __post_init__(self) -> None:
        for name, bound in CONFIG_BOUNDS.items():
            value = getattr(self, name)
            if type(value) is not int:
                raise ValueError(
                    f"Config.{name} must be an int, not {type(value).__name__}"
                )
            if not 1 <= value <= bound:
                raise ValueError(f"Config.{name} must be in [1, {bound}], not {value}")
        ring = self.max_channel_capacity * self.max_channel_message
        if ring > MAX_CHANNEL_BYTES:
            raise ValueError(
                "Config.max_channel_capacity * Config.max_channel_message must be"
                f" at most {MAX_CHANNEL_BYTES} (a full ring), not {ring}"
            )
