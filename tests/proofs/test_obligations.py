"""Every obligation is proved and its negative control refuted (issue: proofs/).

One test per obligation (its ID is the test ID). Obligations over one encoding
share queries, so the results of each query are kept for the whole module.
"""

from __future__ import annotations

import pytest

from veridian_ipc.proofs import (
    OBLIGATIONS,
    CheckResult,
    Obligation,
    coverage,
    run_obligation,
)
from veridian_ipc.spec import INVARIANTS, InvId, RuleId

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

_CACHE: dict[str, CheckResult] = {}


@pytest.mark.parametrize("ob", OBLIGATIONS, ids=[ob.id for ob in OBLIGATIONS])
def test_obligation_proved_and_control_refuted(ob: Obligation) -> None:
    r = run_obligation(ob, timeout_ms=60_000, cache=_CACHE)
    assert r.verdict == "proved", r.counterexample() or [
        c.name for c in r.checks if c.verdict != "proved"
    ]
    assert r.control_verdict == "refuted", f"vacuous: {ob.control} was not refuted"
    text = r.control_counterexample()
    assert text is not None
    assert text.strip()


def test_every_invariant_has_an_obligation() -> None:
    cov = coverage()
    missing = [inv.value for inv in InvId if not cov[inv.value]]
    assert missing == []
    assert set(INVARIANTS) == set(InvId)


def test_coverage_names_only_real_ids_and_obligations() -> None:
    cov = coverage()
    ids = {r.value for r in RuleId} | {v.value for v in InvId}
    assert set(cov) == ids
    names = {ob.id for ob in OBLIGATIONS}
    assert all(set(obs) <= names for obs in cov.values())
    assert len(names) == len(OBLIGATIONS)


def test_obligation_ids_cite_what_they_cover() -> None:
    for ob in OBLIGATIONS:
        covered = {c.value for c in ob.covers}
        assert any(part in covered for part in ob.id.split("/")), ob.id
