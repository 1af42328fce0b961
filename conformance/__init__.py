"""veridian_ipc.conformance: lock-step comparison of an implementation with the spec.

What the package offers an implementer, exported on purpose (``__all__``):

- **a conformance run**: ``run_conformance(driver, profile=...)`` runs the
  Hypothesis lock-step suite against one target and returns a ``Report``
  (pass, a divergence with its shrunk trace, a target failure, or no step
  run; ``seed=`` picks the sequence of steps, at most ``MAX_SEED``; what
  the target did not observe, and so was not compared, in ``not_compared``);
  ``PROFILES`` are its budgets, ``Mode`` how strictly results are
  compared, ``ALL_GROUPS`` the feature groups a target may claim, and
  ``Oracle`` (``SpecOracle``, ``PartialBatchOracle``) what the target's
  results are judged against; ``export_vectors`` writes static test vectors;
- **targets**: the ``Target`` protocol an in-process implementation follows
  (``SpecTarget`` is the spec itself as one), and its class's: the module
  ``interface``, with ``TargetClass`` (constructor ``(processes, config)``,
  ``apply``, ``observe``, class attributes ``groups`` and ``observes``),
  ``MinimalTargetClass`` (the same, relying on the attributes' defaults),
  ``check_target_class`` and its ``InterfaceError``; the ``Driver``
  protocol the suite drives, ``InProcessDriver`` and ``ProcessDriver`` (a
  program speaking the JSON-lines protocol, ``PROTOCOL.md``),
  ``make_driver`` (what ``--target`` accepts: ``module:Class`` or a command
  line), ``load_class``, and ``TargetFailure`` (the target crashed, hung or
  broke the protocol);
- **declared observation**: the module ``observation``: what a target
  observes (``"all"``, ``"none"`` or observation paths), ``parse_observes``
  reading a declaration into ``Observes``, ``ObservesError`` for a bad one;
- **declared restrictions**: the module ``restrictions``: what a target
  cannot express (an operation it lacks, an integer field limited to values
  or a range, rights masks without some bits), ``parse_restricts`` reading a
  declaration into ``Restrictions``, ``RestrictsError`` for a bad one;
- **pytest**: the module ``pytest_plugin``, the plugin ``pytest
  --veridian-target ...`` loads (one test per rule, judged by
  ``verdicts.rule_verdicts``);
- **the protocol's encodings**: ``encode_op``, ``decode_op``,
  ``encode_config``, ``decode_config`` and their ``WireError``;
- **one step at a time**: ``Checker`` compares a target with the spec step by
  step (each step a ``StepRecord``) and raises a ``Divergence``;
- **traces**: ``load`` a saved trace, ``replay`` it against a target,
  ``format_table`` it; ``TraceError`` for a file that is not one;
- **mutants**, deliberately wrong targets the suite must tell from the spec:
  ``MUTANTS`` (each a ``Mutant``; the module ``mutants`` names every one, so
  ``veridian_ipc.conformance.mutants:NoHandoff`` is a target), and the campaign
  (``run_campaign``, ``run_mutant``, ``MutantResult``);
- **linearizability**: the module ``linearizability``, the checker of
  concurrent histories (``Recorder``, ``Call``, ``blocking_receive``,
  ``check``, its ``Report`` and ``Verdict``, the history files), and the
  command ``python -m veridian_ipc.conformance.linearizability FILE``;
- **behaviour coverage**: ``BEHAVIOURS``, the catalogue of named behaviours
  a run should reach (each with its rules and a predicate over a spec step),
  and ``catalogue_lines``, the catalogue as ``conform --list-behaviours``
  prints it;
- **verdicts and reports**: the module ``verdicts`` (``rule_verdicts``: a
  verdict per rule from a run's report, conforms, diverges or not examined
  and why, and the summary line), ``report_junit`` (``junit_xml``: one JUnit
  test case per rule) and ``report_markdown`` (``markdown``: a report for a
  pull request);
- ``progress``, the live progress line ``conform`` shows on a terminal;
- ``command``, the ``conform`` and ``replay`` subcommands the ``veridian-ipc``
  command registers.

Programs, run with ``python -m``: ``serve`` (a protocol server wrapping a
``module:Class`` target), ``worker`` (the same, as ``make_driver`` starts it),
``schema_gen`` (writes the operation schemas and the reference, whose text
``reference_gen`` builds), ``behaviour_survey`` (the behaviours a ``ci`` run
reaches, per seed), ``witness_search`` (finds the behaviours' witnesses) and
``linearizability``.

Every other module is the machinery behind these, which the project's tests
reach into directly: ``runner``, ``machine`` (the state machine), ``checker``,
the exploration of every distinct divergence (``signatures``, ``crashes``,
``shrinking``, ``findings``),
``compare``, ``constants``, ``coverage`` (and the behaviours it counts:
``behaviours``, whose catalogue ``behaviours_catalogue`` gathers
``behaviours_caps``, ``behaviours_messaging``, ``behaviours_memory``,
``behaviours_blocking``, ``behaviours_quota`` and ``behaviours_threads``, over
``behaviours_base``, and the witnesses replayed for those a run missed:
``witnesses``), ``monitors``, ``outcomes``,
``renaming``, ``surface``, ``protocol``, ``targets``, ``traces`` (and
``tracefiles``, the checks of a trace file), ``wire``; the protocol server's
input checks (``inbound``, ``requests``); the
generators (``generate``, the index of ``generate_context``, ``generate_ops``,
``generate_scenarios`` and ``generate_setups``, with the flows the scenarios
run: ``generate_plan``, ``generate_flows_caps``, ``generate_flows_repeat``;
the flows of object lifetime live in ``veridian_ipc.generation.flows_life``);
the mutants' parts
(``mutants_base``, ``mutants_campaign``, and one module per feature group:
``mutants_caps``, ``mutants_ports``, ``mutants_namespace``,
``mutants_channels``, ``mutants_buffers``, ``mutants_posix``, ``mutants_tree``,
``mutants_travel``, ``mutants_waits``, ``mutants_quota``, ``mutants_threads``,
``mutants_blocking``); and the
linearizability checker's parts (``linearizability_history``,
``linearizability_search``, ``linearizability_explain``,
``linearizability_files``).

Importing the package loads nothing else: each exported name is imported from
its module when first used, so the programs above (and a protocol server's
start-up) do not pay for Hypothesis or the mutant catalogue.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import (
        command,
        interface,
        linearizability,
        mutants,
        observation,
        progress,
        pytest_plugin,
        report_junit,
        report_markdown,
        restrictions,
        verdicts,
    )
    from .behaviours import BEHAVIOURS, catalogue_lines
    from .checker import Checker, Divergence, StepRecord
    from .compare import Mode
    from .interface import (
        InterfaceError,
        MinimalTargetClass,
        TargetClass,
        check_target_class,
    )
    from .mutants import MUTANTS, Mutant, MutantResult, run_campaign, run_mutant
    from .observation import Observes, ObservesError, parse_observes
    from .outcomes import Oracle, PartialBatchOracle, SpecOracle
    from .protocol import ProcessDriver
    from .restrictions import Restrictions, RestrictsError, parse_restricts
    from .runner import MAX_SEED, PROFILES, Report, export_vectors, run_conformance
    from .surface import ALL_GROUPS
    from .targets import (
        Driver,
        InProcessDriver,
        SpecTarget,
        Target,
        TargetFailure,
        load_class,
        make_driver,
    )
    from .traces import TraceError, format_table, load, replay
    from .verdicts import rule_verdicts
    from .wire import WireError, decode_config, decode_op, encode_config, encode_op

#: Where each exported name lives: the module it is imported from when first
#: used ("" for a module exported as itself). The same as the imports above,
#: which are what type checkers read.
_HOMES: dict[str, str] = {
    "ALL_GROUPS": "surface",
    "BEHAVIOURS": "behaviours",
    "MAX_SEED": "runner",
    "MUTANTS": "mutants",
    "PROFILES": "runner",
    "Checker": "checker",
    "Divergence": "checker",
    "Driver": "targets",
    "InProcessDriver": "targets",
    "InterfaceError": "interface",
    "MinimalTargetClass": "interface",
    "Mode": "compare",
    "Mutant": "mutants",
    "MutantResult": "mutants",
    "Observes": "observation",
    "ObservesError": "observation",
    "Oracle": "outcomes",
    "PartialBatchOracle": "outcomes",
    "ProcessDriver": "protocol",
    "Report": "runner",
    "Restrictions": "restrictions",
    "RestrictsError": "restrictions",
    "SpecOracle": "outcomes",
    "SpecTarget": "targets",
    "StepRecord": "checker",
    "Target": "targets",
    "TargetClass": "interface",
    "TargetFailure": "targets",
    "TraceError": "traces",
    "WireError": "wire",
    "catalogue_lines": "behaviours",
    "check_target_class": "interface",
    "command": "",
    "decode_config": "wire",
    "decode_op": "wire",
    "encode_config": "wire",
    "encode_op": "wire",
    "export_vectors": "runner",
    "format_table": "traces",
    "interface": "",
    "linearizability": "",
    "load": "traces",
    "load_class": "targets",
    "make_driver": "targets",
    "mutants": "",
    "observation": "",
    "parse_observes": "observation",
    "progress": "",
    "pytest_plugin": "",
    "replay": "traces",
    "restrictions": "",
    "parse_restricts": "restrictions",
    "report_junit": "",
    "report_markdown": "",
    "rule_verdicts": "verdicts",
    "run_campaign": "mutants",
    "run_conformance": "runner",
    "run_mutant": "mutants",
    "verdicts": "",
}


def __getattr__(name: str) -> object:
    """Import an exported name from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{home or name}")
    value: object = getattr(module, name) if home else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ALL_GROUPS",
    "BEHAVIOURS",
    "MAX_SEED",
    "MUTANTS",
    "PROFILES",
    "Checker",
    "Divergence",
    "Driver",
    "InProcessDriver",
    "InterfaceError",
    "MinimalTargetClass",
    "Mode",
    "Mutant",
    "MutantResult",
    "Observes",
    "ObservesError",
    "Oracle",
    "PartialBatchOracle",
    "ProcessDriver",
    "Report",
    "Restrictions",
    "RestrictsError",
    "SpecOracle",
    "SpecTarget",
    "StepRecord",
    "Target",
    "TargetClass",
    "TargetFailure",
    "TraceError",
    "WireError",
    "catalogue_lines",
    "check_target_class",
    "command",
    "decode_config",
    "decode_op",
    "encode_config",
    "encode_op",
    "export_vectors",
    "format_table",
    "interface",
    "linearizability",
    "load",
    "load_class",
    "make_driver",
    "mutants",
    "observation",
    "parse_observes",
    "parse_restricts",
    "progress",
    "pytest_plugin",
    "replay",
    "report_junit",
    "report_markdown",
    "restrictions",
    "rule_verdicts",
    "run_campaign",
    "run_conformance",
    "run_mutant",
    "verdicts",
]
