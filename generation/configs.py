"""The small configurations generated runs use: one place for all of them.

Random runs find bugs at the limits, so they run a system whose limits are
small enough to be reached in a few steps: a port holds 3 messages, a channel
3 slots of 8 bytes, a buffer 16 bytes, one read or write moves 8 bytes at
most, a name has 6 bytes at most, a socket queues 2 messages. The value pools
of ``context.Gen`` are tuned to these numbers (``Gen.size`` draws around each
limit; ``BAD_NAMES`` holds one name just too long).

``SMALL`` is the configuration of every generated run: the conformance
suite's lock-step examples (``conformance.checker.SMALL_CONFIG`` is this
value), the agreement checks of the Z3 encodings against spec runs, the
model's lock-step tests and the spec's property tests. (The exhaustive
small-scope search, ``proofs.explore_scopes``, keeps its own, smaller one:
it enumerates every state up to a depth, so every limit there is the
smallest useful value; that is a different thing.)
"""

from __future__ import annotations

from veridian_ipc.vocabulary.names import Config

#: The configuration of every generated run (see the module's docstring).
SMALL = Config(
    max_port_capacity=3,
    max_channel_capacity=3,
    max_channel_message=8,
    max_buffer_size=16,
    max_io=8,
    max_name_length=6,
    default_socket_capacity=2,
    max_handles=20,
    max_queued_bytes=72,
)

__all__ = ["SMALL"]
