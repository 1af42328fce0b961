"""veridian_ipc.proofs: Z3 proofs of the spec's invariants and CrossHair contracts.

The public API, exported on purpose (``__all__``):

- the obligations and their coverage, which ``veridian-ipc prove`` runs and
  the rule index shows (``OBLIGATIONS``, ``obligation``, ``coverage``,
  ``run_obligation`` and the result types), and ``command``, the ``prove``
  subcommand the CLI registers;
- the encodings, one module per spec chapter (``enc_caps``, ``enc_ports``,
  ``enc_channels``, ``enc_filters``, ``enc_buffers``; the capability
  encoding's negative controls in ``enc_caps_controls``) and their vocabulary
  (``System``, ``Transition``);
- the faithfulness checks tying each encoding to the spec (``CHECKERS``, in
  ``agreement``) and the random spec runs they use (``random_run``);
- the CrossHair contracts (``contracts``, ``contracts_seeded``).

Every other module is the machinery behind these (``_smt``, the only z3
importer; ``induction``; the ``enc_caps_*`` parts; ``faithful`` and the
``agree_*`` parts; ``precedence*``; ``errno_checks``; ``crosshair_run``).
"""

from . import (
    agreement,
    command,
    contracts,
    contracts_seeded,
    enc_buffers,
    enc_caps,
    enc_caps_controls,
    enc_channels,
    enc_filters,
    enc_ports,
)
from .agreement import CHECKERS
from .induction import (
    CheckResult,
    Obligation,
    ObligationResult,
    System,
    Transition,
    run_obligation,
)
from .obligations import OBLIGATIONS, coverage, obligation
from .scenarios import random_run

__all__ = [
    "CHECKERS",
    "OBLIGATIONS",
    "CheckResult",
    "Obligation",
    "ObligationResult",
    "System",
    "Transition",
    "agreement",
    "command",
    "contracts",
    "contracts_seeded",
    "coverage",
    "enc_buffers",
    "enc_caps",
    "enc_caps_controls",
    "enc_channels",
    "enc_filters",
    "enc_ports",
    "obligation",
    "random_run",
    "run_obligation",
]
