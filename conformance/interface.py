"""The in-process target interface, typed: what an implementer writes.

An in-process target is a **class**; the suite makes a fresh instance for
every example and drives it one operation at a time::

    class MyKernel:
        groups = ("caps", "rights", "ports", "messages", "errors")
        observes = "all"   # or "none" (results only), or a list of paths

        def __init__(self, processes: int, config: Config) -> None: ...
        def apply(self, pid: int, op: Operation) -> Result: ...
        def observe(self) -> Data: ...

- ``__init__(processes, config)``: a fresh system with running processes
  ``1..processes`` and the spec's limits ``config`` (``spec.Config``);
- ``apply(pid, op)``: process ``pid`` issues ``op`` (a record of
  ``vocabulary.syscalls``, possibly ill-typed on purpose: ERR-TOTAL); the
  answer is the spec's ``Ok(value)`` / ``Err(error)``;
- ``observe()``: the observable state in the format of
  ``spec.observe.observe`` (its own numbering of pids, handles, mapping ids
  and objects allowed: the suite compares up to renaming). Only the part
  declared in ``observes`` is compared; with ``"none"`` it is never called;
- ``groups``: the feature groups implemented (``surface.ALL_GROUPS``; a class
  without the attribute implements all of them);
- ``observes``: what ``observe`` shows (``observation``; default ``"all"``).

``TargetClass`` is the class with both attributes (``targets.SpecTarget`` is
one); ``MinimalTargetClass`` a class relying on the defaults (the model's
``Kernel`` is one). Both are ``typing.Protocol``s, so a type checker checks an
implementation against them (``target: TargetClass = MyKernel``) and
``isinstance`` checks the members are there; ``check_target_class`` checks
more at run time (the declarations are valid, the methods callable).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from veridian_ipc.spec import Config

from .observation import observes_of
from .surface import ALL_GROUPS
from .targets import Target


@runtime_checkable
class MinimalTargetClass(Protocol):
    """A target class: called with ``(processes, config)``, it makes a fresh
    ``Target`` (an object with ``apply`` and ``observe``)."""

    def __call__(self, processes: int, config: Config) -> Target: ...


@runtime_checkable
class TargetClass(MinimalTargetClass, Protocol):
    """A target class that declares what it implements and observes."""

    @property
    def groups(self) -> Iterable[str]:
        """The feature groups implemented (``surface.ALL_GROUPS``)."""
        ...

    @property
    def observes(self) -> str | Iterable[str]:
        """``"all"``, ``"none"`` or the observation paths it reports."""
        ...


class InterfaceError(TypeError):
    """A class that is not a usable in-process target."""


def check_target_class(cls: object) -> None:
    """Raise ``InterfaceError`` saying why ``cls`` is not a target class (a
    class whose constructor takes ``(processes, config)``, with ``apply`` and
    ``observe`` methods, and valid ``groups`` and ``observes`` if declared)."""
    if not isinstance(cls, type):
        raise InterfaceError(f"{cls!r} is not a class")
    for method in ("apply", "observe"):
        if not callable(getattr(cls, method, None)):
            raise InterfaceError(f"{cls.__qualname__} has no method {method}()")
    try:
        inspect.signature(cls).bind(3, Config())
    except TypeError as exc:
        raise InterfaceError(
            f"{cls.__qualname__}(processes, config) cannot be called: {exc}"
        ) from None
    except ValueError:  # no signature to inspect (a builtin): trust it
        pass
    groups = getattr(cls, "groups", ALL_GROUPS)
    if isinstance(groups, str) or not isinstance(groups, Iterable):
        raise InterfaceError(f"{cls.__qualname__}.groups is not a list of groups")
    unknown = sorted(set(groups) - set(ALL_GROUPS))
    if unknown:
        raise InterfaceError(f"{cls.__qualname__}.groups: unknown groups {unknown}")
    try:
        observes_of(cls)
    except ValueError as exc:
        raise InterfaceError(f"{cls.__qualname__}.observes: {exc}") from None


__all__ = [
    "InterfaceError",
    "MinimalTargetClass",
    "TargetClass",
    "check_target_class",
]
