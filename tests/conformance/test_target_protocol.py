"""The in-process target interface as a typed ``Protocol`` (``interface``).

The spec's and the model's targets satisfy it statically (the assignments
below are checked by mypy, which the project runs on the tests) and at run
time; a class that does not is refused with the reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import veridian_ipc.conformance as conformance
from veridian_ipc.conformance import (
    InterfaceError,
    MinimalTargetClass,
    SpecTarget,
    Target,
    TargetClass,
    check_target_class,
)
from veridian_ipc.conformance.mutants import NoHandoff
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Config

from .renumbered import Renumbered

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

#: Checked by mypy: the spec target declares groups and observes; the model
#: relies on their defaults.
SPEC_CLASS: TargetClass = SpecTarget
MUTANT_CLASS: TargetClass = NoHandoff
MODEL_CLASS: MinimalTargetClass = Kernel
RENUMBERED_CLASS: MinimalTargetClass = Renumbered


@pytest.mark.parametrize("cls", [SpecTarget, NoHandoff])
def test_the_spec_target_satisfies_the_protocol_at_run_time(cls: type) -> None:
    assert isinstance(cls, TargetClass)
    assert isinstance(cls, MinimalTargetClass)
    check_target_class(cls)
    assert isinstance(cls(3, Config()), Target)


def test_the_model_satisfies_the_minimal_protocol_at_run_time() -> None:
    assert isinstance(Kernel, MinimalTargetClass)
    assert not isinstance(Kernel, TargetClass)  # no groups, observes: defaults
    check_target_class(Kernel)
    target: Target = MODEL_CLASS(3, Config())
    assert isinstance(target, Target)


class NoObserve:
    def __init__(self, processes: int, config: Config) -> None: ...

    def apply(self, pid: int, op: object) -> None: ...


class OneArgument:
    def __init__(self, processes: int) -> None: ...

    def apply(self, pid: int, op: object) -> None: ...

    def observe(self) -> None: ...


class BadGroups(SpecTarget):
    groups = ("ports", "teleport")


class BadObserves(SpecTarget):
    observes = ("ports.*.colour",)


@pytest.mark.parametrize(
    ("cls", "words"),
    [
        (NoObserve, "has no method observe()"),
        (OneArgument, "cannot be called"),
        (BadGroups, "unknown groups ['teleport']"),
        (BadObserves, "unknown observation path 'ports.*.colour'"),
        (SpecTarget(1, Config()), "is not a class"),
    ],
)
def test_a_class_that_is_not_a_target_is_refused(cls: object, words: str) -> None:
    with pytest.raises(InterfaceError) as info:
        check_target_class(cls)
    assert words in str(info.value)


MISTYPED = """
from veridian_ipc.conformance import TargetClass
from veridian_ipc.spec import Config


class Mistyped:
    groups = ("ports",)
    observes = "all"

    def __init__(self, processes: int, config: Config) -> None: ...

    def apply(self, pid: int, op: object) -> int:
        return 0

    def observe(self) -> object:
        return {}


TARGET: TargetClass = Mistyped
"""


def test_mypy_refuses_a_class_that_does_not_fit(tmp_path: Path) -> None:
    """The static check can fail: a class whose methods have the wrong types."""
    source = tmp_path / "mistyped.py"
    source.write_text(MISTYPED)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout
    assert "Incompatible types in assignment" in done.stdout
    assert 'expression has type "type[Mistyped]"' in done.stdout


def test_the_python_api_is_exported_and_documented() -> None:
    for name in (
        "run_conformance",
        "Report",
        "StepRecord",
        "Divergence",
        "InProcessDriver",
        "ProcessDriver",
        "make_driver",
        "Mode",
        "TargetClass",
        "MinimalTargetClass",
        "check_target_class",
        "Observes",
        "ObservesError",
        "parse_observes",
        "rule_verdicts",
    ):
        assert name in conformance.__all__
        value = getattr(conformance, name)
        assert (value.__doc__ or "").strip(), name
        assert f"``{name}" in (conformance.__doc__ or ""), name


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_python_api_example_runs() -> None:
    """The README's "Using the suite from Python" example runs as written."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Using the suite from Python", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```py\n(.*?)```", section, flags=re.DOTALL)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("pass ")
    assert first.endswith(
        "not compared: ['clock', 'processes', 'ports', "
        "'channels', 'buffers', 'namespace']"
    )
    assert second == "['ports.*.waiters']"
