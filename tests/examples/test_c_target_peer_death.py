"""The C target follows the spec's peer-death decisions (NS-BIND, PORT-CLOSE).

Each scenario is sent over the JSON-lines protocol; every answer must be the
spec's (an error name, or ``None`` for success).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_c_target import HELLO, _apply, _build, _session

Scenario = list[tuple[int, str, str, str | None]]

#: A closed port's names go; they can be bound again; a closed port cannot be
#: bound.
CLOSE_UNBINDS: Scenario = [
    (1, "CreatePort", '{"capacity": 2}', None),
    (1, "Bind", '{"handle": 1, "name": "svc", "service_type": 7}', None),
    (2, "Lookup", '{"name": "svc"}', None),
    (1, "Close", '{"handle": 1}', None),
    (2, "Lookup", '{"name": "svc"}', "PortNotFound"),
    (2, "Connect", '{"name": "svc", "service_type": 7}', "PortNotFound"),
    (1, "Bind", '{"handle": 1, "name": "other", "service_type": 7}', "PortClosed"),
    (2, "CreatePort", '{"capacity": 1}', None),
    (2, "Bind", '{"handle": 2, "name": "svc", "service_type": 7}', None),
    (1, "Connect", '{"name": "svc", "service_type": 7}', None),
]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("c-target") / "veridian-c-target")


def play(target: Path, scenario: Scenario, processes: int = 3) -> list[str | None]:
    """The error name (or None) of each answer to ``scenario``."""
    reset = f'{{"type": "reset", "processes": {processes}, "config": {{}}}}'
    lines = [_apply(op, args, pid) for pid, op, args, _ in scenario]
    done = _session(target, HELLO, reset, *lines, '{"type": "bye"}')
    assert done.returncode == 0, done.stdout
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    results = [a["result"] for a in answers if a.get("type") == "result"]
    return [r.get("error") if isinstance(r, dict) else None for r in results]


def test_close_unbinds_in_the_c_target(target: Path) -> None:
    assert play(target, CLOSE_UNBINDS) == [e for *_, e in CLOSE_UNBINDS]
