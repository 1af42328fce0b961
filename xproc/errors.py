"""The ring's one error type: ``RingError``, carrying the spec's ``IpcError``.

The ring follows the spec's channel where the two overlap (spec/channels.py),
so its refusals are the spec's errors (ERR-ENUM), in the spec's precedence
order: ``InvalidArgument`` for a bad argument (ERR-TOTAL), ``OutOfMemory`` for
a ring larger than the configuration allows and ``MessageTooLarge`` for data
longer than a slot (CHAN-CREATE, CHAN-SEND), ``PortClosed`` once the ring is
closed (CHAN-CLOSE), ``WouldBlock`` for a full ring to a non-blocking push and
an empty one to a non-blocking pop, ``Timeout`` when a blocking push or pop
reaches its deadline (TIME-DEADLINE). ``InvalidCapability`` is a ring this
process has already closed (its file descriptors are gone, CAP-HANDLE).

The package shares the vocabulary only (not the model), so this is its own
exception; ``error`` is the ``IpcError`` to compare with the spec.
"""

from __future__ import annotations

from typing import Any

from veridian_ipc.vocabulary.errors import IpcError


class RingError(Exception):
    """A ring operation failed with the spec's ``error``, described by ``what``."""

    error: IpcError
    what: str

    def __init__(self, error: IpcError, what: str = "") -> None:
        if not isinstance(error, IpcError):
            raise TypeError(f"RingError needs an IpcError, not {error!r}")
        self.error = error
        self.what = what
        super().__init__(f"{error.name}: {what}" if what else error.name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RingError, (self.error, self.what))


__all__ = ["RingError"]
