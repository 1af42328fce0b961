"""A conformance run: profiles, the Hypothesis run, and the report.

``run_conformance(driver, profile=...)`` runs the lock-step state machine
(``machine``) against one target and returns a ``Report``: the target and the
groups it claims, examples and steps run, steps per second, pass or every
distinct divergence (each shrunk, written as a trace file), rule coverage and
leniencies.

A report's ``status`` is one of:

- ``pass``: every step of every example agreed with the spec (and at least
  one step ran);
- ``diverged``: at least one divergence, possibly at reset (step 0: the
  target's initial observation differs from the spec's, or is not an
  observation at all). ``divergences`` lists every **distinct** one
  (``signatures``) in the order found, each shrunk to a 1-minimal trace
  (``findings``, ``shrinking``); ``divergence`` is the first of them.
  ``reproduced`` is True when the same steps, replayed, diverged again (the
  trace is shrunk), False when they did not (the target depends on history
  across examples, on time or on chance): that divergence is reported as
  first seen, unshrunk;
- ``target-failure``: the target could not start, answer the handshake or
  reset (``failure`` says how); when the run stops at the first divergence
  (``stop_at_first``, the mutant campaign), also a target that crashed, hung
  or answered outside the protocol on a step, or one so unreliable that
  Hypothesis could not replay an example and no divergence was seen;
- ``no-steps``: the run executed no step at all, so nothing was checked
  (``failure`` says why): never a pass.

Profiles match the test suite's (``tests/conftest.py``): ``ci`` is bounded and
derandomized (a few minutes at most), ``dev`` the default, ``deep`` long, with
progress output and an example database shared between runs (and machines:
point ``VERIDIAN_IPC_EXAMPLES`` at a shared directory).

By default a run **explores**: a divergence, or a crash or hang of the target
on a step, is recorded and the run goes on until the profile's budget is
spent (``machine``), so one run lists every distinct divergence it reaches.
``stop_at_first=True`` stops at the first one instead (Hypothesis shrinks it):
the mutant campaign, where one divergence is a kill.

The **seed** decides which sequence of steps a run explores: the same seed,
profile and target give the same steps (``deep`` also replays first the
examples its database holds). Seed 0 is the derandomized sequence ``ci`` has
always run (``settings.derandomize``); any other seed seeds Hypothesis
(``hypothesis.seed`` on the machine class). ``ci`` defaults to 0, so CI is
stable; the other profiles default to a random seed. Either way the seed is in
the report and in the trace, so any run can be repeated.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import Flaky, InvalidDefinition
from hypothesis.stateful import run_state_machine_as_test

from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Data

from . import witnesses
from .checker import SMALL_CONFIG, Checker, Divergence
from .compare import Mode
from .constants import pinned_constants
from .coverage import Coverage
from .findings import divergence_lines, finding
from .machine import (
    REHITS_PER_EXAMPLE,
    ExplorationDone,
    Found,
    LockstepMachine,
    RunStats,
    ShrinkBudgetSpent,
    lockstep,
)
from .observation import declared_of
from .outcomes import Oracle
from .restrictions import restrictions_of
from .signatures import signature_of
from .targets import Driver, TargetFailure
from .traces import write_json

#: (max_examples, stateful_step_count) per profile.
PROFILES: dict[str, tuple[int, int]] = {
    "ci": (100, 40),
    "dev": (200, 50),
    "deep": (5000, 100),
}


#: Seconds Hypothesis may spend shrinking before the shortest divergence found
#: so far is taken (then finished by ``traces.minimize``).
SHRINK_SECONDS: dict[str, float] = {"ci": 10.0, "dev": 30.0, "deep": 300.0}


#: The seeds a run accepts (``--seed``).
MAX_SEED = 2**64 - 1


def seed_for(profile: str, seed: int | None = None) -> int:
    """The seed of a run: ``seed`` if given (checked), else 0 for ``ci`` and a
    random one for the other profiles."""
    if seed is None:
        return 0 if profile == "ci" else random.SystemRandom().randrange(1, 2**32)
    if type(seed) is not int or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer 0..2^64-1, not {seed!r}")
    return seed


def seeded(machine: type[LockstepMachine], seed: int) -> type[LockstepMachine]:
    """``machine`` set to explore the sequence of ``seed`` (0: derandomized,
    which ``settings_for(..., seed_stable=True)`` asks for)."""
    if seed != 0:
        hypothesis_seed(seed)(machine)
    return machine


def database_for(profile: str) -> ExampleDatabase | None:
    """The shared example database of ``deep`` runs; None otherwise."""
    if profile != "deep":
        return None
    where = os.environ.get("VERIDIAN_IPC_EXAMPLES", ".hypothesis/conformance")
    return DirectoryBasedExampleDatabase(where)


def settings_for(
    profile: str,
    *,
    max_examples: int | None = None,
    shrink: bool = True,
    seed_stable: bool | None = None,
) -> settings:
    """Hypothesis settings of a profile."""
    examples, steps = PROFILES[profile]
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if shrink:
        phases.append(Phase.shrink)
    return settings(
        max_examples=max_examples or examples,
        stateful_step_count=steps,
        deadline=None,
        database=database_for(profile),
        derandomize=profile == "ci" if seed_stable is None else seed_stable,
        suppress_health_check=list(HealthCheck),
        phases=phases,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )


@dataclass
class Report:
    """The outcome of one conformance run."""

    target: str
    groups: list[str]
    mode: str
    profile: str
    seed: int = 0
    status: str = "pass"
    examples: int = 0
    steps: int = 0
    seconds: float = 0.0
    divergence: Data = None
    divergences: list[Data] = field(default_factory=list)
    trace: str | None = None
    failure: str | None = None
    coverage: Data = None
    behaviours: dict[str, int] = field(default_factory=dict)
    leniencies: list[Data] = field(default_factory=list)
    first_divergence_steps: int | None = None
    first_divergence_seconds: float | None = None
    reproduced: bool | None = None
    #: What the target observes (``observation``: "all", "none" or paths) and
    #: the observation paths that were therefore not compared.
    observes: Data = "all"
    not_compared: list[str] = field(default_factory=list)
    #: What the target declared it cannot express (``restrictions``) and, by
    #: each restriction's label, how many steps were skipped for it.
    restricts: list[Data] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    #: Behaviours the generated steps missed and a replayed witness reached
    #: (``witnesses``), in catalogue order.
    completed: list[str] = field(default_factory=list)
    #: Witnesses replayed at the end of the run (every usable one).
    witnesses: int = 0

    @property
    def missed(self) -> list[str]:
        """Behaviours of the catalogue no step reached (``behaviours``)."""
        return [b for b, n in self.behaviours.items() if n == 0]

    def divergence_lines(self) -> list[str]:
        """Every distinct divergence as the terminal report shows it: its id,
        signature, count and trace length, its trace table and file."""
        return divergence_lines(self.divergences)

    @property
    def steps_per_second(self) -> float:
        """Steps per second over the whole run."""
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> Data:
        """Plain data (the ``--json`` report)."""
        return {
            "target": self.target,
            "groups": self.groups,
            "mode": self.mode,
            "conformance": self.mode == Mode.EXACT.value and self.status == "pass",
            "profile": self.profile,
            "seed": self.seed,
            "status": self.status,
            "examples": self.examples,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "steps_per_second": round(self.steps_per_second, 1),
            "divergence": self.divergence,
            "divergences": self.divergences,
            "reproduced": self.reproduced,
            "trace": self.trace,
            "failure": self.failure,
            "first_divergence": {
                "steps": self.first_divergence_steps,
                "seconds": self.first_divergence_seconds,
            },
            "coverage": self.coverage,
            "behaviours": self.behaviours,
            "missed": self.missed,
            "completed": self.completed,
            "witnesses": self.witnesses,
            "leniencies": self.leniencies,
            "observes": self.observes,
            "not_compared": self.not_compared,
            "restricts": self.restricts,
            "skipped": self.skipped,
        }


#: A progress callback: the run's counters and its rule coverage so far,
#: called as each example starts (``progress.ProgressDisplay``).
ProgressFn = Callable[[RunStats, Coverage], None]


def _progress_hook(
    show: bool | ProgressFn, checker: Checker
) -> Callable[[RunStats], None] | None:
    """``RunStats.progress`` for ``run_conformance(progress=show)``."""
    if callable(show):
        hook = show
        return lambda stats: hook(stats, checker.coverage)
    return _progress_printer(100) if show else None


def _progress_printer(every: int) -> Callable[[RunStats], None]:
    def show(stats: RunStats) -> None:
        if stats.examples % every == 0:
            rate = stats.steps / max(time.perf_counter() - stats.started, 1e-9)
            print(
                f"  {stats.examples} examples, {stats.steps} steps, {rate:.0f} steps/s",
                file=sys.stderr,
                flush=True,
            )

    return show


#: Why a divergence is reported unshrunk.
NOT_REPRODUCED = (
    "not reproduced: the same steps, replayed, did not diverge (the target "
    "depends on history, time or chance); shown as first seen, unshrunk"
)
NOT_REPLAYED = "the target is not deterministic: Hypothesis could not replay an example"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _report_divergences(
    report: Report,
    found: list[Found],
    checker: Checker,
    trace_dir: Path | None,
    shrink: bool,
) -> None:
    """Fill ``report`` with one entry per distinct divergence (``findings``:
    shrunk unless it did not reproduce, its trace written), the first as
    ``divergence``."""
    notes = [report.failure] if report.failure else []
    for number, one in enumerate(found, start=1):
        entry = finding(
            number,
            one,
            checker,
            target=report.target,
            seed=report.seed,
            trace_dir=trace_dir,
            shrink_it=shrink,
            reproduced=report.reproduced if number == 1 else None,
            shrink_seconds=SHRINK_SECONDS[report.profile],
        )
        report.divergences.append(entry.data)
        if entry.failure is not None:
            notes.append(entry.failure)
    first = report.divergences[0]
    report.status = "diverged"
    report.divergence = first
    report.trace = first["trace"]
    report.reproduced = first["reproduced"]
    if report.reproduced is False:
        notes.insert(0, NOT_REPRODUCED)
    report.failure = "\n".join(notes) if notes else None


def _complete(
    report: Report, checker: Checker, stats: RunStats, complete: bool
) -> Divergence | None:
    """The completion phase (``witnesses.complete``) of a run that ended
    without stopping; the divergence a replay stopped at, if any."""
    if not complete:
        return None
    try:
        done = witnesses.complete(checker, stats)
        report.completed = list(done.completed)
        report.witnesses = len(done.replayed)
    except (Divergence, ShrinkBudgetSpent):
        report.reproduced = True  # a fixed replay: it reproduces by definition
        return stats.best
    except TargetFailure as fail:
        report.status = "target-failure"
        report.failure = str(fail)
        return stats.best
    return None


def run_conformance(
    driver: Driver,
    profile: str = "dev",
    *,
    mode: Mode = Mode.EXACT,
    oracle: Oracle | None = None,
    trace_dir: Path | None = None,
    max_examples: int | None = None,
    shrink: bool = True,
    processes: int = 3,
    config: Config = SMALL_CONFIG,
    progress: bool | ProgressFn | None = None,
    seed: int | None = None,
    stop_at_first: bool = False,
    complete: bool = True,
) -> Report:
    """Run the lock-step machine against ``driver`` and report.

    ``progress``: a callable is called with the counters and the coverage as
    each example starts; True prints a line every 100 examples to stderr;
    None does that for ``deep`` only; False shows nothing.

    ``seed`` picks the sequence of steps (``seed_for``: by default 0 for
    ``ci``, random otherwise); ``max_examples``, when given, is at least 1.
    Both are checked before anything runs (``ValueError``). The run explores
    every distinct divergence unless ``stop_at_first`` (module docstring);
    ``shrink`` False reports divergences as found. Unless ``complete`` is
    False, a run that ends without stopping then replays every behaviour's
    witness, those its generated steps missed first (``witnesses``;
    ``Report.completed``, ``Report.witnesses``).
    """
    if max_examples is not None and (type(max_examples) is not int or max_examples < 1):
        raise ValueError(f"max_examples must be at least 1, not {max_examples!r}")
    chosen = seed_for(profile, seed)
    checker = Checker(
        driver, processes=processes, config=config, mode=mode, oracle=oracle
    )
    show = progress if progress is not None else profile == "deep"
    examples = max_examples or PROFILES[profile][0]
    stats = RunStats(
        progress=_progress_hook(show, checker),
        shrink_seconds=SHRINK_SECONDS[profile],
        explore=not stop_at_first,
        max_rehits=examples * REHITS_PER_EXAMPLE,
    )
    machine = seeded(lockstep(checker, stats), chosen)
    report = Report(
        target=driver.name,
        groups=sorted(driver.groups),
        mode=mode.value,
        profile=profile,
        seed=chosen,
    )
    declared = declared_of(driver)
    report.observes = declared.to_json()
    report.not_compared = declared.not_compared()
    limits = restrictions_of(driver)
    report.restricts = limits.to_json()
    started = time.perf_counter()
    div: Divergence | None = None
    try:
        with pinned_constants():
            run_state_machine_as_test(
                machine,
                settings=settings_for(
                    profile,
                    max_examples=max_examples,
                    # exploring shrinks each signature itself (``findings``)
                    shrink=shrink and stop_at_first,
                    seed_stable=chosen == 0,
                ),
            )
            div = _complete(report, checker, stats, complete)
    except ExplorationDone:
        pass
    except (Divergence, ShrinkBudgetSpent):
        div = stats.best
        report.reproduced = True
    except Flaky as exc:
        # seen once, not again on the same steps: report what was seen
        div = stats.first
        report.reproduced = False
        if div is None:
            report.status = "target-failure"
            report.failure = f"{NOT_REPLAYED}: {_first_line(exc)}"
    except InvalidDefinition as exc:
        report.status = "no-steps"
        report.failure = f"nothing to run: {_first_line(exc)}"
    except TargetFailure as fail:
        # a target that cannot reset, or (stopping at the first) breaks on a
        # step or while a divergence is being shrunk: report both
        report.status = "target-failure"
        report.failure = str(fail)
        div = stats.best
    found = list(stats.found.values())
    if not stats.explore and div is not None:
        found = [Found(signature_of(div), div, [(r.pid, r.op) for r in div.steps])]
    if found:
        _report_divergences(report, found, checker, trace_dir, shrink)
    elif report.status == "pass" and stats.steps == 0:
        report.status = "no-steps"
        report.failure = (
            f"no step was executed in {stats.examples} examples: nothing was "
            "checked (no operation of the target's groups could run)"
        )
    report.seconds = time.perf_counter() - started
    report.examples = stats.examples
    report.steps = stats.steps
    report.first_divergence_steps = stats.first_divergence_steps
    report.first_divergence_seconds = stats.first_divergence_seconds
    report.coverage = checker.coverage.to_json()
    report.behaviours = checker.coverage.behaviours.to_json()
    report.leniencies = checker.leniencies_json()
    report.skipped = {r.label: stats.skipped[r.label] for r in limits.items}
    return report


def export_vectors(
    directory: Path,
    profile: str = "ci",
    *,
    max_examples: int = 20,
    processes: int = 3,
    config: Config = SMALL_CONFIG,
    seed: int = 0,
) -> list[Path]:
    """Write static vectors: generated operation sequences with the spec's
    results and observation after every step, one file per example (the
    sequence of ``seed``: 0, the derandomized one, unless asked)."""
    from .targets import InProcessDriver, SpecTarget
    from .traces import vector_data

    checker = Checker(InProcessDriver(SpecTarget), processes=processes, config=config)
    checker.keep_observations = True
    stats = RunStats(keep_history=True)
    with pinned_constants():
        run_state_machine_as_test(
            seeded(lockstep(checker, stats), seed_for(profile, seed)),
            settings=settings_for(
                profile, max_examples=max_examples, seed_stable=seed == 0
            ),
        )
    written = []
    for i, steps in enumerate(stats.history, start=1):
        if steps:
            name = f"vector-{i:04d}"
            written.append(
                write_json(
                    directory / f"{name}.json", vector_data(checker, steps, name)
                )
            )
    return written
