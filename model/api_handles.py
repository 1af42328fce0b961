"""The facade's handle objects: ``Handle``, the base of ``Port``, ``Channel``
and ``SharedBuffer`` (CAP-HANDLE), and what every facade module shares: the
``IpcException`` it raises (``model.errors``: ``check_result``), and the
private construction token (see
``model.api`` for the guarantee it gives).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.results import CapInfo, Err, Ok, Result

from .errors import IpcException, exception_for

if TYPE_CHECKING:
    from .api import Process

T = TypeVar("T")

#: The private construction token: the facade's objects are made by the
#: facade only (``System.spawn``, ``Process.create_*``, receives, ``derive``).
TOKEN = object()


def check_result(result: Result, what: str = "") -> object:
    """The value of an ``Ok``; an ``Err`` is raised as its ``IpcException``
    subclass (``exception_for``)."""
    if type(result) is Err:
        raise exception_for(result.error, what)
    assert isinstance(result, Ok)
    return result.value


class Handle:
    """A capability held by a process under ``handle`` (CAP-HANDLE).

    Every call re-resolves the handle in the kernel (one dict lookup): a handle
    dropped, revoked or sent away fails with ``InvalidCapability``.

    Handle objects are made by the facade only (``Process.create_*``, a
    receive, ``derive``, ``Process.handle_object``; a private token is checked):
    a handle object always acts for the process that holds the handle, and its
    ``process`` and ``handle`` are read-only.
    """

    __slots__ = (
        "_acquire",
        "_handle",
        "_handles",
        "_kp",
        "_lock",
        "_process",
        "_release",
        "_state",
        "_sys",
    )

    def __init__(self, process: Process, handle: int, token: object = None) -> None:
        if token is not TOKEN:
            raise TypeError(
                f"{type(self).__name__} objects are made by their process only"
            )
        if type(handle) is not int:  # the fast paths index tables with it
            raise TypeError(f"a handle is an int, not {handle!r}")
        # Copied from the process, not derived: a receive of capabilities
        # builds one handle object per capability.
        self._process = process
        self._handle = handle
        self._sys = process._system
        self._state = process._system.kernel.state
        self._lock = process._lock
        self._acquire = process._acquire
        self._release = process._release
        self._kp = kp = process._kp
        self._handles = kp.handles

    @property
    def process(self) -> Process:
        """The process holding the handle (it acts, and sends, as this one)."""
        return self._process

    @property
    def handle(self) -> int:
        """The handle number in the process's table (CAP-HANDLE)."""
        return self._handle

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pid={self._process.pid}, handle={self._handle})"

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._handle in self._kp.handles:
                self._sys.kernel.apply(self._process.pid, sc.Drop(self._handle))

    def inspect(self) -> CapInfo:
        """Kind and rights (CAP-INSPECT)."""
        info = self._process._do(sc.Inspect(self._handle))
        assert isinstance(info, CapInfo)
        return info

    @property
    def rights(self) -> int:
        """The capability's rights bit mask."""
        return self.inspect().rights

    def derive(self: H, rights: int) -> H:
        """A new handle to the same object with a subset of the rights
        (RIGHTS-DERIVE)."""
        h = self._process._do(sc.Derive(self._handle, rights))
        assert isinstance(h, int)
        return type(self)(self._process, h, TOKEN)

    def drop(self) -> None:
        """Remove this handle (CAP-DROP)."""
        self._process._do(sc.Drop(self._handle))

    def revoke(self) -> int:
        """Destroy everything derived from this capability (RIGHTS-REVOKE)."""
        n = self._process._do(sc.Revoke(self._handle))
        assert isinstance(n, int)
        return n

    @property
    def alive(self) -> bool:
        """The handle is still live in its process."""
        return self._handle in self._kp.handles


H = TypeVar("H", bound=Handle)


#: The facade class of each kind of kernel object (filled by ``model.api``).
HANDLE_CLASSES: dict[type, type[Handle]] = {}


__all__ = ["HANDLE_CLASSES", "TOKEN", "Handle", "IpcException", "check_result"]
