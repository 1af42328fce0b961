"""Lock-step: the model and the spec agree on every result and observation.

The runs come from the shared generation layer (``generation.runs``): the
set-ups, every operation of the registry with arguments drawn from the live
state (valid and invalid, several processes, blocking receives, Resume,
AdvanceClock, Kill, revokes, transfers, sockets), the scenarios and flows,
ill-typed records and values that are no records at all. Each run of the
spec is replayed on ``Kernel.apply``; after every step the results and
``observe()`` must be equal. Every choice is a Hypothesis choice, so a
disagreement shrinks to a short run.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from veridian_ipc.generation import SMALL, Step, runs
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec.observe import observe

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

EXAMPLES = max(10, settings().max_examples // 2)


def replay_on_model(run: list[Step]) -> None:
    """Apply the run's steps to a fresh model; results and observations must
    be the spec's, step by step."""
    k = Kernel(len(run[0].before.processes), SMALL)
    assert k.observe() == observe(run[0].before)
    for i, st in enumerate(run):
        got = k.apply(st.pid, st.op)  # type: ignore[arg-type]  # any value (ERR-TOTAL)
        assert got == st.result, (
            f"step {i}: pid {st.pid} {st.op!r}: model {got!r}, spec {st.result!r}"
        )
        assert k.observe() == observe(st.after), f"step {i}: observations differ"


@settings(max_examples=EXAMPLES)
@given(runs(1, 80, processes=(1, 3), ill_typed=True, in_process=True))
def test_model_agrees_with_spec(run: list[Step]) -> None:
    replay_on_model(run)


@settings(max_examples=max(5, EXAMPLES // 2))
@given(runs(120, 140, processes=(2, 4), ill_typed=True, in_process=True))
def test_model_agrees_with_spec_on_long_runs(run: list[Step]) -> None:
    """Long runs: queues fill, deadlines pass, capabilities travel far."""
    replay_on_model(run)
