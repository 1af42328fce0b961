"""A failure found through the generation layer shrinks to a short run.

Every choice of a run (its length, the processes, each set-up, each operation
and argument) is a Hypothesis choice, so Hypothesis reduces a failing run to
the few steps the failure needs. The planted property here is false on
purpose: "no process ever sends a message with data". (The runs claim the
capability and port groups only, which keeps the search and the shrinking
quick.)
"""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings

from veridian_ipc.generation import Step, runs
from veridian_ipc.spec import Ok
from veridian_ipc.vocabulary.syscalls import CreatePort, Send

PORTS = runs(1, 10, groups=frozenset({"caps", "ports"}))
SETTINGS = settings(max_examples=1000, database=None, derandomize=True)


def sends_data(run: list[Step]) -> bool:
    return any(
        isinstance(x.op, Send) and isinstance(x.result, Ok) and x.op.data for x in run
    )


@pytest.mark.slow
def test_find_shrinks_a_planted_failure_to_its_few_steps() -> None:
    run = find(PORTS, sends_data, settings=SETTINGS)
    # a port created, one send on it: nothing else is needed
    assert [type(x.op) for x in run] == [CreatePort, Send], run


def test_a_failing_property_reports_the_shrunk_run() -> None:
    """The same planted failure inside a ``@given`` test: the run Hypothesis
    reports (the last one it runs) is the two steps, shorter than the first
    failing run it found."""
    seen: list[list[Step]] = []

    @SETTINGS
    @given(PORTS)
    def never_sends(run: list[Step]) -> None:
        seen.append(run)
        assert not sends_data(run)

    with pytest.raises(AssertionError):
        never_sends()
    first = next(r for r in seen if sends_data(r))
    assert len(seen[-1]) == 2, seen[-1]
    assert len(first) > len(seen[-1])
