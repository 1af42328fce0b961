"""The conformance suite's view of ``generation.context``.

What it holds: the drawing context. The generators live in the shared generation
layer (``veridian_ipc.generation``), which the proofs and the tests use too;
this module re-exports them under their conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.context import (
    BAD_NAMES,
    NAMES,
    Draw,
    Gen,
    GenFn,
    Steps,
)

__all__ = [
    "BAD_NAMES",
    "NAMES",
    "Draw",
    "Gen",
    "GenFn",
    "Steps",
]
