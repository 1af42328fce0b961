"""The suite kills every (non-equivalent) mutant within the ci profile."""

from __future__ import annotations

import pytest

from veridian_ipc.conformance.mutants import MUTANTS, Mutant, run_mutant
from veridian_ipc.spec import GROUPS, group_of


def test_enough_mutants_over_every_group() -> None:
    assert len(MUTANTS) >= 30
    names = [m.__name__ for m in MUTANTS]
    assert len(set(names)) == len(names)
    covered = {group_of(r) for m in MUTANTS for r in m.rules}
    wanted = {g for g, _ in GROUPS}
    assert covered == wanted, wanted - covered


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.__name__)
def test_mutant_is_killed(mutant: type[Mutant]) -> None:
    result = run_mutant(mutant, "ci")
    if mutant.equivalent:
        assert not result.killed, "an equivalent mutant cannot be killed"
    else:
        assert result.killed, f"{mutant.__name__} survived {result.steps} steps"
        assert result.steps is not None
        assert result.steps > 0
