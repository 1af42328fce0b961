"""veridian_ipc.model: the performant implementation of the spec's operation surface.

- ``Kernel`` (``model.kernel``): the conformance target. ``apply(pid, op)`` takes
  the spec's operation records and returns the spec's results; ``observe()``
  gives the observation in the spec's format. Mutable records with
  ``__slots__``, ``int`` rights masks, dicts, deques and list rings; it never
  calls spec logic (it shares only the vocabulary: ids, errors, names,
  syscalls, results, rights).
- ``System`` (``model.api``): a thread-safe, blocking, Pythonic API over one
  kernel: ``Process``, ``Port``, ``Channel`` (threads and asyncio),
  ``SharedBuffer`` / ``Mapping`` (mmap memory, memoryviews without copies),
  ``Socket`` (POSIX-style, ``OSError`` with the spec's errno).

The modules mirror the spec's chapters: ``caps``, ``processes``, ``messages``,
``filters``, ``ports``, ``timeouts``, ``namespace``, ``channels``, ``buffers``,
``sockets``, ``observe``; ``state`` holds the records, ``store`` the shared
bookkeeping, ``typecheck`` ERR-TOTAL.
"""

from .api import (
    Channel,
    Handle,
    IpcException,
    Mapping,
    Namespace,
    Port,
    Process,
    SharedBuffer,
    Socket,
    System,
)
from .kernel import Kernel, Statistics
from .state import Message

__all__ = [
    "Channel",
    "Handle",
    "IpcException",
    "Kernel",
    "Mapping",
    "Message",
    "Namespace",
    "Port",
    "Process",
    "SharedBuffer",
    "Socket",
    "Statistics",
    "System",
]
