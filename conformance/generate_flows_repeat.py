"""The conformance suite's view of ``generation.flows_repeat``.

What it holds: flows that repeat operations on one object. The generators live
in the shared generation layer (``veridian_ipc.generation``), which the proofs
and the tests use too; this module re-exports them under their conformance
names.
"""

from __future__ import annotations

from veridian_ipc.generation.flows_repeat import (
    deadlines,
    names,
    rate_filter,
    ring,
)

__all__ = [
    "deadlines",
    "names",
    "rate_filter",
    "ring",
]
