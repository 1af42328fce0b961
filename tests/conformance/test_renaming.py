"""Comparison up to renaming: a consistent renumbering passes, a non-bijection fails."""

from __future__ import annotations

from veridian_ipc.conformance.mutants import HandleReuse
from veridian_ipc.conformance.renaming import BiMap
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver
from veridian_ipc.vocabulary.syscalls import CreatePort, Drop

from .helpers import PROFILE, run_ops
from .renumbered import Renumbered


def test_bimap_refuses_a_second_partner() -> None:
    bm: BiMap[int] = BiMap()
    assert bm.bind(1, 10)
    assert bm.bind(1, 10)
    assert not bm.bind(1, 11)
    assert not bm.bind(2, 10)
    assert bm.bind(2, 11)


def test_renumbered_target_conforms() -> None:
    report = run_conformance(InProcessDriver(Renumbered), PROFILE, max_examples=60)
    assert report.status == "pass", report.divergence


def test_reused_handle_breaks_the_bijection() -> None:
    ops = [(1, CreatePort(1)), (1, Drop(1)), (1, CreatePort(1))]
    _, div = run_ops(HandleReuse, ops)
    assert div is not None
    assert div.step == 3
    assert div.kind == "renaming"
    assert "not a bijection" in div.message
