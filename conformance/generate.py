"""Operation generators: valid and invalid operations drawn from the spec's state.

This module is the generators' index; what it re-exports lives by concern:

- ``generate_context``: ``Gen``, the drawing context (Hypothesis's ``draw``
  and the spec state) and its value pools, with the ``GenFn`` and ``Steps``
  types;
- ``generate_ops``: ``GENERATORS``, one generator per operation, and
  ``ill_typed`` (ERR-TOTAL);
- ``generate_scenarios``: ``SCENARIOS``, short sequences that reach what
  single random steps rarely do, each of which may instead run a flow;
- ``generate_plan``: ``Plan``, multi-step flows written against the spec's
  own next states, and ``MASKS``, the attenuated rights worth deriving;
- ``generate_flows_caps``: flows of authority (capabilities that cross
  processes and are then used, derivation chains with a dropped middle,
  attenuated copies, capabilities received on sockets);
- ``generate_flows_repeat``: flows that repeat operations on one object (a
  rate filter, a name) and let time pass over several blocked receivers;
- ``generate_setups``: ``SETUPS``, what every example starts from.

``behaviour_survey`` measures what they reach: the behaviours of the
catalogue per seed of a ``ci`` run (every one, under every seed tried).

Each generator draws ``(pid, operation)`` in the spec's numbering, looking at
the current spec state so that most operations are meaningful: handles are
mostly live handles of the right kind, sometimes of the wrong kind, stale
(dropped, revoked, moved away) or never issued; sizes sit around every limit
of the configuration (``checker.SMALL_CONFIG``) and of the fixed limits
(64 bytes, 4 capabilities); names come from a small pool plus invalid ones.
Hypothesis shrinks the draws, so small and valid choices come first.
"""

from __future__ import annotations

from .generate_context import BAD_NAMES, NAMES, Draw, Gen, GenFn, Steps
from .generate_ops import GENERATORS, ill_typed
from .generate_scenarios import SCENARIOS
from .generate_setups import SETUPS

__all__ = [
    "BAD_NAMES",
    "GENERATORS",
    "NAMES",
    "SCENARIOS",
    "SETUPS",
    "Draw",
    "Gen",
    "GenFn",
    "Steps",
    "ill_typed",
]
