"""The layout of a ring's shared memory (xproc/ring.py), and its checks.

*Layout.* A header of 64-byte lines (one per shared word, so the producer's
and the consumer's words never share a cache line), then ``capacity`` slots of
``stride`` bytes: a 4-byte length, then the data::

    0    magic, version, capacity, max_message, stride (written once)
    64   write_idx          the producer's index (published, SEQ_CST)
    128  read_idx           the consumer's index (published, SEQ_CST)
    192  closed             0, then 1 for ever
    256  consumer_waiting   1 while the consumer is parked for data
    320  producer_waiting   1 while the producer is parked for room
    384  producer           the token of the end that pushes (0: none yet)
    448  consumer           the token of the end that pops (0: none yet)
    512  slot 0, slot 1, ...

The first line is written once, by the owner, before any other process has
the memory; ``read_geometry`` checks it when an end is made from a
descriptor (the memory may be anything a peer sent).
"""

from __future__ import annotations

import os
import struct
from typing import Final

from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import CONFIG_BOUNDS, Config

from .errors import RingError

MAGIC: Final = 0x474E_4952_5844_4956  # "VIDXRING" little-endian
VERSION: Final = 1
LINE: Final = 64
HEADER: Final = 8 * LINE
(WRITE, READ, CLOSED, CONSUMER_WAITING, PRODUCER_WAITING, PRODUCER, CONSUMER) = (
    LINE * i for i in range(1, 8)
)
#: The first line: magic, version, capacity, max_message, stride.
GEOMETRY: Final = struct.Struct("=5Q")
#: A slot's length prefix.
LENGTH: Final = struct.Struct("=I")


def stride_of(max_message: int) -> int:
    """Bytes per slot: the 4-byte length and the data, rounded up to 8."""
    return (LENGTH.size + max_message + 7) // 8 * 8


def check_geometry(capacity: object, max_message: object, config: Config) -> None:
    """CHAN-CREATE's checks, in its precedence order: ``InvalidArgument`` for
    a value that is not an int or is below 1, ``OutOfMemory`` above the
    configuration's ``max_channel_capacity`` / ``max_channel_message``."""
    for name, value in (("capacity", capacity), ("max_message", max_message)):
        if type(value) is not int:
            raise RingError(IpcError.InvalidArgument, f"{name} {value!r} is not an int")
        if value < 1:
            raise RingError(IpcError.InvalidArgument, f"{name} {value} is below 1")
    assert isinstance(capacity, int)
    assert isinstance(max_message, int)
    if capacity > config.max_channel_capacity:
        raise RingError(
            IpcError.OutOfMemory,
            f"capacity {capacity} is above max_channel_capacity "
            f"{config.max_channel_capacity}",
        )
    if max_message > config.max_channel_message:
        raise RingError(
            IpcError.OutOfMemory,
            f"max_message {max_message} is above max_channel_message "
            f"{config.max_channel_message}",
        )


def as_bytes(data: object) -> bytes:
    """``data`` (any bytes-like object) as bytes; ``InvalidArgument`` otherwise."""
    try:
        with memoryview(data) as view:  # type: ignore[arg-type]
            return view.tobytes()
    except TypeError:
        raise RingError(
            IpcError.InvalidArgument, f"data {type(data).__name__} is not bytes-like"
        ) from None


def read_geometry(mem_fd: int, size: int) -> tuple[int, int, int]:
    """``(capacity, max_message, stride)`` of the ring in the memory of
    ``mem_fd`` (``size`` bytes); ``InvalidArgument`` if it holds no ring of
    this version within the configuration bounds."""
    header = os.pread(mem_fd, GEOMETRY.size, 0)
    if len(header) < GEOMETRY.size:
        raise RingError(IpcError.InvalidArgument, "the memory holds no ring")
    magic, version, capacity, max_message, stride = GEOMETRY.unpack(header)
    if (
        magic != MAGIC
        or version != VERSION
        or not 1 <= capacity <= CONFIG_BOUNDS["max_channel_capacity"]
        or not 1 <= max_message <= CONFIG_BOUNDS["max_channel_message"]
        or stride != stride_of(max_message)
        or size != HEADER + capacity * stride
    ):
        raise RingError(IpcError.InvalidArgument, "the memory holds no ring")
    return capacity, max_message, stride


__all__ = [
    "CLOSED",
    "CONSUMER",
    "CONSUMER_WAITING",
    "GEOMETRY",
    "HEADER",
    "LENGTH",
    "LINE",
    "MAGIC",
    "PRODUCER",
    "PRODUCER_WAITING",
    "READ",
    "VERSION",
    "WRITE",
    "as_bytes",
    "check_geometry",
    "read_geometry",
    "stride_of",
]
