"""Behaviour coverage of ``ci`` runs against the model: every behaviour of the
catalogue is reached, under seed 0 (the one CI runs) and seeds 1..3 (slow)."""

from __future__ import annotations

import pytest

from veridian_ipc.conformance.behaviour_survey import (
    MODEL,
    SeedSurvey,
    format_table,
    main,
    survey_seed,
)
from veridian_ipc.conformance.behaviours_catalogue import CATALOGUE


def assert_every_behaviour(seed: int) -> None:
    s = survey_seed(MODEL, "ci", seed)
    assert s.status == "pass"
    assert not s.missed, f"seed {seed} missed {len(s.missed)}: {', '.join(s.missed)}"


@pytest.mark.campaign
def test_a_ci_run_at_seed_0_reaches_every_behaviour() -> None:
    assert_every_behaviour(0)


#: Behaviours the generated steps of a ``ci`` run at seed 0 may leave to their
#: witnesses: a few thin ones, never a whole flow's worth.
WITNESS_SHARE = 3


@pytest.mark.campaign
def test_the_generators_alone_reach_nearly_every_behaviour_at_seed_0() -> None:
    s = survey_seed(MODEL, "ci", 0, complete=False)
    assert not s.completed
    assert len(s.missed) <= WITNESS_SHARE, f"generators alone missed {s.missed}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_ci_run_reaches_every_behaviour_at_other_seeds(seed: int) -> None:
    assert_every_behaviour(seed)


def test_the_table_names_what_a_seed_missed() -> None:
    ids = [b.id for b in CATALOGUE]
    full = SeedSurvey(0, dict.fromkeys(ids, 3), "pass", 10, 1.0)
    poor = SeedSurvey(1, {**dict.fromkeys(ids, 1), ids[0]: 0}, "pass", 5, 1.0, [ids[0]])
    lines = format_table([full, poor], missed_only=True)
    assert lines[1].split() == [ids[0], "3", "-"]
    assert len(lines) == 2 + 3  # header, one behaviour, two seeds, one missed line
    assert f"seed 0: {len(ids)}/{len(ids)} behaviours" in lines[2]
    assert lines[-1] == f"  missed: {ids[0]}"


def test_a_bad_target_or_seed_list_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--target", "no_such_module_x:Kernel"]) == 2
    assert "bad target" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--seeds", "a,b"])
    assert exc.value.code == 2
