"""The conformance suite's view of ``generation.ops``.

What it holds: one generator per operation. The generators live in the shared
generation layer (``veridian_ipc.generation``), which the proofs and the tests
use too; this module re-exports them under their conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.ops import (
    GENERATORS,
    ill_typed,
)

__all__ = [
    "GENERATORS",
    "ill_typed",
]
