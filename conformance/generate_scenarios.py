"""The conformance suite's view of ``generation.scenarios``.

What it holds: short scenarios and the flows they may run instead. The
generators live in the shared generation layer (``veridian_ipc.generation``),
which the proofs and the tests use too; this module re-exports them under their
conformance names.
"""

from __future__ import annotations

from veridian_ipc.generation.scenarios import (
    FLOWS,
    SCENARIOS,
    attenuated,
    blocked_acts,
    buffer_io,
    carry_caps,
    channel_traffic,
    double_fault,
    drop_held,
    filtered_sends,
    hand_over,
    queue_traffic,
    rendezvous,
    socket_churn,
    socket_exchange,
)

__all__ = [
    "FLOWS",
    "SCENARIOS",
    "attenuated",
    "blocked_acts",
    "buffer_io",
    "carry_caps",
    "channel_traffic",
    "double_fault",
    "drop_held",
    "filtered_sends",
    "hand_over",
    "queue_traffic",
    "rendezvous",
    "socket_churn",
    "socket_exchange",
]
