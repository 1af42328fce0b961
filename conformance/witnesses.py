"""Witnesses: one short, fixed run per behaviour, replayed when a run missed it.

Generated runs reach the catalogue's behaviours (``behaviours``) by chance,
steered by weights and scenarios. Most behaviours are reached hundreds of
times per run; a few take a precise sequence of steps (a receiver woken by a
hand-off and killed before collecting it, a revoke that reaches a blocked
sender, a bind refused for want of the rights it publishes) and are reached a
handful of times. Any new operation or flow moves the draws of the others, so
a thin behaviour can vanish from one seed's run without anything being wrong
with the generators. A run that never reaches a behaviour checks nothing about
it: a target that breaks it passes.

Completion closes that gap deterministically. At the end of a run, every
behaviour's *witness* is replayed, those of the behaviours the generated steps
did not reach first: a witness is a fixed sequence of steps from the initial
state, in the spec's handles, that reaches the behaviour on its last step.
The replay goes through the same checker as every generated step
(``RunStats.step``: declared groups, restrictions, renaming, comparison of
results and observations), so a target that diverges on it is reported like
any other divergence, with the witness as its trace. The report lists the
behaviours only a witness reached (``Report.completed``), so the generators'
own reach stays measured.

The witnesses are found by ``witness_search`` (generated runs of the spec,
the shortest prefix reaching each behaviour, then minimised step by step) and
kept in ``witnesses.json``; a test keeps the file current (every behaviour has
one, and each still reaches its behaviour). A witness is used only where it
is valid: the run starts from the system it was found in (processes and
configuration), the target claims every group it uses, and replayed on the
spec alone it still reaches its behaviour, so a stale file can never count as
reached a behaviour that was not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from veridian_ipc.spec import Config, initial_state, step
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import Operation

from .behaviours import BEHAVIOURS, BehaviourTracker
from .checker import Checker
from .machine import RunStats
from .surface import OP_GROUP
from .wire import WireError, decode_config, decode_op, encode_config, encode_op

#: Where the project keeps its witnesses.
WITNESS_FILE = Path(__file__).with_name("witnesses.json")
#: The format tag of a witness file.
FORMAT = "veridian-ipc-witnesses"

Steps = tuple[tuple[int, Operation], ...]


class WitnessFileError(ValueError):
    """A witness file that cannot be read as one."""


@dataclass(frozen=True, slots=True)
class Witness:
    """Steps from ``initial_state(processes, config)`` whose last one reaches
    ``behaviour``."""

    behaviour: str
    processes: int
    config: Config
    steps: Steps

    @property
    def groups(self) -> frozenset[str]:
        """The operation groups its steps use."""
        return frozenset(OP_GROUP[type(op).__name__] for _, op in self.steps)


def first_reach(
    behaviour: str,
    steps: Sequence[tuple[int, Operation]],
    processes: int,
    config: Config,
) -> int | None:
    """The index of the first of ``steps`` (run on the spec from the initial
    state of ``processes`` and ``config``) that reaches ``behaviour``."""
    s = initial_state(processes=processes, config=config)
    tracker = BehaviourTracker()
    for i, (pid, op) in enumerate(steps):
        after, result = step(s, pid, op)
        if behaviour in tracker.step(s, pid, op, result, after):
            return i
        s = after
    return None


def valid(w: Witness) -> bool:
    """``w`` still reaches its behaviour, on its last step and not before."""
    return first_reach(w.behaviour, w.steps, w.processes, w.config) == len(w.steps) - 1


def usable(w: Witness, groups: Iterable[str], processes: int, config: Config) -> bool:
    """``w`` can stand in for a run of a target claiming ``groups`` that
    starts from ``processes`` and ``config``: same system, claimed groups,
    and still valid."""
    return (
        w.processes == processes
        and w.config == config
        and w.groups <= frozenset(groups)
        and valid(w)
    )


def to_json(witnesses: Iterable[Witness]) -> Data:
    """Plain data for a witness file (every witness of one system)."""
    items = list(witnesses)
    systems = {(w.processes, w.config) for w in items}
    if len(systems) > 1:
        raise ValueError("the witnesses of one file start from one system")
    processes, config = systems.pop() if systems else (3, None)
    return {
        "format": FORMAT,
        "version": 1,
        "processes": processes,
        "config": None if config is None else encode_config(config),
        "witnesses": {
            w.behaviour: [{"pid": pid, "op": encode_op(op)} for pid, op in w.steps]
            for w in sorted(items, key=lambda w: list(BEHAVIOURS).index(w.behaviour))
        },
    }


def dumps(data: Data) -> str:
    """A witness file's text: the header, then one line per step, so a
    change to one witness reads as a change to its lines."""
    if not isinstance(data, dict) or not isinstance(data.get("witnesses"), dict):
        raise WitnessFileError("not a witness file's data (see to_json)")
    head = {k: v for k, v in data.items() if k != "witnesses"}
    lines = ["{"]
    lines += [
        f" {json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in head.items()
    ]
    lines.append(' "witnesses": {')
    table = data["witnesses"]
    for n, (behaviour, steps) in enumerate(table.items()):
        lines.append(f"  {json.dumps(behaviour)}: [")
        lines += [
            f"   {json.dumps(one, sort_keys=True)}"
            + ("," if i < len(steps) - 1 else "")
            for i, one in enumerate(steps)
        ]
        lines.append("  ]" + ("," if n < len(table) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def from_json(data: Data) -> dict[str, Witness]:
    """The witnesses of a file's plain data, by behaviour."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WitnessFileError(f"not a witness file (format {FORMAT!r} expected)")
    processes = data.get("processes")
    table = data.get("witnesses")
    if type(processes) is not int or not isinstance(table, dict):
        raise WitnessFileError("a witness file needs 'processes' and 'witnesses'")
    if not table:
        return {}
    try:
        config = decode_config(data.get("config"))
    except WireError as exc:
        raise WitnessFileError(f"config: {exc}") from None
    out: dict[str, Witness] = {}
    for behaviour, raw in table.items():
        if behaviour not in BEHAVIOURS:
            raise WitnessFileError(f"unknown behaviour {behaviour!r}")
        if not isinstance(raw, list) or not raw:
            raise WitnessFileError(f"{behaviour}: steps must be a non-empty list")
        steps: list[tuple[int, Operation]] = []
        for item in raw:
            if not isinstance(item, dict) or type(item.get("pid")) is not int:
                raise WitnessFileError(f"{behaviour}: a step is {{'pid', 'op'}}")
            try:
                steps.append((item["pid"], decode_op(item.get("op"))))
            except WireError as exc:
                raise WitnessFileError(f"{behaviour}: {exc}") from None
        out[behaviour] = Witness(behaviour, processes, config, tuple(steps))
    return out


def read(path: Path = WITNESS_FILE) -> dict[str, Witness]:
    """The witnesses kept in ``path``."""
    try:
        return from_json(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise WitnessFileError(f"{path.name}: {exc}") from None


@cache
def kept() -> dict[str, Witness]:
    """The project's witnesses (``WITNESS_FILE``), read once."""
    return read(WITNESS_FILE)


@dataclass(frozen=True, slots=True)
class Completion:
    """What a run's completion did: the witnesses it replayed, in order, and
    the behaviours the generated steps had missed that a replay reached."""

    replayed: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()


def complete(
    checker: Checker,
    stats: RunStats,
    witnesses: dict[str, Witness] | None = None,
) -> Completion:
    """Replay every usable witness: first those of the behaviours the run
    has missed so far (in catalogue order), then every other one.

    A witness is the purest form of its behaviour (nothing else happens
    around it), so it is replayed even where the generated steps reached
    the behaviour: a reach with other steps around it can hide a target's
    mistake that the bare witness shows (a bucket that refills every tick
    is caught only if no other offer came between the clock's move and the
    refused one). About a thousand steps in all, a tenth of a ``ci`` run.

    Each replay starts afresh (both sides reset), then sends the witness's
    steps through ``stats.step``, so a divergence is noted (and, stopping at
    the first, raised) exactly as for a generated step; replays are not
    counted among the run's examples. Replays stop once an exploring run is
    spent (``RunStats.spent``). A run whose generated examples executed no
    step gets no replay: completion completes a run, it never stands in for
    one (that run is reported as having examined nothing)."""
    if stats.steps == 0:
        return Completion()
    table = kept() if witnesses is None else witnesses
    missed = checker.coverage.behaviours.missed()
    order = missed + [b for b in BEHAVIOURS if b not in missed]
    replayed: list[str] = []
    for behaviour in order:
        w = table.get(behaviour)
        if w is None or not usable(
            w, checker.driver.groups, checker.processes, checker.config
        ):
            continue
        stats.reset(checker)
        for pid, op in w.steps:
            stats.step(checker, pid, op)
        replayed.append(behaviour)
        if stats.spent():
            break
    still = set(checker.coverage.behaviours.missed())
    return Completion(
        tuple(replayed), tuple(b for b in missed if b in replayed and b not in still)
    )


__all__ = [
    "FORMAT",
    "WITNESS_FILE",
    "Completion",
    "Witness",
    "WitnessFileError",
    "complete",
    "dumps",
    "first_reach",
    "from_json",
    "kept",
    "read",
    "to_json",
    "usable",
    "valid",
]
