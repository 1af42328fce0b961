"""Ill-typed steps (ERR-TOTAL) offer every wrong-type form within a few
firings, whatever the seed: the ``ill_typed`` rule of a run's table walks the
forms in a fixed order, bool-for-int first, and still makes the draws it
always made (so the run's other steps do not move)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from veridian_ipc.generation import ALL_GROUPS, choices, ops
from veridian_ipc.generation.choices import rules
from veridian_ipc.generation.context import Gen
from veridian_ipc.generation.runs import build_run
from veridian_ipc.spec import initial_state
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary.syscalls import (
    Operation,
)

#: Seeds whose runs of 220 steps draw several ill-typed steps.
SEEDS = (0, 3, 8)
#: How many firings it takes to offer every form.
FORMS = 4


#: Each wrong-type form: the record and the types of its fields.
KINDS = {
    ("Drop", ("bool",)): "bool for int",
    ("CreatePort", ("str",)): "str for int",
    ("Inspect", ("str",)): "str for handle",
    ("Receive", ("int", "bool")): "bool for optional int",
}


def _kind(op: object) -> str:
    """The wrong-type form of an ill-typed step, by its record and fields."""
    fields = tuple(type(getattr(op, f)).__name__ for f in op.__slots__)  # type: ignore[attr-defined]
    return KINDS.get((type(op).__name__, fields), f"unexpected {op!r}")


def _firings(seed: int, n: int) -> list[object]:
    """The ill-typed rule of a fresh run's table, fired ``n`` times."""
    table = dict(rules(ALL_GROUPS, ill_typed_too=True))
    rule = table["ill_typed"]
    g = Gen.seeded(random.Random(seed), initial_state(2), ALL_GROUPS)
    return [op for _ in range(n) for _, op in rule(g)]


@pytest.mark.parametrize("seed", range(12))
def test_every_ill_typed_form_is_offered_within_a_rotation(seed: int) -> None:
    kinds = [_kind(op) for op in _firings(seed, FORMS)]
    assert kinds == [
        "bool for int",
        "str for int",
        "str for handle",
        "bool for optional int",
    ]
    assert not any(well_typed(op) for op in _firings(seed, FORMS))


def test_each_run_starts_its_rotation_afresh() -> None:
    """Every run's table has its own rotation: a second run offers
    bool-for-int first again."""
    assert _kind(_firings(0, 1)[0]) == "bool for int"
    assert _kind(_firings(0, 1)[0]) == "bool for int"


def test_the_rotation_leaves_the_other_draws_where_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule makes one draw after the process and the handle, as the
    random pick of a form did: a seeded run's well-typed steps are those of a
    run whose ill-typed rule picks its form at random (the old rule)."""

    def legacy() -> Callable[[Gen], tuple[int, Operation]]:
        def pick(g: Gen) -> tuple[int, Operation]:
            pid = g.pid()
            forms = ops.ill_typed_forms(g.handle(pid))
            return pid, g.pick(forms)

        return pick

    def steps(seed: int) -> tuple[list[tuple[int, object]], int]:
        g = Gen.seeded(random.Random(seed), initial_state(1), ALL_GROUPS)
        run = build_run(g, 220, 2, ill_typed=True, fixed_setup=True)
        typed = [(s.pid, s.op) for s in run if well_typed(s.op)]
        return typed, len(run) - len(typed)

    now = [steps(seed) for seed in SEEDS]
    assert all(ill for _, ill in now), "a run drew no ill-typed step"
    monkeypatch.setattr(choices, "IllTypedRotation", legacy)
    before = [steps(seed) for seed in SEEDS]
    assert [typed for typed, _ in now] == [typed for typed, _ in before]
