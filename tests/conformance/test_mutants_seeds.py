"""The mutant campaign over seeds: every mutant runs under every seed asked
for; the report is the matrix (mutant x seed), the kill rate and median steps
to kill per seed, and the overall kill rate (a mutant counts as killed only if
every seed kills it); ``conform --mutants --seeds`` prints it as a table, and
exits 1 if any mutant survives any seed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance import mutants_campaign
from veridian_ipc.conformance.mutants import (
    MUTANTS,
    HandleReuse,
    Mutant,
    MutantResult,
    NoHandoff,
    format_matrix,
    run_campaign,
)

A, B, C = MUTANTS[:3]

#: (mutant, seed) -> steps to kill; a pair not listed survives (after 500 steps)
KILLS: dict[tuple[str, int], int] = {
    (A.__name__, 0): 10,
    (A.__name__, 1): 30,
    (A.__name__, 2): 20,
    (B.__name__, 0): 40,
    (B.__name__, 2): 50,
    (C.__name__, 0): 5,
    (C.__name__, 1): 7,
    (C.__name__, 2): 9,
}

Calls = list[tuple[str, int | None]]


def fake_run(
    kills: dict[tuple[str, int], int], calls: Calls
) -> Callable[..., MutantResult]:
    """A stand-in for ``run_mutant``: kills the (mutant, seed) pairs of
    ``kills`` at their steps, lets the others survive; records each call."""

    def run(
        cls: type[Mutant],
        profile: str = "ci",
        max_examples: int | None = None,
        seed: int | None = None,
    ) -> MutantResult:
        name, rules = cls.__name__, [r.value for r in cls.rules]
        calls.append((name, seed))
        steps = kills.get((name, 0 if seed is None else seed))
        killed = steps is not None
        return MutantResult(
            name, rules, killed, steps if killed else 500, 0.5, seed=seed
        )

    return run


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """``run_mutant`` replaced by ``fake_run(KILLS)``; the calls it saw."""
    seen: Calls = []
    monkeypatch.setattr(mutants_campaign, "run_mutant", fake_run(KILLS, seen))
    return seen


def test_the_matrix_rates_and_medians_are_exact(calls: Calls) -> None:
    seen: list[tuple[str, int | None]] = []
    report = run_campaign(
        "ci",
        mutants=[A, B, C],
        seeds=[0, 1, 2],
        on_result=lambda r: seen.append((r.name, r.seed)),
    )
    order = [(m.__name__, s) for m in (A, B, C) for s in (0, 1, 2)]
    assert calls == order
    assert seen == order
    assert report["seeds"] == [0, 1, 2]
    matrix = report["matrix"]
    assert isinstance(matrix, list)
    assert [row["name"] for row in matrix] == [A.__name__, B.__name__, C.__name__]
    assert [
        [r["steps"] if r["killed"] else None for r in row["results"]] for row in matrix
    ] == [
        [10, 30, 20],
        [40, None, 50],
        [5, 7, 9],
    ]
    assert [row["median_steps"] for row in matrix] == [20.0, 45.0, 7.0]
    per_seed = report["per_seed"]
    assert isinstance(per_seed, list)
    assert [(c["seed"], c["killed"], c["total"]) for c in per_seed] == [
        (0, 3, 3),
        (1, 2, 3),
        (2, 3, 3),
    ]
    assert [c["kill_rate"] for c in per_seed] == [1.0, 2 / 3, 1.0]
    assert [c["median_steps"] for c in per_seed] == [10.0, 18.5, 20.0]
    assert [c["survivors"] for c in per_seed] == [[], [B.__name__], []]
    assert report["killed"] == 2
    assert report["total"] == 3
    assert report["kill_rate"] == 2 / 3
    assert report["survivors"] == [B.__name__]
    assert report["surviving"] == [[B.__name__, 1]]
    # every kill: 5 7 9 10 20 30 40 50
    assert report["median_steps"] == 15.0


def test_the_table_has_a_row_per_mutant_and_a_column_per_seed(calls: Calls) -> None:
    report = run_campaign("ci", mutants=[A, B, C], seeds=[0, 1, 2])
    lines = format_matrix(report)
    assert lines[0].split() == [
        "mutant",
        "seed",
        "0",
        "seed",
        "1",
        "seed",
        "2",
        "median",
    ]
    assert lines[1].split() == [A.__name__, "10", "30", "20", "20"]
    assert lines[2].split() == [B.__name__, "40", "SURVIVED", "50", "45"]
    assert lines[3].split() == [C.__name__, "5", "7", "9", "7"]
    assert lines[4].startswith("seed 0: kill rate 100% (3/3), median 10 steps")
    assert lines[5].startswith("seed 1: kill rate 67% (2/3), median 18.5 steps")
    assert lines[5].endswith(f"survived: {B.__name__}")
    assert lines[6].startswith("seed 2: kill rate 100% (3/3), median 20 steps")
    assert lines[7].startswith("kill rate 67% (2/3 killed under every seed of 3)")
    assert len(lines) == 8


def test_without_seeds_the_campaign_runs_the_default_seed_once(calls: Calls) -> None:
    report = run_campaign("ci", mutants=[A, B])
    assert calls == [(A.__name__, None), (B.__name__, None)]
    assert len(report["per_seed"]) == 1  # type: ignore[arg-type]
    assert report["kill_rate"] == 1.0


def test_an_empty_list_of_seeds_is_refused_not_a_pass(calls: Calls) -> None:
    with pytest.raises(ValueError, match="at least one seed"):
        run_campaign("ci", mutants=[A, B], seeds=[])
    assert calls == []


def test_the_command_prints_the_table_writes_the_matrix_and_fails_on_a_survivor(
    calls: Calls, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "campaign.json"
    names = ["--mutant", A.__name__, "--mutant", B.__name__, "--mutant", C.__name__]
    argv = ["conform", "--mutants", *names, "--seeds", "0,1,2", "--json", str(out)]
    assert main(argv) == 1
    stdout = capsys.readouterr().out.splitlines()
    assert stdout[2].split() == [B.__name__, "40", "SURVIVED", "50", "45"]
    assert stdout[-1].startswith("kill rate 67% (2/3 killed under every seed of 3)")
    data = json.loads(out.read_text())
    assert data["seeds"] == [0, 1, 2]
    assert data["surviving"] == [[B.__name__, 1]]
    assert [len(row["results"]) for row in data["matrix"]] == [3, 3, 3]


def test_the_command_passes_when_every_seed_kills_every_mutant(
    calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["--mutant", A.__name__, "--mutant", C.__name__]
    assert main(["conform", "--mutants", *names, "--seeds", "2, 0"]) == 0
    assert calls == [(A.__name__, 2), (A.__name__, 0), (C.__name__, 2), (C.__name__, 0)]
    assert "kill rate 100% (2/2" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "seeds"), [([], [0]), (["--seed", "1"], [1])])
def test_one_seed_by_default_or_by_seed(
    extra: list[str], seeds: list[int], calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["conform", "--mutants", "--mutant", B.__name__, *extra])
    assert calls == [(B.__name__, s) for s in seeds]
    assert status == (0 if seeds == [0] else 1)
    capsys.readouterr()


@pytest.mark.parametrize(
    "seeds",
    [
        "",
        " ",
        "-1",
        "1,,2",
        "1,-2",
        "x",
        "1.5",
        "0x10",
        "١",
        "18446744073709551616",
        "3,3",
    ],
)
def test_bad_seeds_give_one_line_and_exit_2(
    seeds: str, calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conform", "--mutants", f"--seeds={seeds}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("conform: --seeds")
    assert calls == []


def test_the_largest_seed_is_accepted(
    calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["conform", "--mutants", "--mutant", A.__name__, f"--seeds={2**64 - 1}"])
    assert calls == [(A.__name__, 2**64 - 1)]
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv",
    [
        ["--mutants", "--seeds", "1", "--seed", "2"],
        ["--seeds", "1", "--target", "veridian_ipc.conformance.targets:SpecTarget"],
    ],
)
def test_seeds_without_mutants_or_with_seed_is_refused(
    argv: list[str], calls: Calls, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conform", *argv]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert calls == []


def test_a_real_run_of_two_mutants_over_two_seeds_fills_the_matrix() -> None:
    """The seeds reach the runs: each result carries the seed its run used."""
    report = run_campaign(
        "ci", mutants=[HandleReuse, NoHandoff], max_examples=30, seeds=[0, 3]
    )
    matrix = report["matrix"]
    assert isinstance(matrix, list)
    assert [row["name"] for row in matrix] == ["HandleReuse", "NoHandoff"]
    for row in matrix:
        assert [r["seed"] for r in row["results"]] == [0, 3]
        for r in row["results"]:
            assert isinstance(r["steps"], int)
            assert r["steps"] > 0
            assert isinstance(r["killed"], bool)
    assert report["seeds"] == [0, 3]
    assert len(format_matrix(report)) == 1 + 2 + 2 + 1
