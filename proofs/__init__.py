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
  ``agreement``), run over every explored transition and reachable state
  (``agree_explored``), and the random spec runs (``random_run``, from the
  generation layer, ``veridian_ipc.generation``);
- the mechanical translation of the spec's loop-free helpers to Z3
  (``translate``) and their proved equality with the hand encodings
  (``helper_equivalences``);
- the per-rule coverage table the rule index and the docs render
  (``rule_coverage``, in ``coverage_table``);
- the CrossHair contracts (``contracts``, ``contracts_seeded``);
- the exhaustive small-scope check of the spec (``explore``, its scopes in
  ``explore_scopes``, the step properties in ``step_properties``), the seeded
  spec bugs (``spec_mutants``) and their campaign (``spec_campaign``), and
  ``check_command``, the ``check`` subcommand.

Every other module is the machinery behind these (``_smt``, the only z3
importer; ``induction``; the ``enc_caps_*`` parts; ``faithful`` and the
``agree_*`` parts; ``precedence*`` (``precedence_extra``: the cascades of the
operations the solver's proof leaves out); ``errno_checks``; ``crosshair_run``;
``step_properties_base`` and ``step_properties_delivery``, the properties'
parts; ``spec_mutants_patch``).
"""

from veridian_ipc.generation import random_run

from . import (
    agree_explored,
    agreement,
    check_command,
    command,
    contracts,
    contracts_seeded,
    coverage_table,
    enc_buffers,
    enc_caps,
    enc_caps_controls,
    enc_channels,
    enc_filters,
    enc_ports,
    explore,
    explore_scopes,
    helper_equivalences,
    spec_campaign,
    spec_mutants,
    step_properties,
    translate,
)
from .agreement import CHECKERS
from .coverage_table import rule_coverage
from .induction import (
    CheckResult,
    Obligation,
    ObligationResult,
    System,
    Transition,
    run_obligation,
)
from .obligations import OBLIGATIONS, coverage, obligation

__all__ = [
    "CHECKERS",
    "OBLIGATIONS",
    "CheckResult",
    "Obligation",
    "ObligationResult",
    "System",
    "Transition",
    "agree_explored",
    "agreement",
    "check_command",
    "command",
    "contracts",
    "contracts_seeded",
    "coverage",
    "coverage_table",
    "enc_buffers",
    "enc_caps",
    "enc_caps_controls",
    "enc_channels",
    "enc_filters",
    "enc_ports",
    "explore",
    "explore_scopes",
    "helper_equivalences",
    "obligation",
    "random_run",
    "rule_coverage",
    "run_obligation",
    "spec_campaign",
    "spec_mutants",
    "step_properties",
    "translate",
]
