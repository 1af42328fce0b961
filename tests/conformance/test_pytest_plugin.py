"""The pytest plugin: ``pytest --veridian-target ...``, one test per rule.

Run with pytest's own ``pytester`` in a separate process each (as an
implementer's ``pytest`` would run), against the model, a target that
diverges at one rule, and without the option (nothing added, nothing
loaded). The per-rule verdicts are ``verdicts.rule_verdicts``'s
(``test_verdicts.py``).
"""

from __future__ import annotations

import pytest

from veridian_ipc.vocabulary.ids import RuleId

from .helpers import MODEL

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

pytest_plugins = ["pytester"]

#: One test per rule, and the run's.
TESTS = len(RuleId) + 1

WRONG_CREATE = """
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.results import Err, Ok
from veridian_ipc.vocabulary.syscalls import CreatePort


class WrongCreate(SpecTarget):
    \"\"\"The spec, but a port cannot be created.\"\"\"

    def apply(self, pid, op):
        result = super().apply(pid, op)
        if isinstance(op, CreatePort) and isinstance(result, Ok):
            return Err(IpcError.OutOfMemory)
        return result
"""

QUICK = ["--veridian-max-examples", "5", "-p", "no:cacheprovider"]


def test_against_the_model_every_examined_rule_passes(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess("--veridian-target", MODEL, *QUICK)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes["passed"] + outcomes.get("skipped", 0) == TESTS
    assert outcomes["passed"] > TESTS // 2
    result.stdout.fnmatch_lines(["veridian-ipc target: *kernel:Kernel (profile ci)"])
    result.stdout.fnmatch_lines(["veridian-ipc: pass, * steps, seed 0"])
    assert result.ret == 0


def test_results_only_against_the_model_and_k_selects(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess(
        "--veridian-target",
        MODEL,
        "--veridian-observes",
        "none",
        "-k",
        "PORT-SEND",
        *QUICK,
    )
    # PORT-SEND and PORT-SEND-BLOCK
    result.assert_outcomes(passed=2, deselected=TESTS - 2)
    result.stdout.fnmatch_lines(["*results only: no observation compared*"])


def test_a_diverging_target_fails_exactly_its_rule(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(wrong_create=WRONG_CREATE)
    result = pytester.runpytest_subprocess(
        "--veridian-target", "wrong_create:WrongCreate", "-rf", *QUICK
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1, result.stdout.str()
    assert sum(outcomes.values()) == TESTS
    result.stdout.fnmatch_lines(
        [
            "FAILED veridian-conformance::PORT-CREATE - diverged at step 1: result*",
        ]
    )
    result.stdout.fnmatch_lines(["*CreatePort(capacity=*"])  # the trace
    assert result.ret == 1


def test_without_the_option_nothing_is_added_nor_loaded(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_alone="""
import sys

def test_alone():
    assert "veridian_ipc.conformance.pytest_plugin" in sys.modules
    assert "veridian_ipc.conformance.runner" not in sys.modules
    assert "hypothesis.stateful" not in sys.modules
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "veridian-conformance" not in result.stdout.str()
    helped = pytester.runpytest_subprocess("--help")
    helped.stdout.fnmatch_lines(["*--veridian-target=SPEC*"])


def test_a_bad_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--veridian-target", MODEL, "--veridian-observes", "ports.*.colour"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--veridian-observes: unknown observation path*"])


def test_an_unloadable_target_fails_the_run_test(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--veridian-target", "no_such_module:Nothing", "-k", "run", *QUICK
    )
    result.assert_outcomes(failed=1, deselected=TESTS - 1)
    result.stdout.fnmatch_lines(["*cannot load target 'no_such_module:Nothing'*"])
