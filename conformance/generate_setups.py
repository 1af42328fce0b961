"""The conformance suite's view of ``generation.setups``.

What it holds: what every example starts from. The generators live in the shared
generation layer (``veridian_ipc.generation``), which the proofs and the tests
use too; this module re-exports them under their conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.setups import (
    SETUPS,
    setup_buffers,
    setup_channels,
    setup_ports,
    setup_sockets,
)

__all__ = [
    "SETUPS",
    "setup_buffers",
    "setup_channels",
    "setup_ports",
    "setup_sockets",
]
