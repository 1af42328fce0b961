"""The encodings' transitions are looked up by name, and each negative control
stands in for the transition of the same name with the same parameters.

An obligation's control replaces the transition named like it
(``inductive_checks(replace={broken.name: broken})``): a control whose name or
parameters do not match a real transition (say, parameters taken from the
wrong transition by position) would check something else than it claims.
"""

from __future__ import annotations

import types

import pytest

from veridian_ipc.proofs import (
    System,
    Transition,
    enc_buffers,
    enc_caps,
    enc_caps_controls,
    enc_channels,
    enc_filters,
    enc_ports,
)
from veridian_ipc.proofs.enc_caps_rules import BY_NAME

#: Each encoding and the module holding its negative controls.
ENCODINGS: list[tuple[System, types.ModuleType]] = [
    (enc_caps.SYSTEM, enc_caps_controls),
    (enc_ports.SYSTEM, enc_ports),
    (enc_channels.SYSTEM, enc_channels),
    (enc_filters.SYSTEM, enc_filters),
    (enc_buffers.SYSTEM, enc_buffers),
]


def controls(system: System, module: types.ModuleType) -> list[Transition]:
    """The module-level transitions of ``module`` that are not ``system``'s own."""
    own = {id(t) for t in system.transitions}
    found = [v for v in vars(module).values() if isinstance(v, Transition)]
    return [t for t in found if id(t) not in own]


def mismatches(system: System, control: Transition) -> list[str]:
    """Why ``control`` cannot stand in for a transition of ``system``."""
    names = [t.name for t in system.transitions]
    if control.name not in names:
        return [f"{control.name}: no transition of that name in {system.name}"]
    real = system.transition(control.name)
    if [p.name for p in real.params] != [p.name for p in control.params]:
        return [f"{control.name}: parameters differ from the real transition's"]
    return []


@pytest.mark.parametrize(
    ("system", "module"), ENCODINGS, ids=[s.name for s, _ in ENCODINGS]
)
def test_every_control_stands_in_for_a_transition(
    system: System, module: types.ModuleType
) -> None:
    found = controls(system, module)
    assert found, f"no negative control found for {system.name}"
    assert [m for c in found for m in mismatches(system, c)] == []


@pytest.mark.parametrize(("system", "_module"), ENCODINGS)
def test_transition_names_are_unique(system: System, _module: object) -> None:
    names = [t.name for t in system.transitions]
    assert len(names) == len(set(names)), system.name


def test_caps_transitions_by_name() -> None:
    assert {t.name: t for t in enc_caps.SYSTEM.transitions} == BY_NAME
    assert enc_caps.SYSTEM.transition("send") is BY_NAME["send"]
    with pytest.raises(KeyError):
        enc_caps.SYSTEM.transition("no-such-rule")


def test_mismatch_is_caught() -> None:
    """The check can fail: a control given the parameters of the transition
    next to it (the slip a positional lookup invites), or a name of none."""
    send = enc_caps_controls.SEND_WITHOUT_GRANT
    slipped = Transition(send.name, send.rules, BY_NAME["deliver"].params, send.apply)
    assert mismatches(enc_caps.SYSTEM, slipped) != []
    unnamed = Transition("sned", send.rules, send.params, send.apply)
    assert mismatches(enc_caps.SYSTEM, unnamed) != []
    assert mismatches(enc_caps.SYSTEM, send) == []
