"""The encodings agree with the spec on reachable states (STYLE 4.6).

Each example is a random run of the spec (``proofs.scenarios``); on every step
each encoding, evaluated on the projected pre-state, must succeed exactly when
the spec did and produce the projection of the spec's post-state. The second
half shows the check can fail: a deliberately broken encoding disagrees with
the spec on some run.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veridian_ipc.proofs import (
    agreement,
    enc_caps,
    enc_caps_controls,
    enc_channels,
    enc_ports,
)
from veridian_ipc.proofs.induction import System, Transition
from veridian_ipc.proofs.scenarios import random_run

#: Each example is a whole run, so fewer examples than the profile's default.
EXAMPLES = max(4, settings.default.max_examples // 25)
STEPS = 30


@pytest.mark.parametrize("encoding", sorted(agreement.CHECKERS))
@settings(max_examples=EXAMPLES)
@given(seed=st.integers(0, 2**32 - 1))
def test_encoding_agrees_with_spec(encoding: str, seed: int) -> None:
    check = agreement.CHECKERS[encoding]
    for i, step in enumerate(random_run(seed, STEPS)):
        out = check(step.before, step.pid, step.op, step.after, step.result)
        assert out == [], f"step {i}: pid {step.pid} {step.op} -> {step.result}: {out}"


def _broken(system: System, t: Transition) -> System:
    swapped = tuple(t if x.name == t.name else x for x in system.transitions)
    return dataclasses.replace(system, transitions=swapped)


BROKEN = [
    pytest.param(
        "caps",
        enc_caps.SYSTEM,
        enc_caps_controls.DERIVE_EXTRA_GRANT,
        marks=pytest.mark.slow,
    ),
    ("caps", enc_caps.SYSTEM, enc_caps_controls.DROP_NO_REPARENT),
    ("caps", enc_caps.SYSTEM, enc_caps_controls.SEND_WITHOUT_GRANT),
    ("port", enc_ports.SYSTEM, enc_ports.SEND_OVERFILLS),
    ("port", enc_ports.SYSTEM, enc_ports.HANDOFF_ALSO_QUEUES),
    ("channel", enc_channels.SYSTEM, enc_channels.SEND_OVERFILLS),
    ("channel", enc_channels.SYSTEM, enc_channels.SEND_SKIPS_SLOT),
]


@pytest.mark.parametrize(("encoding", "system", "broken"), BROKEN)
def test_broken_encoding_disagrees(
    encoding: str, system: System, broken: Transition
) -> None:
    check = agreement.CHECKERS[encoding]
    bad = _broken(system, broken)
    for seed in range(60):
        for step in random_run(seed, 40):
            if check(
                step.before, step.pid, step.op, step.after, step.result, system=bad
            ):
                return
    pytest.fail(f"no run exposed the broken {broken.name} of the {encoding} encoding")
