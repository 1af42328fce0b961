"""Targets: the one interface the suite drives, and the ways a target comes in.

An **in-process target** is any class constructible as
``Target(processes, config)`` with ``apply(pid, op) -> Result`` (spec records in,
spec ``Ok`` / ``Err`` out) and ``observe() -> dict`` in the format of
``spec.observe.observe`` (its own numbering allowed). It may declare the
feature groups it implements in a class attribute ``groups`` (default: all),
and how much of the state it can observe in a class attribute ``observes``
(``"all"``, the default; ``"none"``, results only; or a list of observation
paths: ``observation``). ``interface.TargetClass`` is the typed description.

The suite talks to every target through a ``Driver``: plain data in the
canonical encoding (``wire``), so in-process classes and foreign programs
(``protocol.ProcessDriver``) are compared by the same code.

``make_driver`` (what ``--target`` uses) runs a ``module:Class`` target in a
**worker process** (``worker``: the protocol server wrapping the class, with
the target's own prints kept out of the protocol), driven by a
``ProcessDriver``. A target that hangs, exits (``sys.exit``, ``os._exit``) or
crashes then ends as a reported ``TargetFailure`` (with its per-step timeout),
exactly as a foreign program would: one code path for every target.
``InProcessDriver`` stays, for the project's own tests and benchmarks, where
the target is trusted and speed matters.
"""

from __future__ import annotations

import importlib
import os
import shlex
import sys
import threading
from collections.abc import Iterable
from typing import ClassVar, Protocol, runtime_checkable

from veridian_ipc.spec import Config, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.results import Data, Result, encode_result
from veridian_ipc.vocabulary.syscalls import Operation

from .observation import ALL, Observes, observes_of, project
from .restrictions import Restrictions, restricts_of
from .surface import ALL_GROUPS


class TargetFailure(BaseException):
    """The target crashed, hung, or answered something that is not the protocol.

    A ``BaseException``: nothing the target runs can catch it. On a step of an
    exploring run it becomes a divergence (``crashes``) and the next reset
    starts the target again; anywhere else (start, handshake, reset) it ends
    the run, reported with what the target did.
    """


@runtime_checkable
class Target(Protocol):
    """An in-process implementation under test."""

    def apply(self, pid: int, op: Operation) -> Result: ...

    def observe(self) -> Data: ...


class Driver(Protocol):
    """How the checker talks to any target: plain data in and out.

    A driver may also say what its target observes, in an attribute
    ``observes`` (an ``observation.Observes``; ``InProcessDriver`` and
    ``ProcessDriver`` have it): its ``observe`` then returns only that part,
    and the checker compares only that. A driver without it observes all.
    """

    name: str
    groups: frozenset[str]

    def reset(self, processes: int, config: Config) -> None: ...

    def apply(self, pid: int, op: Operation) -> Data: ...

    def observe(self) -> Data: ...

    def close(self) -> None: ...


class SpecTarget:
    """The spec itself as a target: ``step`` over a held state."""

    groups: ClassVar[tuple[str, ...]] = ALL_GROUPS
    observes: ClassVar[str | tuple[str, ...]] = ALL

    def __init__(self, processes: int, config: Config) -> None:
        self.state: KernelState = initial_state(processes=processes, config=config)

    def apply(self, pid: int, op: Operation) -> Result:
        """Apply ``op`` as issued by ``pid``."""
        self.state, result = step(self.state, pid, op)
        return result

    def observe(self) -> Data:
        """The spec's observation of the held state."""
        return observe(self.state)


TargetClass = type


def _groups_of(cls: object, claimed: Iterable[str] | None) -> frozenset[str]:
    groups = claimed if claimed is not None else getattr(cls, "groups", ALL_GROUPS)
    out = frozenset(groups)
    unknown = out - set(ALL_GROUPS)
    if unknown:
        raise ValueError(f"unknown feature groups {sorted(unknown)}")
    return out


class InProcessDriver:
    """Drives a target class in this process; a fresh instance per reset.

    ``observes`` overrides the class's own declaration (``observation``); the
    target's observation is cut down to what is declared, and a target that
    observes nothing is never asked."""

    def __init__(
        self,
        cls: type,
        groups: Iterable[str] | None = None,
        *,
        observes: object = None,
        restricts: object = None,
    ) -> None:
        self.cls = cls
        self.name = f"{cls.__module__}:{cls.__qualname__}"
        self.groups = _groups_of(cls, groups)
        self.observes: Observes = observes_of(cls, observes)
        #: What the target cannot express (``restrictions``): ``restricts``
        #: if given, else the class's ``restricts`` attribute.
        self.restricts: Restrictions = restricts_of(cls, restricts)
        self.target: Target | None = None

    def reset(self, processes: int, config: Config) -> None:
        """A fresh target with ``processes`` processes."""
        try:
            self.target = self.cls(processes, config)
        except Exception as exc:
            raise TargetFailure(
                f"{self.name}({processes}, ...) raised {exc!r}"
            ) from exc

    def _live(self) -> Target:
        if self.target is None:
            raise TargetFailure(f"{self.name}: used before reset")
        return self.target

    def apply(self, pid: int, op: Operation) -> Data:
        """The target's encoded result; an exception is a target failure."""
        try:
            result = self._live().apply(pid, op)
        except Exception as exc:
            raise TargetFailure(
                f"{self.name}.apply({pid}, {op!r}) raised {exc!r}"
            ) from exc
        try:
            return encode_result(result)
        except Exception:
            raise TargetFailure(
                f"{self.name}.apply returned {result!r}, not a spec Result"
            ) from None

    def observe(self) -> Data:
        """The target's observation (of what it declared)."""
        target = self._live()
        if self.observes.nothing:
            return {}
        try:
            return project(target.observe(), self.observes)
        except Exception as exc:
            raise TargetFailure(f"{self.name}.observe() raised {exc!r}") from exc

    def close(self) -> None:
        """Nothing to release."""
        self.target = None


def load_class(spec: str) -> type:
    """The class named by ``package.module:Class``."""
    module_name, _, qualname = spec.partition(":")
    module = importlib.import_module(module_name)
    obj: object = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"{spec} is not a class")
    return obj


def _load_within(spec: str, timeout: float) -> type:
    """``load_class(spec)``, given at most ``timeout`` seconds: importing a
    target's module runs its code, which may hang. The import runs in a daemon
    thread; one still running after ``timeout`` is a ``TargetFailure`` (the
    thread is left behind: it cannot be stopped, and it ends with the process).
    A module that exits on import is an ``ImportError``."""
    box: list[type | BaseException] = []

    def load() -> None:
        try:
            box.append(load_class(spec))
        except SystemExit as exc:
            box.append(ImportError(f"importing it exited ({exc.code!r})"))
        except BaseException as exc:  # re-raised below, in the caller's thread
            box.append(exc)

    thread = threading.Thread(target=load, name=f"load {spec}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not box:
        raise TargetFailure(
            f"{spec}: importing the target's module did not finish within "
            f"{timeout:g} s (the timeout)"
        )
    found = box[0]
    if isinstance(found, BaseException):
        raise found
    return found


def is_class_spec(spec: str) -> bool:
    """True when ``spec`` looks like ``package.module:Class`` (not a command)."""
    if " " in spec.strip() or ":" not in spec:
        return False
    mod, _, name = spec.partition(":")
    return bool(mod) and bool(name) and all(p.isidentifier() for p in mod.split("."))


def worker_argv(spec: str) -> list[str]:
    """The command line of a worker serving the class ``spec`` (``worker``)."""
    return [sys.executable, "-m", "veridian_ipc.conformance.worker", "--impl", spec]


def worker_env() -> dict[str, str]:
    """The environment of a worker: this one, with this interpreter's import
    path, so that the worker imports the class this process would."""
    path = [p or os.getcwd() for p in sys.path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def make_driver(
    spec: str,
    groups: Iterable[str] | None = None,
    timeout: float = 10.0,
    *,
    isolated: bool = True,
    observes: object = None,
    restricts: object = None,
) -> Driver:
    """A driver for ``--target``: ``module:Class`` (run in a worker process
    unless ``isolated`` is False), else a command speaking the protocol.

    ``observes`` (``"all"``, ``"none"``, a list of observation paths or the
    same comma-separated) overrides what the target declares it observes;
    ``restricts`` (``restrictions``: a list or its JSON) what it declares it
    cannot express (an invalid one: ``RestrictsError``, a ``ValueError``).

    The class is looked up here first, so that a wrong name is a usage error
    (``ImportError``, ``AttributeError``, ``TypeError``, ``ValueError`` for
    unknown groups or an unknown observation path: ``ObservesError``) rather
    than a failing worker.
    """
    from .protocol import ProcessDriver

    if not is_class_spec(spec):
        declared = None if observes is None else observes_of(None, observes)
        limits = None if restricts is None else restricts_of(None, restricts)
        return ProcessDriver(
            shlex.split(spec),
            timeout=timeout,
            groups=groups,
            observes=declared,
            restricts=limits,
        )
    cls = _load_within(spec, timeout)
    claimed = _groups_of(cls, groups)
    seen = observes_of(cls, observes)
    # the worker's hello does not carry the class's restrictions: read here
    limited = restricts_of(cls, restricts)
    if not isolated:
        return InProcessDriver(cls, groups, observes=seen, restricts=limited)
    return ProcessDriver(
        worker_argv(spec),
        timeout=timeout,
        groups=None if groups is None else claimed,
        name=spec,
        env=worker_env(),
        observes=None if observes is None else seen,
        restricts=limited,
    )
