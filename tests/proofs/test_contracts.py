"""CrossHair contracts (bounded) hold, and the seeded bug is found."""

from __future__ import annotations

import pytest

from veridian_ipc.proofs import contracts, contracts_seeded
from veridian_ipc.proofs.crosshair_run import run_contracts

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign


def test_contracts_hold_and_seeded_bug_is_found() -> None:
    results = run_contracts(timeout=1.0)
    names = [r.function for r in results]
    assert names == [*contracts.CONTRACTS, *contracts_seeded.SEEDED]
    bad = [(r.function, r.verdict, r.message) for r in results if not r.ok]
    assert bad == []
    seeded = [r for r in results if r.seeded]
    assert seeded
    assert all(r.verdict == "refuted" for r in seeded)
    assert "check_derive_seeded_preserves_request" in seeded[0].message
