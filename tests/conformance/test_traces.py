"""Traces: a shrunk divergence is written, printed, and replays on any target."""

from __future__ import annotations

from pathlib import Path

import pytest

from veridian_ipc.conformance.mutants import PortCapacityPlusOne
from veridian_ipc.conformance.runner import export_vectors, run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.traces import format_table, load, replay

from .renumbered import Renumbered

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign


def test_divergence_is_shrunk_written_and_replayed(tmp_path: Path) -> None:
    report = run_conformance(
        InProcessDriver(PortCapacityPlusOne), "ci", trace_dir=tmp_path
    )
    assert report.status == "diverged"
    assert report.trace is not None
    data = load(Path(report.trace))
    div = data["divergence"]
    steps = data["steps"]
    # shrunk (1-minimal): a port, enough sends to fill it, one more; the
    # sender may be a process that looked the port (or a derived copy) up
    capacity = steps[0]["op"]["args"]["capacity"]
    ops = [s["op"]["op"] for s in steps]
    assert ops[0] == "CreatePort"
    assert ops[-(capacity + 1) :] == ["Send"] * (capacity + 1)
    assert set(ops[1 : -(capacity + 1)]) <= {"Derive", "Bind", "Lookup", "Connect"}
    assert report.divergence is not None
    assert report.divergence["minimal"] is True
    assert div["step"] == len(steps)
    assert steps[-1]["spec"] == {"error": "PortFull"}
    assert steps[-1]["target"] == {"ok": None}
    table = format_table(data)
    assert "✗" in table
    assert "PortFull" in table

    again = replay(data, InProcessDriver(PortCapacityPlusOne))
    assert again.divergence is not None
    assert again.divergence.step == div["step"]
    assert again.divergence.kind == div["kind"]
    assert again.spec_changed == []
    # the same symbolic trace replays on other implementations
    assert replay(data, InProcessDriver(SpecTarget)).conforms
    assert replay(data, InProcessDriver(Renumbered)).conforms


def test_exported_vectors_replay(tmp_path: Path) -> None:
    paths = export_vectors(tmp_path, "ci", max_examples=5)
    assert paths
    for p in paths:
        data = load(p)
        assert data["format"] == "veridian-ipc-vector"
        assert data["steps"]
        assert all("observation" in st for st in data["steps"])
        assert replay(data, InProcessDriver(Renumbered)).conforms
