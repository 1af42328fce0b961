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
bookkeeping (the shared error results, ``E_*``), ``typecheck`` ERR-TOTAL,
``waiting`` the waiting calls (``notify``: an object changed). Each check of a
rule is written once, in its chapter, and the facade's fast paths call it
(``ports.admit_send``, ``ports.admit_receive``, ``channels.push_one`` ...).
The facade: ``api`` (system, processes, namespace, buffers, sockets),
``api_handles``, ``api_ports``, ``api_channels``, ``parking`` (a thread's
send blocked in the kernel, PORT-SEND-BLOCK), ``errors``.

Errors: the facade raises ``IpcException`` (``model.errors``), always as the
subclass named after the spec's error, with the ``IpcError`` as ``.error``::

    from veridian_ipc.model import PortClosed, System, WouldBlock

    try:
        msg = port.receive_nowait()
    except WouldBlock:
        ...  # nothing queued yet
    except PortClosed:
        ...  # closed and drained

``except IpcException`` catches every one; ``exception_for(error)`` gives the
exception of an ``IpcError``. The socket object raises ``OSError`` instead
(POSIX-ERRNO). ``__all__`` below is the public API; the rest of the package
(the kernel's chapters, ``state``, ``store``, ``waiting``) is internal.
"""

from .api import Mapping, Namespace, Process, SharedBuffer, Socket, System
from .api_channels import Channel
from .api_handles import Handle
from .api_ports import Port
from .errors import (
    AlreadyConnected,
    Filtered,
    InsufficientRights,
    InvalidArgument,
    InvalidCapability,
    InvalidMessage,
    IpcException,
    MessageTooLarge,
    NameInUse,
    NoSuchProcess,
    NotConnected,
    OutOfBounds,
    OutOfMemory,
    PortClosed,
    PortFull,
    PortNotFound,
    ProcessBlocked,
    RateLimited,
    Timeout,
    TypeMismatch,
    WouldBlock,
    exception_for,
)
from .kernel import Kernel, Statistics
from .state import Message

#: The public API, on purpose: the facade, the kernel, and the errors.
__all__ = [
    "AlreadyConnected",
    "Channel",
    "Filtered",
    "Handle",
    "InsufficientRights",
    "InvalidArgument",
    "InvalidCapability",
    "InvalidMessage",
    "IpcException",
    "Kernel",
    "Mapping",
    "Message",
    "MessageTooLarge",
    "NameInUse",
    "Namespace",
    "NoSuchProcess",
    "NotConnected",
    "OutOfBounds",
    "OutOfMemory",
    "Port",
    "PortClosed",
    "PortFull",
    "PortNotFound",
    "Process",
    "ProcessBlocked",
    "RateLimited",
    "SharedBuffer",
    "Socket",
    "Statistics",
    "System",
    "Timeout",
    "TypeMismatch",
    "WouldBlock",
    "exception_for",
]
