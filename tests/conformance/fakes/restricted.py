"""Targets that cannot express part of what they implement (``restrictions``).

Each is the spec with one gap a real kernel may have, and declares it (or not:
the ``Undeclared`` variants) in ``restricts``:

- ``FixedCapacity``: every port it creates holds 2 messages, whatever
  ``CreatePort`` asks (and it checks no capacity);
- ``NoManage``: its rights masks cannot hold MANAGE: a ``Derive`` asking for
  it fails with ``InvalidArgument``;
- ``NoBatch``: it lacks ``ChannelSendBatch`` (always ``InvalidArgument``);
- ``FixedCapacityWrongInspect``: ``FixedCapacity`` with one more, unrelated
  bug: ``Inspect`` of a handle the process does not hold fails with
  ``InsufficientRights`` instead of ``InvalidCapability``.

Every target records the names of the operations it was sent (``SENT``, one
set per class), so a test can check that nothing outside a restriction was.
"""

from __future__ import annotations

from typing import ClassVar

from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.results import Err, Result
from veridian_ipc.vocabulary.rights import MANAGE
from veridian_ipc.vocabulary.syscalls import (
    ChannelSendBatch,
    CreatePort,
    Derive,
    Inspect,
    Operation,
)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Recording(SpecTarget):
    """The spec, noting every operation it is sent in ``sent``."""

    sent: ClassVar[list[Operation]]
    restricts: ClassVar[list[object]] = []

    def apply(self, pid: int, op: Operation) -> Result:
        type(self).sent.append(op)
        return self.answer(pid, op)

    def answer(self, pid: int, op: Operation) -> Result:
        """The target's answer (the spec's unless overridden)."""
        return super().apply(pid, op)


class FixedCapacity(Recording):
    """Ports of capacity 2 only."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = [
        {"op": "CreatePort", "field": "capacity", "in": [2]}
    ]

    def answer(self, pid: int, op: Operation) -> Result:
        if isinstance(op, CreatePort) and _int(op.capacity):
            op = CreatePort(2)
        return super().answer(pid, op)


class FixedCapacityUndeclared(FixedCapacity):
    """``FixedCapacity`` that does not say so."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = []


class NoManage(Recording):
    """Rights masks without MANAGE."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = [
        {"op": "Derive", "field": "rights", "without": ["MANAGE"]}
    ]

    def answer(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Derive) and _int(op.rights) and op.rights & MANAGE:
            return Err(IpcError.InvalidArgument)
        return super().answer(pid, op)


class NoManageUndeclared(NoManage):
    """``NoManage`` that does not say so."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = []


class NoBatch(Recording):
    """No ``ChannelSendBatch``."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = [{"op": "ChannelSendBatch"}]

    def answer(self, pid: int, op: Operation) -> Result:
        if isinstance(op, ChannelSendBatch):
            return Err(IpcError.InvalidArgument)
        return super().answer(pid, op)


class NoBatchUndeclared(NoBatch):
    """``NoBatch`` that does not say so."""

    sent: ClassVar[list[Operation]] = []
    restricts: ClassVar[list[object]] = []


class FixedCapacityWrongInspect(FixedCapacity):
    """``FixedCapacity`` (declared) with a wrong error on ``Inspect``."""

    sent: ClassVar[list[Operation]] = []

    def answer(self, pid: int, op: Operation) -> Result:
        result = super().answer(pid, op)
        if isinstance(op, Inspect) and result == Err(IpcError.InvalidCapability):
            return Err(IpcError.InsufficientRights)
        return result


class BadRestricts(SpecTarget):
    """Declares a right that does not exist."""

    restricts: ClassVar[list[object]] = [
        {"op": "Derive", "field": "rights", "without": ["FLY"]}
    ]
