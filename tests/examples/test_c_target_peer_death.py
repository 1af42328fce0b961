"""The C target follows the spec's peer-death decisions (NS-BIND, PORT-CLOSE,
PORT-HANDOFF).

Each scenario is sent over the JSON-lines protocol; every answer must be the
expected one (an error name, or ``None`` for success), which the spec gives
too (checked here, so a scenario cannot drift from the spec).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veridian_ipc.conformance.wire import encode_op
from veridian_ipc.spec import Err, IpcError, initial_state, step
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.rights import GRANT, PORT_RIGHTS, RECEIVE, SEND

from .test_c_target import HELLO, _build, _session

E = IpcError
Scenario = list[tuple[int, sc.Operation, IpcError | None]]

#: A closed port's names go; they can be bound again; a closed port cannot be
#: bound.
CLOSE_UNBINDS: Scenario = [
    (1, sc.CreatePort(2), None),
    (1, sc.Bind(1, "svc", 7), None),
    (2, sc.Lookup("svc"), None),
    (1, sc.Close(1), None),
    (2, sc.Lookup("svc"), E.PortNotFound),
    (2, sc.Connect("svc", 7), E.PortNotFound),
    (1, sc.Bind(1, "other", 7), E.PortClosed),
    (2, sc.CreatePort(1), None),
    (2, sc.Bind(2, "svc", 7), None),
    (1, sc.Connect("svc", 7), None),
]

#: The only receiver is killed: its port closes, the message queued on it is
#: destroyed with the capability it carries (P2's other port closes too), and
#: the name goes.
KILL_CLOSES: Scenario = [
    (1, sc.CreatePort(2), None),
    (1, sc.Derive(1, SEND | GRANT), None),
    (1, sc.Bind(2, "svc", 0), None),
    (2, sc.Lookup("svc"), None),
    (2, sc.CreatePort(1), None),
    (2, sc.Derive(2, SEND), None),
    (2, sc.Send(1, 0, 0, b"a", (2,)), None),
    (0, sc.Kill(1), None),
    (2, sc.Send(1, 0, 0, b"b", ()), E.PortClosed),
    (2, sc.Send(3, 0, 0, b"c", ()), E.PortClosed),
    (2, sc.Lookup("svc"), E.PortNotFound),
]

#: The last RECEIVE is dropped; then one is sent into its own port's queue.
DROP_AND_CYCLE: Scenario = [
    (1, sc.CreatePort(2), None),
    (1, sc.Derive(1, SEND), None),
    (1, sc.Derive(1, RECEIVE | GRANT), None),
    (1, sc.Drop(1), None),
    (1, sc.Send(2, 0, 0, b"x", ()), None),
    (1, sc.Send(2, 0, 0, b"loop", (3,)), None),
    (1, sc.Send(2, 0, 0, b"y", ()), E.PortClosed),
    (1, sc.CreatePort(1), None),
    (1, sc.Derive(4, SEND), None),
    (1, sc.Drop(4), None),
    (1, sc.Send(5, 0, 0, b"", ()), E.PortClosed),
]

#: A hand-off keeps its slot until collected; its receiver killed before
#: Resume gives it back to the queue head, where another receiver finds it
#: (PORT-HANDOFF, PROC-KILL).
HANDOFF_KILLED: Scenario = [
    (1, sc.CreatePort(1), None),
    (1, sc.Bind(1, "svc", 0, PORT_RIGHTS), None),
    (2, sc.Lookup("svc"), None),
    (3, sc.Lookup("svc"), None),
    (1, sc.Receive(1, None), None),
    (2, sc.Send(1, 0, 0, b"m", ()), None),
    (2, sc.Send(1, 0, 0, b"n", ()), E.PortFull),
    (0, sc.Kill(1), None),
    (2, sc.Send(1, 0, 0, b"n", ()), E.PortFull),
    (3, sc.Receive(1, 0), None),
    (3, sc.Receive(1, 0), E.WouldBlock),
]

SCENARIOS = {
    "close-unbinds": CLOSE_UNBINDS,
    "kill-closes": KILL_CLOSES,
    "drop-and-cycle": DROP_AND_CYCLE,
    "handoff-killed": HANDOFF_KILLED,
}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("c-target") / "veridian-c-target")


def play(target: Path, scenario: Scenario, processes: int) -> list[str | None]:
    """The error name (or None) of each answer to ``scenario``."""
    reset = f'{{"type": "reset", "processes": {processes}, "config": {{}}}}'
    lines = [
        json.dumps({"type": "apply", "id": i, "pid": pid, "op": encode_op(op)})
        for i, (pid, op, _) in enumerate(scenario)
    ]
    done = _session(target, HELLO, reset, *lines, '{"type": "bye"}')
    assert done.returncode == 0, done.stdout
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    results = [a["result"] for a in answers if a.get("type") == "result"]
    return [r.get("error") if isinstance(r, dict) else None for r in results]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_peer_death_in_the_c_target(target: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    expected = [None if e is None else e.name for *_, e in scenario]
    s = initial_state(3)
    for pid, op, want in scenario:
        s, r = step(s, pid, op)
        assert r == Err(want) if want is not None else not isinstance(r, Err), op
    assert play(target, scenario, 3) == expected
