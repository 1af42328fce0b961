"""A derandomized run explores the same steps whatever else is loaded.

Hypothesis draws some values from the literals of the local modules loaded in
the process; ``constants.pinned_constants`` pins that pool to the spec's, so
loading a module full of unrelated literals changes nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget


def _run() -> tuple[int, int, object]:
    report = run_conformance(InProcessDriver(SpecTarget), "ci", max_examples=15)
    assert report.status == "pass"
    return report.examples, report.steps, report.coverage


def test_loading_a_module_does_not_change_a_run(tmp_path: Path) -> None:
    before = _run()
    source = tmp_path / "unrelated_literals.py"
    numbers = ", ".join(str(n) for n in range(-3, 200, 7))
    words = ", ".join(repr(f"w{n}") for n in range(40))
    source.write_text(f"NUMBERS = [{numbers}]\nWORDS = [{words}]\n")
    spec = importlib.util.spec_from_file_location("unrelated_literals", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["unrelated_literals"] = module
    try:
        spec.loader.exec_module(module)
        after = _run()
    finally:
        del sys.modules["unrelated_literals"]
    assert after == before
