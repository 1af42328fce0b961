"""A pytest plugin: an implementer's own ``pytest`` examines a target, a test a rule.

Installed with the package (entry point ``pytest11``), it adds options and
nothing else until ``--veridian-target`` is given::

    pytest --veridian-target mykernel.target:MyKernel
    pytest --veridian-target './my-kernel --conformance' --veridian-profile dev

- ``--veridian-target SPEC``: what ``veridian-ipc conform --target`` takes, a
  ``module:Class`` (run in a worker process) or a command line speaking the
  protocol (``PROTOCOL.md``);
- ``--veridian-profile`` (``ci``, the default; ``dev``; ``deep``),
  ``--veridian-seed N``, ``--veridian-max-examples N``,
  ``--veridian-groups a,b,c``, ``--veridian-observes all|none|PATH,...``,
  ``--veridian-timeout SECONDS``: as ``conform``'s options.

With a target, the examination (``runner.run_conformance``) runs **once per
session**, when the first of its tests runs, and the session gains one test
per rule, ``veridian-conformance::RULE-ID``:

- **passed**: the rule was exercised and never diverged;
- **failed**: a divergence is pinned on the rule (its signature names it:
  ``verdicts``); the failure shows each divergence and its 1-minimal trace;
- **skipped**, with the reason: the rule was not examined (``verdicts``: its
  group not declared, not reached, or every step that reached it diverged
  first).

and one test ``veridian-conformance::run``, failing when the run itself did
not conclude (the target failed, no step ran, or a divergence no rule is
blamed for, such as different initial states). ``-k`` selects among them as
usual.

Without ``--veridian-target`` the plugin registers options only: it imports
neither Hypothesis nor the suite (they load when the examination runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .runner import Report

#: The name of the collector holding the tests, and the prefix of their ids.
COLLECTOR = "veridian-conformance"
#: The test of the run itself (next to one test per rule).
RUN_TEST = "run"

# -- options --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--veridian-*`` options."""
    group = parser.getgroup("veridian-ipc", "veridian-ipc conformance examination")
    group.addoption(
        "--veridian-target",
        metavar="SPEC",
        default=None,
        help="examine this target (module:Class, or a command line speaking "
        "the protocol): one test per rule",
    )
    group.addoption("--veridian-profile", choices=("ci", "dev", "deep"), default="ci")
    group.addoption("--veridian-seed", type=int, default=None, metavar="N")
    group.addoption("--veridian-max-examples", type=int, default=None, metavar="N")
    group.addoption("--veridian-groups", default=None, metavar="a,b,c")
    group.addoption("--veridian-observes", default=None, metavar="all|none|PATH,...")
    group.addoption("--veridian-timeout", type=float, default=10.0, metavar="SECONDS")


@dataclass
class Examination:
    """The session's examination: its options, and its report once run."""

    target: str
    profile: str
    seed: int | None
    max_examples: int | None
    groups: list[str] | None
    observes: object
    timeout: float
    report: Report | None = None
    error: str | None = None

    def run(self) -> None:
        """Run the examination (once)."""
        if self.report is not None or self.error is not None:
            return
        from .runner import run_conformance
        from .targets import TargetFailure, make_driver

        try:
            driver = make_driver(
                self.target, self.groups, self.timeout, observes=self.observes
            )
        except TargetFailure as exc:
            self.error = f"target failure: {exc}"
            return
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            self.error = f"cannot load target {self.target!r}: {exc}"
            return
        try:
            self.report = run_conformance(
                driver,
                self.profile,
                seed=self.seed,
                max_examples=self.max_examples,
                trace_dir=None,
            )
        finally:
            driver.close()


_EXAMINATION = pytest.StashKey[Examination]()


def pytest_configure(config: pytest.Config) -> None:
    """Check the options (a bad one is a usage error, before anything runs)."""
    target = config.getoption("veridian_target")
    if not target:
        return
    from .observation import ObservesError, parse_observes
    from .surface import ALL_GROUPS

    text = config.getoption("veridian_groups")
    groups = None if text is None else [g for g in text.split(",") if g]
    if groups is not None:
        unknown = sorted(set(groups) - set(ALL_GROUPS))
        if not groups or unknown:
            raise pytest.UsageError(
                f"--veridian-groups: unknown or no groups {unknown or text!r} "
                f"(known: {','.join(ALL_GROUPS)})"
            )
    observes = config.getoption("veridian_observes")
    try:
        declared = None if observes is None else parse_observes(observes)
    except ObservesError as exc:
        raise pytest.UsageError(f"--veridian-observes: {exc}") from None
    for name in ("veridian_max_examples", "veridian_timeout"):
        value = config.getoption(name)
        if value is not None and not value > 0:
            option = "--" + name.replace("_", "-")
            raise pytest.UsageError(f"{option} must be positive, not {value}")
    seed = config.getoption("veridian_seed")
    if seed is not None and not 0 <= seed < 2**64:
        raise pytest.UsageError(f"--veridian-seed must be 0..2^64-1, not {seed}")
    config.stash[_EXAMINATION] = Examination(
        target=target,
        profile=config.getoption("veridian_profile"),
        seed=seed,
        max_examples=config.getoption("veridian_max_examples"),
        groups=groups,
        observes=declared,
        timeout=config.getoption("veridian_timeout"),
    )


# -- the tests -----------------------------------------------------------------------


class RuleFailure(Exception):
    """A rule's test failed: the text is the divergence and its trace."""


class ConformanceCollector(pytest.Collector):
    """The examination's tests: one per rule, and the run's."""

    def collect(self) -> Iterator[pytest.Item]:
        """``run``, then every rule ID in the spec's order."""
        from veridian_ipc.vocabulary.ids import RuleId

        yield ConformanceItem.from_parent(self, name=RUN_TEST)
        for rule in RuleId:
            yield ConformanceItem.from_parent(self, name=rule.value)


def _divergence_text(div: Any) -> str:
    from .traces import format_table

    lines = [
        f"diverged at step {div.get('step')}: {div.get('kind')}: {div.get('message')}"
    ]
    lines.append(format_table({"steps": div.get("steps", [])}, div))
    return "\n".join(lines)


class ConformanceItem(pytest.Item):
    """One test of the examination (a rule, or the run)."""

    def runtest(self) -> None:
        """Run the examination if not yet, then judge this rule (or the run)."""
        exam = self.config.stash[_EXAMINATION]
        exam.run()
        if exam.error is not None:
            raise RuleFailure(exam.error)
        report = exam.report
        assert report is not None
        from .verdicts import DIVERGES, NOT_EXAMINED, divergences_of, rule_verdicts

        divergences = divergences_of(report)
        verdicts = rule_verdicts(report, divergences)
        by_id = {
            ref.id: div
            for ref, div in zip(verdicts.divergences, divergences, strict=True)
        }
        if self.name == RUN_TEST:
            self._judge_run(report, [by_id[ref.id] for ref in verdicts.unattributed])
            return
        (verdict,) = [v for v in verdicts.verdicts if v.rule == self.name]
        if verdict.verdict == DIVERGES:
            raise RuleFailure(
                "\n\n".join(_divergence_text(by_id[i]) for i in verdict.divergences)
            )
        if verdict.verdict == NOT_EXAMINED:
            pytest.skip(f"not examined: {verdict.reason}")

    @staticmethod
    def _judge_run(report: Report, unattributed: list[Any]) -> None:
        """The run fails when it did not conclude, or diverged on no rule (at
        reset)."""
        if report.status in ("target-failure", "no-steps"):
            raise RuleFailure(f"{report.status}: {report.failure}")
        if report.reproduced is False:
            raise RuleFailure(f"not deterministic: {report.failure}")
        for div in unattributed:
            raise RuleFailure(_divergence_text(div))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """The divergence (or the failure) as text, not a traceback."""
        if isinstance(excinfo.value, RuleFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """Where the test is: the examination, and the rule."""
        return self.path, None, f"{COLLECTOR}::{self.name}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the examination's tests (only with ``--veridian-target``)."""
    if _EXAMINATION not in config.stash:
        return
    collector = ConformanceCollector.from_parent(
        session, name=COLLECTOR, nodeid=COLLECTOR
    )
    items.extend(collector.collect())


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The target examined, in the session's header."""
    if _EXAMINATION not in config.stash:
        return []
    exam = config.stash[_EXAMINATION]
    return [f"veridian-ipc target: {exam.target} (profile {exam.profile})"]


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    """The run in one line: steps, seed, and what was not compared."""
    if _EXAMINATION not in config.stash:
        return
    report = config.stash[_EXAMINATION].report
    if report is None:
        return
    from .observation import report_line

    line = (
        f"veridian-ipc: {report.status}, {report.examples} examples, "
        f"{report.steps} steps, seed {report.seed}"
    )
    observed = report_line(report.observes, report.not_compared)
    terminalreporter.write_line(line + (f"; {observed}" if observed else ""))


__all__ = [
    "COLLECTOR",
    "RUN_TEST",
    "ConformanceCollector",
    "ConformanceItem",
    "Examination",
    "RuleFailure",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_report_header",
    "pytest_terminal_summary",
]
