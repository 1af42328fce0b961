"""The ``model-timings`` subcommand runs and reports every hot path."""

from __future__ import annotations

import json

import pytest

from veridian_ipc.cli.main import main


def test_model_timings_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model-timings", "--number", "200", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 7
    assert all(value > 0 for value in results.values())
