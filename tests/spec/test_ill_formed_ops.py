"""ERR-TOTAL on records whose fields were never set (``object.__new__(Op)``).

Such a record passes ``type(op) is Op`` but reading a field raises
``AttributeError``; the spec and the model must refuse it with
``InvalidArgument`` and change nothing, for every operation class.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import TypeVar

import pytest

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Err, IpcError, initial_state, step
from veridian_ipc.vocabulary.syscalls import (
    OPERATIONS,
    Operation,
    RateLimit,
    Resume,
    SetFilter,
    Spawn,
)

T = TypeVar("T")


def _has_fields(cls: type) -> bool:
    assert is_dataclass(cls), cls
    return bool(fields(cls))


#: Classes with no field: an unset record is simply the record.
NO_FIELDS = {cls for cls in OPERATIONS if not _has_fields(cls)}
WITH_FIELDS = sorted(set(OPERATIONS) - NO_FIELDS, key=lambda c: c.__name__)


def unset(cls: type[T]) -> T:
    """An instance of ``cls`` whose fields were never set."""
    return object.__new__(cls)


def test_every_operation_class_with_fields_is_covered() -> None:
    """Every operation class but the one without fields is parametrized
    (``Spawn`` has fields: the namespace authority it gives, NS-BIND)."""
    assert {Resume} == NO_FIELDS
    assert Spawn in WITH_FIELDS


@pytest.mark.parametrize("cls", WITH_FIELDS, ids=lambda c: c.__name__)
def test_spec_refuses_unset_fields(cls: type[Operation]) -> None:
    s = initial_state(2)
    after, result = step(s, 1, unset(cls))
    assert result == Err(IpcError.InvalidArgument)
    assert after is s


@pytest.mark.parametrize("cls", WITH_FIELDS, ids=lambda c: c.__name__)
def test_model_refuses_unset_fields(cls: type[Operation]) -> None:
    k = Kernel(2)
    before = k.observe()
    assert k.apply(1, unset(cls)) == Err(IpcError.InvalidArgument)
    assert k.observe() == before


def test_unset_nested_rate_limit_is_refused() -> None:
    op = SetFilter(1, None, None, object.__new__(RateLimit))
    s = initial_state(2)
    assert step(s, 1, op)[1] == Err(IpcError.InvalidArgument)
    assert Kernel(2).apply(1, op) == Err(IpcError.InvalidArgument)


def test_unset_field_check_can_fail_the_other_way() -> None:
    """The same records, fully set, are accepted: the refusal is about the
    unset fields, not the class."""
    from veridian_ipc.vocabulary.syscalls import Inspect, Socket

    assert step(initial_state(2), 1, Inspect(1))[1] == Err(IpcError.InvalidCapability)
    assert (
        Kernel(2).apply(1, Socket(None)) == step(initial_state(2), 1, Socket(None))[1]
    )
