"""Generators: one per operation, draws only through the ``Gen``, in a fixed
order (the ci profile is derandomized: the same draws must give the same
operations), and the ``Gen`` helpers the generator modules share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.conformance import generate
from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.generate import (
    GENERATORS,
    SCENARIOS,
    SETUPS,
    Draw,
    Gen,
)
from veridian_ipc.conformance.surface import ALL_GROUPS, OP_GROUP
from veridian_ipc.spec import step
from veridian_ipc.spec.state import KernelState, initial_state
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Drop,
    MapBuffer,
    Operation,
    SockBind,
    Socket,
)

EVERY_GROUP = frozenset(ALL_GROUPS)


class Script:
    """A ``draw`` that hands out scripted values, whatever the strategy."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = list(values)
        self.used = 0

    def __call__(self, strategy: st.SearchStrategy[Any]) -> Any:
        value = self.values[self.used]
        self.used += 1
        return value


def no_draw(strategy: st.SearchStrategy[Any]) -> Any:
    raise AssertionError("nothing should be drawn")


def run(s: KernelState, steps: Iterable[tuple[int, Operation]]) -> KernelState:
    """``s`` after ``steps``, each of which must succeed."""
    for pid, op in steps:
        s, r = step(s, pid, op)
        assert isinstance(r, Ok), (op, r)
    return s


def busy_state() -> KernelState:
    """Three processes; process 1 holds a bound port, a channel, a mapped
    buffer and a bound socket."""
    return run(
        initial_state(processes=3, config=SMALL_CONFIG),
        [
            (1, CreatePort(2)),
            (1, Bind(1, "a", 0)),
            (1, CreateChannel(2, 4)),
            (1, CreateBuffer(8)),
            (1, MapBuffer(3, True)),
            (1, Socket(None)),
            (1, SockBind(0, "b")),
        ],
    )


def test_every_operation_has_one_generator() -> None:
    assert sorted(GENERATORS) == sorted(OP_GROUP)


def test_set_ups_are_keyed_by_feature_group() -> None:
    assert set(SETUPS) <= EVERY_GROUP


def test_the_index_exports_what_the_state_machine_uses() -> None:
    for name in ("GENERATORS", "SCENARIOS", "SETUPS", "Gen", "GenFn", "Steps"):
        assert name in generate.__all__
    assert "ill_typed" in generate.__all__


def test_fresh_handle_is_the_handle_the_spec_gives_next() -> None:
    s = initial_state(processes=2, config=SMALL_CONFIG)
    for op in [CreatePort(2), CreateChannel(2, 4), Drop(1), CreateBuffer(8)]:
        want = Gen(no_draw, s, EVERY_GROUP).fresh_handle(1)
        s, r = step(s, 1, op)
        if not isinstance(op, Drop):
            assert r == Ok(want)  # never a reused number (CAP-HANDLE)


def test_actor_fd_draws_in_order() -> None:
    s = busy_state()
    # roll 0: a running process's open fd (the only one: nothing to pick).
    script = Script([0])
    assert Gen(script, s, EVERY_GROUP).actor_fd() == (1, 0)
    assert script.used == 1
    # roll 99: any pid (roll 0, second running process), then an fd for it
    # (none open: the fifth of 0, 1, 2, 3, -1).
    script = Script([99, 0, 1, 4])
    assert Gen(script, s, EVERY_GROUP).actor_fd() == (2, -1)
    assert script.used == 4


def test_actor_mapping_draws_in_order() -> None:
    s = busy_state()
    script = Script([0])
    assert Gen(script, s, EVERY_GROUP).actor_mapping() == (1, 1)
    assert script.used == 1
    # roll 99: the third running process, then a mapping id for it: none live
    # or stale, so the second of (next id, 0).
    script = Script([99, 0, 2, 50, 1])
    assert Gen(script, s, EVERY_GROUP).actor_mapping() == (3, 0)
    assert script.used == 5


class Recorder:
    """Draws through Hypothesis and keeps what was drawn."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.values: list[Any] = []

    def __call__(self, strategy: st.SearchStrategy[Any]) -> Any:
        value = self.draw(strategy)
        self.values.append(value)
        return value


def _all_generators() -> list[Callable[[Gen], object]]:
    return [*GENERATORS.values(), *SCENARIOS.values(), *SETUPS.values()]


@given(st.data())
def test_the_same_draws_give_the_same_operations(data: st.DataObject) -> None:
    s = busy_state()
    for gen in _all_generators():
        recorder = Recorder(data.draw)
        first = gen(Gen(recorder, s, EVERY_GROUP))
        replay = Script(recorder.values)
        assert gen(Gen(replay, s, EVERY_GROUP)) == first
        assert replay.used == len(recorder.values)
