"""Peer death in the model: it follows the spec's decisions step for step.

Each scenario is a list of (pid, operation, expected result); it is applied to
``Kernel.apply`` and to ``spec.step`` and both must give exactly the expected
results (NS-BIND, PORT-CLOSE).
"""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Err, IpcError, Ok, Result, initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc

Scenario = list[tuple[int, sc.Operation, Result]]

NOT_FOUND = Err(IpcError.PortNotFound)

#: A closed port's names go; they can be bound again (NS-BIND, PORT-CLOSE).
CLOSE_UNBINDS: Scenario = [
    (1, sc.CreatePort(2), Ok(1)),
    (1, sc.Bind(1, "svc", 7), Ok(None)),
    (2, sc.Lookup("svc"), Ok(1)),
    (1, sc.Close(1), Ok(0)),
    (2, sc.Lookup("svc"), NOT_FOUND),
    (2, sc.Connect("svc", 7), NOT_FOUND),
    (1, sc.Bind(1, "other", 7), Err(IpcError.PortClosed)),
    (2, sc.CreatePort(1), Ok(2)),
    (2, sc.Bind(2, "svc", 7), Ok(None)),
    (1, sc.Connect("svc", 7), Ok(2)),
]


def run(scenario: Scenario, processes: int = 2) -> None:
    """Apply ``scenario`` to the model and the spec; both give its results."""
    k = Kernel(processes)
    s = initial_state(processes)
    for pid, op, expected in scenario:
        s, want = step(s, pid, op)
        got = k.apply(pid, op)
        assert (got, want) == (expected, expected), op
        assert k.observe() == observe(s), op


def test_close_unbinds_in_the_model() -> None:
    run(CLOSE_UNBINDS)
