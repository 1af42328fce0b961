"""ERR-PRECEDENCE against the spec: the cascades are the spec's check order.

On reachable states, the first failing condition of a rule's cascade (in the
order ``proofs.precedence_cascades`` records the code's checks) is exactly the error the
spec returns, and no condition fails when the spec succeeds. The solver then
proves the cascade agrees with the documented order (test_obligations).
"""

from __future__ import annotations

from hypothesis import given, settings

from veridian_ipc.generation import Step, random_run, runs
from veridian_ipc.proofs.faithful import issued
from veridian_ipc.proofs.precedence_cascades import CASCADES, cascade_for, first_error
from veridian_ipc.proofs.precedence_conds import Cascade
from veridian_ipc.spec import RULES, Err
from veridian_ipc.spec.step import atomic
from veridian_ipc.vocabulary.names import Pid

EXAMPLES = max(10, settings().max_examples // 4)


@settings(max_examples=EXAMPLES)
@given(run=runs(40, 40))
def test_cascades_match_spec_errors(run: list[Step]) -> None:
    for step in run:
        c = cascade_for(step.op)
        if c is None or not issued(step.before, step.pid, step.op):
            continue
        want = step.result.error.name if isinstance(step.result, Err) else None
        got = first_error(c, step.before, Pid(step.pid), step.op)
        assert got == want, f"{step.op}: cascade {got}, spec {step.result}"


@settings(max_examples=EXAMPLES)
@given(run=runs(40, 40, ill_typed=True))
def test_every_failed_step_is_atomic(run: list[Step]) -> None:
    """ERR-ATOMIC on the spec itself, for every step of random runs."""
    for step in run:
        assert atomic(step.before, step.after, step.result, step.op)
        if isinstance(step.result, Err) and type(step.op).__name__ != "Resume":
            assert step.after is step.before


def test_swapped_cascade_disagrees_with_spec() -> None:
    """The spec check can fail: PORT-SEND with rights checked before the handle."""
    send = next(c for c in CASCADES if c.rule.value == "PORT-SEND")
    swapped = Cascade(
        send.rule, send.op, (send.conds[2], send.conds[0], *send.conds[3:])
    )
    for seed in range(60):
        for step in random_run(seed, 40):
            if type(step.op) is not send.op or not issued(
                step.before, step.pid, step.op
            ):
                continue
            want = step.result.error.name if isinstance(step.result, Err) else None
            if first_error(swapped, step.before, Pid(step.pid), step.op) != want:
                return
    raise AssertionError("no run told the swapped order from the spec's")


def test_cascades_list_every_documented_error() -> None:
    for c in CASCADES:
        assert sorted(x.error for x in c.conds) == sorted(RULES[c.rule].errors), c.rule


def test_the_proofs_own_a_cascade_for_every_ordered_operation() -> None:
    """The cascades the applied-order test uses live in the proofs
    (``precedence_extra.ALL_CASCADES``: the proved ones, then the extra), one
    per operation, each listing exactly its documented errors; the check can
    fail: a cascade missing one condition lists fewer."""
    from veridian_ipc.proofs.precedence_extra import ALL_CASCADES, documented_errors

    assert ALL_CASCADES[: len(CASCADES)] == CASCADES
    assert len({c.op for c in ALL_CASCADES}) == len(ALL_CASCADES)
    for c in ALL_CASCADES:
        assert sorted(x.error for x in c.conds) == sorted(documented_errors(c))
    short = ALL_CASCADES[-1].conds[:-1]
    assert sorted(x.error for x in short) != sorted(documented_errors(ALL_CASCADES[-1]))
