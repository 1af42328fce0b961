"""Witnesses: every behaviour has a current one, a run replays the witness of
each behaviour its generated steps missed, and a mutant seen only in such a
behaviour is killed by the replay."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main as cli_main
from veridian_ipc.conformance.behaviour_survey import SeedSurvey, format_table
from veridian_ipc.conformance.behaviours import BEHAVIOURS
from veridian_ipc.conformance.checker import SMALL_CONFIG, Checker
from veridian_ipc.conformance.machine import RunStats
from veridian_ipc.conformance.mutants_blocking import BlockedSendersLifo
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.witness_search import main as search_main
from veridian_ipc.conformance.witness_search import minimise
from veridian_ipc.conformance.witnesses import (
    Completion,
    WitnessFileError,
    complete,
    dumps,
    from_json,
    kept,
    read,
    to_json,
    usable,
    valid,
)
from veridian_ipc.model.kernel import Kernel

THIN = "B-NS-BIND-RIGHTS-NOT-HELD"


def test_every_behaviour_has_a_witness_that_still_reaches_it() -> None:
    table = kept()
    assert sorted(table) == sorted(BEHAVIOURS), (
        "run: python -m veridian_ipc.conformance.witness_search --write conformance"
    )
    stale = [b for b, w in table.items() if not valid(w)]
    assert not stale, f"witnesses no longer reaching their behaviour: {stale}"


def test_a_witness_cut_short_is_stale_and_not_used() -> None:
    w = kept()[THIN]
    cut = replace(w, steps=w.steps[:-1])
    assert not valid(cut)
    assert not usable(cut, w.groups, w.processes, w.config)
    assert usable(w, w.groups, w.processes, w.config)
    # another system, or a target lacking one of its groups: not used either
    assert not usable(w, w.groups, w.processes + 1, w.config)
    assert not usable(w, w.groups - {"namespace"}, w.processes, w.config)


def test_the_file_round_trips() -> None:
    table = kept()
    again = from_json(json.loads(dumps(to_json(table.values()))))
    assert again == table


@pytest.mark.parametrize(
    "data",
    [
        {"format": "something else"},
        {"format": "veridian-ipc-witnesses", "processes": "3", "witnesses": {}},
        {
            "format": "veridian-ipc-witnesses",
            "processes": 3,
            "config": None,
            "witnesses": {THIN: [{"pid": 1, "op": {"op": "Spawn", "args": {}}}]},
        },
        {
            "format": "veridian-ipc-witnesses",
            "processes": 3,
            "config": {},
            "witnesses": {"B-NO-SUCH": [{"pid": 1, "op": {"op": "Spawn", "args": {}}}]},
        },
        {
            "format": "veridian-ipc-witnesses",
            "processes": 3,
            "config": {},
            "witnesses": {THIN: [{"pid": 1, "op": {"op": "NoSuchOp", "args": {}}}]},
        },
    ],
)
def test_a_malformed_file_is_a_typed_error(data: object) -> None:
    with pytest.raises(WitnessFileError):
        from_json(data)


def test_an_unreadable_file_is_a_typed_error(tmp_path: Path) -> None:
    bad = tmp_path / "w.json"
    bad.write_text("{not json")
    with pytest.raises(WitnessFileError):
        read(bad)


def test_a_short_run_reaches_every_behaviour_once_completed() -> None:
    bare = run_conformance(
        InProcessDriver(Kernel), "ci", max_examples=2, shrink=False, complete=False
    )
    assert bare.missed
    assert not bare.completed
    full = run_conformance(InProcessDriver(Kernel), "ci", max_examples=2, shrink=False)
    assert full.status == "pass"
    assert full.missed == []
    assert full.completed == bare.missed
    assert full.witnesses == len(BEHAVIOURS)  # every witness, reached or not
    assert full.steps > bare.steps


def test_a_stale_witness_reaches_nothing() -> None:
    checker = Checker(InProcessDriver(Kernel), processes=3, config=SMALL_CONFIG)
    stats = RunStats()
    w = kept()[THIN]
    assert complete(checker, stats, {THIN: w}) == Completion()  # nothing ran yet
    stats.steps = 1  # as after a generated run
    done = complete(checker, stats, {THIN: replace(w, steps=w.steps[:-1])})
    assert done == Completion()
    assert THIN in checker.coverage.behaviours.missed()
    done = complete(checker, stats, {THIN: w})
    assert done == Completion((THIN,), (THIN,))
    assert THIN not in checker.coverage.behaviours.missed()
    again = complete(checker, stats, {THIN: w})  # reached: replayed all the same
    assert again == Completion((THIN,), ())


def test_a_mutant_a_short_run_misses_is_killed_by_a_witness() -> None:
    driver = InProcessDriver(BlockedSendersLifo)
    args = {"max_examples": 1, "shrink": False, "stop_at_first": True}
    bare = run_conformance(driver, "ci", complete=False, **args)  # type: ignore[arg-type]
    assert bare.status == "pass"
    rep = run_conformance(driver, "ci", **args)  # type: ignore[arg-type]
    assert rep.status == "diverged"
    assert rep.reproduced is True
    assert rep.first_divergence_steps is not None


def test_a_witness_is_one_minimal() -> None:
    w = kept()[THIN]
    assert minimise(w) == w
    longer = replace(w, steps=(w.steps[0], *w.steps))  # a repeated first step
    assert valid(longer)
    assert len(minimise(longer).steps) <= len(w.steps)


def test_the_survey_marks_a_behaviour_reached_by_witness() -> None:
    ids = list(BEHAVIOURS)
    s = SeedSurvey(3, dict.fromkeys(ids, 2), "pass", 10, 1.0, [], [ids[1]])
    lines = format_table([s], missed_only=True)
    assert lines[1].split() == [ids[1], "2*"]
    assert lines[-1] == f"  reached by witness: {ids[1]}"


def test_conform_names_what_a_witness_reached(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = f"{SpecTarget.__module__}:{SpecTarget.__qualname__}"
    argv = ["conform", "--target", spec, "--profile", "ci", "--max-examples", "2"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert f"behaviours: {len(BEHAVIOURS)}/{len(BEHAVIOURS)} reached" in out
    assert "by witness: " in out
    assert f"{len(BEHAVIOURS)} witnesses replayed at the end" in out


def test_the_search_refuses_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert search_main(["--write", str(tmp_path / "nowhere")]) == 2
    assert "not a directory" in capsys.readouterr().err
