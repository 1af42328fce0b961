"""Kept traces (``conformance/vectors/``) run as regression tests.

Every file is read: each replays without divergence against the spec, and a
trace recorded against a mutant still catches that mutant.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget, load_class
from veridian_ipc.conformance.traces import load, replay

from .helpers import MODEL

#: The kept vectors (shipped as package data too).
VECTORS = Path(__file__).resolve().parents[2] / "conformance" / "vectors"
FILES = sorted(VECTORS.glob("*.json"))


def test_vectors_are_there() -> None:
    """The kept set, by name: a vector that goes missing (or a wrong folder)
    fails here instead of silently leaving fewer cases to replay."""
    assert [p.name for p in FILES] == [
        "trace-handle-reuse.json",
        "trace-no-handoff.json",
        "trace-port-capacity-plus-one.json",
        "trace-revoke-children-only.json",
        "trace-send-leaks-cap-on-failure.json",
        "vector-spec-1.json",
        "vector-spec-2.json",
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_vector_replays(path: Path) -> None:
    data = load(path)
    out = replay(data, InProcessDriver(SpecTarget))
    assert out.conforms, out.divergence
    assert out.spec_changed == [], "the spec's results changed: re-record"
    assert replay(data, InProcessDriver(load_class(MODEL))).conforms
    if data["format"] == "veridian-ipc-trace":
        caught = replay(data, InProcessDriver(load_class(data["target"])))
        assert caught.divergence is not None
        assert caught.divergence.step == data["divergence"]["step"]
