"""The generation layer draws only operations of the registry, can draw every
one of them, and draws them well-formed (``generation.wellformed``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veridian_ipc.generation import (
    ALL_GROUPS,
    GENERATORS,
    SMALL,
    Gen,
    Step,
    build_run,
    random_run,
    runs,
)
from veridian_ipc.generation.wellformed import problems
from veridian_ipc.spec import initial_state
from veridian_ipc.spec.step import well_typed
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import OP_SPECS, OPS_BY_NAME, Operation, OpSpec

EXAMPLES = max(10, settings().max_examples // 4)


def test_the_generators_are_the_registry() -> None:
    """One generator per registered operation, no other."""
    assert list(GENERATORS) == [s.name for s in OP_SPECS]


@settings(max_examples=EXAMPLES)
@given(runs(1, 60))
def test_a_run_draws_only_registry_operations(run: list[Step]) -> None:
    for x in run:
        spec = OPS_BY_NAME.get(type(x.op).__name__)
        assert spec is not None, x
        assert spec.cls is type(x.op), x


@settings(max_examples=EXAMPLES)
@given(runs(1, 60))
def test_drawn_operations_are_well_formed(run: list[Step]) -> None:
    """Typed as declared and within the registry's domains (or just past a
    bound): a run without ill-typed draws holds nothing else."""
    for x in run:
        assert problems(x.op) == [], x


@pytest.mark.parametrize("spec", OP_SPECS, ids=lambda s: s.name)
@settings(max_examples=5)
@given(data=st.data())
def test_every_registry_operation_can_be_drawn(
    spec: OpSpec, data: st.DataObject
) -> None:
    """Its generator, on a state a run reached, draws a well-formed record of it."""
    run = data.draw(runs(0, 20), label="run")
    s = run[-1].after if run else initial_state(2, SMALL)
    _, op = GENERATORS[spec.name](Gen(data.draw, s, ALL_GROUPS))
    assert type(op) is spec.cls
    assert problems(op) == []


def test_every_registry_operation_comes_up_in_runs() -> None:
    """Not just reachable by its own generator: the runs' weighted choice
    draws every operation of the registry within a few seeded runs."""
    drawn = {type(x.op).__name__ for seed in range(12) for x in random_run(seed, 60)}
    assert drawn == {s.name for s in OP_SPECS}


# -- the checks can fail ---------------------------------------------------------


def test_the_well_formedness_check_refuses_planted_bad_draws() -> None:
    planted: list[object] = [
        sc.Send(1, 0, 0, b"x" * 200),  # data far over 64 bytes
        sc.CreatePort("2"),  # type: ignore[arg-type]  # wrong type
        sc.Derive(1, 1 << 20),  # rights far past every right
        sc.SockRecv(0, -9),  # a buffer size far below 0
        Operation(),  # not a record of the registry
        "Send",
    ]
    for op in planted:
        assert problems(op) != [], op
    assert problems(sc.Send(1, 0, 0, b"x" * 65)) == []  # just past: fine


def test_a_planted_ill_formed_generator_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A generator that draws nonsense: the checks above fail on its runs."""
    import random

    def bad_send(g: Gen) -> tuple[int, sc.Operation]:
        return g.pid(), sc.Send(1, 0, 0, b"x" * 300)

    monkeypatch.setitem(GENERATORS, "Send", bad_send)
    g = Gen.seeded(random.Random(0), initial_state(2, SMALL), ALL_GROUPS)
    run = build_run(g, 200, 2)
    bad = [x for x in run if problems(x.op)]
    assert bad, "the planted generator was never drawn"
    assert all(isinstance(x.op, sc.Send) for x in bad)


def test_a_run_without_ill_typed_draws_has_none() -> None:
    """A scenario's deliberate fault (``Drop(True)``) is left out of runs for
    typed checks, and kept when asked for."""
    typed = [x.op for seed in range(20) for x in random_run(seed, 60)]
    assert all(well_typed(op) for op in typed)
    import random

    g = Gen.seeded(random.Random(1), initial_state(3, SMALL), ALL_GROUPS)
    mixed = [x.op for x in build_run(g, 400, 3, ill_typed=True, in_process=True)]
    assert not all(well_typed(op) for op in mixed)
