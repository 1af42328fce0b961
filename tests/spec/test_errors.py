"""Errors: ERR-*."""

from __future__ import annotations

from veridian_ipc.spec import RULES, Err, IpcError, RuleId, initial_state, step
from veridian_ipc.vocabulary.syscalls import (
    OPERATIONS,
    CreatePort,
    Derive,
    Receive,
    Send,
    SetFilter,
)

from .conftest import World


def test_err_enum_codes_are_stable() -> None:
    """ERR-ENUM: seed order 1-9, Timeout 10, TypeMismatch 11, additions after;
    codes unique and contiguous."""
    seed = [
        "PortNotFound",
        "PortClosed",
        "PortFull",
        "InsufficientRights",
        "InvalidCapability",
        "MessageTooLarge",
        "InvalidMessage",
        "OutOfMemory",
        "WouldBlock",
        "Timeout",
        "TypeMismatch",
    ]
    assert [IpcError[n].value for n in seed] == list(range(1, 12))
    codes = [e.value for e in IpcError]
    assert codes == list(range(1, len(codes) + 1))


def test_err_every_documented_error_is_in_the_enum() -> None:
    """ERR-ENUM: every error a rule documents exists."""
    for entry in RULES.values():
        for name in entry.errors:
            assert name in IpcError.__members__, (entry.id, name)


def test_err_precedence_issuer_checks_first(world: type[World]) -> None:
    """ERR-PRECEDENCE: ill-typed < unknown process < blocked < rule checks."""
    w = world(1)
    h = w.handle(1, CreatePort(1))
    w.err(99, Send("bad", 0, 0, b"", ()), IpcError.InvalidArgument)  # type: ignore[arg-type]
    w.err(99, Send(999, 0, 0, b"", ()), IpcError.NoSuchProcess)
    w.blocked(1, Receive(h, None))
    w.err(1, Send(999, 0, 0, bytes(100), ()), IpcError.ProcessBlocked)


def test_err_precedence_documented_order_matches_code(
    world: type[World],
) -> None:
    """ERR-PRECEDENCE: for SetFilter, each error in the documented order wins
    over the ones after it."""
    doc = RULES[RuleId.FILTER_SET].errors
    assert doc == (
        "InvalidCapability",
        "InsufficientRights",
        "InvalidArgument",
        "PortClosed",
    )
    w = world(1)
    h = w.handle(1, CreatePort(1))
    weak = w.handle(1, Derive(h, 0))
    from veridian_ipc.vocabulary.syscalls import Close

    w.ok(1, Close(h))
    w.err(1, SetFilter(77, None, 99, None), IpcError.InvalidCapability)
    w.err(1, SetFilter(weak, None, 99, None), IpcError.InsufficientRights)
    w.err(1, SetFilter(h, None, 99, None), IpcError.InvalidArgument)
    w.err(1, SetFilter(h, None, 9, None), IpcError.PortClosed)


def test_err_total_wrong_types_are_invalid_argument() -> None:
    """ERR-TOTAL: non-operations and ill-typed fields are InvalidArgument and
    change nothing."""
    s = initial_state(1)
    for bad in (
        None,
        "Send",
        42,
        CreatePort(True),
        CreatePort("3"),  # type: ignore[arg-type]
        Send(1, 0, 0, "text", ()),  # type: ignore[arg-type]
        Send(1, 0, 0, b"", [1]),  # type: ignore[arg-type]
        SetFilter(1, {1}, None, None),  # type: ignore[arg-type]
        SetFilter(1, frozenset({"a"}), None, None),  # type: ignore[arg-type]
        Receive(1, 1.5),  # type: ignore[arg-type]
    ):
        s2, r = step(s, 1, bad)
        assert s2 is s
        assert getattr(r, "error", None) is IpcError.InvalidArgument, bad
    assert len(OPERATIONS) == 35


def test_err_atomic_failed_ops_return_the_same_state() -> None:
    """ERR-ATOMIC: an Err comes with the very state given (identity)."""
    s = initial_state(1)
    s, _ = step(s, 1, CreatePort(1))
    s, _ = step(s, 1, Send(1, 0, 0, b"", ()))
    for op, error in (
        (Send(1, 0, 0, b"", ()), IpcError.PortFull),
        (Receive(5, 0), IpcError.InvalidCapability),
        (Derive(1, 0x80), IpcError.InvalidArgument),
    ):
        s2, r = step(s, 1, op)
        assert s2 is s
        assert r == Err(error), op


def test_err_precedence_pid_must_be_an_int() -> None:
    """PROC-STATUS / ERR-TOTAL: a pid that is not an int names no process."""
    s = initial_state(1)
    for pid in (True, 1.0, [1], "1", None):
        s2, r = step(s, pid, CreatePort(1))
        assert s2 is s
        assert getattr(r, "error", None) is IpcError.NoSuchProcess, pid
