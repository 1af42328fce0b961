"""The conformance suite's view of ``generation.flows_caps``.

What it holds: flows of authority. The generators live in the shared generation
layer (``veridian_ipc.generation``), which the proofs and the tests use too;
this module re-exports them under their conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.flows_caps import (
    attenuate,
    chain,
    socket_caps,
    travel,
)

__all__ = [
    "attenuate",
    "chain",
    "socket_caps",
    "travel",
]
