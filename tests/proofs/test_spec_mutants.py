"""Seeded spec bugs: each is caught by the exhaustive check; the patch is undone.

The full campaign with both layers (``veridian-ipc check --spec-mutants``)
takes minutes and is marked slow; the exhaustive layer alone runs for every
mutant here.
"""

from __future__ import annotations

import sys

import pytest

from veridian_ipc.proofs.spec_campaign import explore_layer, row_line, run_campaign
from veridian_ipc.proofs.spec_mutants import MUTANTS, applied
from veridian_ipc.proofs.spec_mutants_patch import patched
from veridian_ipc.spec import caps, ports

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

#: The bugs issue 13 lists, by the ids they have here.
ISSUE_13 = {
    "derive-gains-grant",
    "revoke-skips-sockets",
    "revoke-skips-inflight",
    "send-without-grant",
    "send-grant-first-only",
    "failed-send-moves-caps",
    "fifo-broken",
    "ring-capacity-off-by-one",
    "filter-size-before-type",
    "transfer-keeps-other-holders",
    "precedence-timeout-before-cap",
    "refill-off-by-one",
    "handoff-newest-waiter",
    "deadline-one-tick-late",
    "socket-close-no-revoke",
    "derive-no-parent-link",
    "closed-port-no-drain",
}


def test_there_are_at_least_twenty_mutants_including_the_issues() -> None:
    ids = [m.id for m in MUTANTS]
    assert len(set(ids)) == len(ids) >= 20
    assert set(ids) >= ISSUE_13
    for m in MUTANTS:
        assert m.description


@pytest.mark.parametrize("mutant_id", [m.id for m in MUTANTS])
def test_each_mutant_is_caught_by_the_exhaustive_check(mutant_id: str) -> None:
    with applied(mutant_id):
        r = explore_layer()
    assert r.caught, f"{mutant_id} escaped the exhaustive check"
    assert r.trace_length is not None
    assert r.scope is not None


def test_patch_changes_the_spec_and_undoes_it() -> None:
    step_module = sys.modules["veridian_ipc.spec.step"]
    receive, derive = ports.receive, caps.derive
    table = dict(step_module._RULES)
    with applied("fifo-broken"):
        assert ports.receive is not receive
        assert table != step_module._RULES
    with applied("revoke-skips-inflight"):
        assert caps.descendants is not None
    assert ports.receive is receive
    assert caps.derive is derive
    assert table == step_module._RULES


def test_patch_is_undone_when_the_block_raises() -> None:
    receive = ports.receive
    with pytest.raises(RuntimeError), patched(ports, "receive", lambda *a: None):
        raise RuntimeError
    assert ports.receive is receive


def test_unknown_mutant_is_a_key_error() -> None:
    with pytest.raises(KeyError), applied("no-such-mutant"):
        pass


def test_campaign_reports_a_row_per_mutant() -> None:
    subset = [m for m in MUTANTS if m.id in {"send-without-grant", "drop-no-reparent"}]
    rows = run_campaign(subset, layers=("explore",))
    assert [r.mutant.id for r in rows] == ["send-without-grant", "drop-no-reparent"]
    assert all(r.layers["explore"].caught for r in rows)
    assert "explore: caught (core, depth 3" in row_line(rows[0])


@pytest.mark.slow
def test_full_campaign_both_layers() -> None:
    rows = run_campaign(MUTANTS)
    assert all(r.layers["explore"].caught for r in rows)


def test_the_agree_layer_catches_a_mutant_an_encoding_sees() -> None:
    """The agreement pass is a layer of the campaign: a derive that forgets
    the parent link disagrees with the capability encoding at once."""
    subset = [m for m in MUTANTS if m.id == "derive-no-parent-link"]
    (row,) = run_campaign(subset, layers=("agree",))
    agree = row.layers["agree"]
    assert agree.caught
    assert agree.scope == "core"
    assert agree.depth == agree.trace_length  # core has no set-up steps
    assert "agree: caught (core" in row_line(row)
