"""The generation layer: the one place where operations, runs and small
configurations are drawn, for every part of the project that tests with them.

What it draws. Operations of the registry (``vocabulary/operations.py``):
``ops.GENERATORS`` holds one generator per registered operation (checked at
import), each drawing ``(pid, operation)`` from a *context*, ``context.Gen``,
that sees the current spec state, so most arguments are live handles of the
right kind, mapping ids, open file descriptors and running pids, and the rest
are stale, invented, wrong-kind or out-of-range values that reach the errors.
Above single operations: set-ups (``setups``), short scenarios
(``scenarios``) and longer flows written against the spec's own next states
(``plan``, ``flows_caps``, ``flows_repeat``, ``flows_life``); ``choices`` weighs them;
``runs`` strings them into recorded runs of the spec.

Why Hypothesis data. Every choice goes through Hypothesis (``st.data()`` or
``@st.composite``): a failure found anywhere (a model that disagrees with
the spec, an encoding that disagrees with a step, a broken invariant, a
conformance divergence) shrinks to a short run with ordinary arguments. A
campaign outside a test draws the same choices from a seed
(``runs.random_run``).

The small configurations. ``configs.SMALL`` is the one configuration of every
generated run: limits small enough that runs reach them.

Who uses it. The conformance suite (its state machine makes rules of
``GENERATORS``, ``SETUPS`` and ``SCENARIOS``; its ``generate_*`` modules
re-export them), the proofs' agreement and precedence checks and the
spec-mutant campaign (``random_run``), the model's lock-step tests and the
spec's property tests (``runs``). It sits above the spec and the
vocabulary and below the proofs, the conformance suite and the tests.
"""

from __future__ import annotations

from .choices import IN_PROCESS_ILL_TYPED, NEEDS, SCENARIO_GROUPS, WEIGHTS
from .configs import SMALL
from .context import BAD_NAMES, NAMES, Draw, Gen, GenFn, Steps
from .ops import GENERATORS, ill_typed
from .registry import ALL_GROUPS, OP_GROUP
from .runs import Step, build_run, random_run, runs
from .scenarios import SCENARIOS
from .setups import SETUPS

__all__ = [
    "ALL_GROUPS",
    "BAD_NAMES",
    "GENERATORS",
    "IN_PROCESS_ILL_TYPED",
    "NAMES",
    "NEEDS",
    "OP_GROUP",
    "SCENARIOS",
    "SCENARIO_GROUPS",
    "SETUPS",
    "SMALL",
    "WEIGHTS",
    "Draw",
    "Gen",
    "GenFn",
    "Step",
    "Steps",
    "build_run",
    "ill_typed",
    "random_run",
    "runs",
]
