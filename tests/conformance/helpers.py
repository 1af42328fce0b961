"""Shared helpers of the conformance tests: profile, drivers, deterministic runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from veridian_ipc.conformance.checker import Checker, Divergence
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.targets import InProcessDriver
from veridian_ipc.vocabulary.syscalls import Operation

FAKES = Path(__file__).parent / "fakes"

#: The runner profile matching the Hypothesis profile the suite runs under.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
if PROFILE not in ("ci", "dev", "deep"):
    PROFILE = "dev"

MODEL = "veridian_ipc.model.kernel:Kernel"
SPEC = "veridian_ipc.conformance.targets:SpecTarget"


def serve_argv(impl: str) -> list[str]:
    """The command line of the protocol server wrapping ``impl``."""
    return [sys.executable, "-m", "veridian_ipc.conformance.serve", "--impl", impl]


def protocol_driver(impl: str, timeout: float = 20.0) -> ProcessDriver:
    """A driver speaking the protocol to a server of ``impl``."""
    return ProcessDriver(serve_argv(impl), timeout=timeout)


def fake_driver(script: str, timeout: float = 2.0) -> ProcessDriver:
    """A driver for one of the fake target scripts."""
    return ProcessDriver([sys.executable, str(FAKES / script)], timeout=timeout)


def run_ops(
    cls: type, ops: Sequence[tuple[int, Operation]], **kwargs: object
) -> tuple[Checker, Divergence | None]:
    """Apply ``ops`` in lock-step to ``cls`` and the spec; the first divergence."""
    checker = Checker(InProcessDriver(cls), **kwargs)  # type: ignore[arg-type]
    checker.reset()
    for pid, op in ops:
        try:
            checker.apply(pid, op)
        except Divergence as div:
            return checker, div
    return checker, None
