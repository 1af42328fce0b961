"""The conformance suite's view of ``generation.plan``.

What it holds: multi-step flows written against the spec. The generators live in
the shared generation layer (``veridian_ipc.generation``), which the proofs and
the tests use too; this module re-exports them under their conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.plan import (
    MASKS,
    Plan,
)

__all__ = [
    "MASKS",
    "Plan",
]
