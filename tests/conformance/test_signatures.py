"""Signatures: what two divergences must share to be the same one."""

from __future__ import annotations

import pytest

from veridian_ipc.conformance.checker import Checker, Divergence
from veridian_ipc.conformance.crashes import apply_step
from veridian_ipc.conformance.signatures import (
    Signature,
    failure_kind,
    observation_path,
    signature_of,
)
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.tracefiles import validate
from veridian_ipc.conformance.traces import trace_data
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.results import Data, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    CreatePort,
    Inspect,
    Operation,
    Send,
)

from .helpers import run_ops


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("$.ports.3.queue[0].data", "ports.queue"),
        ("$.ports.7.queue", "ports.queue"),
        ("$.processes.1.handles.4.rights", "processes.handles"),
        ("$.clock", "clock"),
        ("$", "$"),
    ],
)
def test_observation_paths_lose_their_numbers(path: str, normalised: str) -> None:
    assert observation_path(path) == normalised


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("target 'x' did not answer within 1 s (step 3); it was killed", "hang"),
        ("target 'x' exited (exit status 3) at step 2", "crash"),
        ("target 'x' closed its output (killed by SIGSEGV) at step 2", "crash"),
        ("x.apply(1, Close(handle=1)) raised RuntimeError('boom')", "crash"),
        ("target 'x' reported a fatal error: 'the target raised'", "crash"),
        ("target 'x' sent a malformed result {'ok': 1, 'error': 'x'}", "protocol"),
    ],
)
def test_failure_kinds(message: str, kind: str) -> None:
    assert failure_kind(message) == kind


class WrongErrors(SpecTarget):
    """Inspect of a bad handle answers ``InsufficientRights``; AdvanceClock
    answers a wrong clock."""

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        if isinstance(op, Inspect) and isinstance(result, Err):
            return Err(IpcError.InsufficientRights)
        if isinstance(op, AdvanceClock):
            return Ok(0)
        return result


def _sig(ops: list[tuple[int, Operation]]) -> Signature:
    _, div = run_ops(WrongErrors, ops)
    assert div is not None
    return signature_of(div)


def test_one_wrong_error_is_one_signature_whatever_the_handle() -> None:
    first = _sig([(1, Inspect(7))])
    assert first == Signature("CAP-INSPECT", "Inspect", "error")
    assert _sig([(1, CreatePort(1)), (2, Inspect(99))]) == first


def test_a_wrong_value_is_a_result() -> None:
    assert _sig([(0, AdvanceClock(2))]) == Signature(
        "TIME-ADVANCE", "AdvanceClock", "result"
    )


class Hoards(SpecTarget):
    """A failed Send still changes the clock (ERR-ATOMIC)."""

    def __init__(self, processes: int, config: object) -> None:
        super().__init__(processes, config)  # type: ignore[arg-type]
        self.extra = 0

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        if isinstance(op, Send) and isinstance(result, Err):
            self.extra += 1
        return result

    def observe(self) -> Data:
        obs: dict[str, int] = super().observe()
        obs["clock"] += self.extra
        return obs


def test_a_failed_step_that_changes_state_is_atomicity_on_its_own_rule() -> None:
    _, div = run_ops(Hoards, [(1, Send(5, 0, 0, b""))])
    assert div is not None
    assert signature_of(div) == Signature("PORT-SEND", "Send", "atomicity")


class Raises(SpecTarget):
    """Raises on every Inspect."""

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, Inspect):
            raise RuntimeError("boom")
        return super().apply(pid, op)


def test_a_crash_is_a_divergence_with_the_spec_result_beside_it() -> None:
    checker = Checker(InProcessDriver(Raises))
    checker.reset()
    apply_step(checker, 1, CreatePort(1))
    with pytest.raises(Divergence) as caught:
        apply_step(checker, 1, Inspect(1))
    div = caught.value
    assert div.kind == "crash"
    assert div.step == 2
    assert div.steps[-1].target == {"failure": "crash"}
    assert div.steps[-1].spec == {"ok": {"kind": "port", "rights": 15}}
    assert "raised RuntimeError('boom')" in div.message
    assert signature_of(div) == Signature("CAP-INSPECT", "Inspect", "crash")
    # its trace is a valid trace file
    validate(trace_data(checker, div, "raises"))
