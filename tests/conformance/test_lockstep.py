"""The spec conforms to itself, in-process and over the protocol; so does the model."""

from __future__ import annotations

import pytest

from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget, load_class

from .helpers import MODEL, PROFILE, SPEC, protocol_driver

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign


def test_spec_conforms_in_process() -> None:
    report = run_conformance(InProcessDriver(SpecTarget), PROFILE)
    assert report.status == "pass", report.divergence or report.failure
    assert report.steps > 500
    coverage = report.coverage
    assert isinstance(coverage, dict)
    # every rule of the spec is exercised by a run of the suite's profile
    assert coverage["uncovered"] == []


def test_spec_conforms_over_protocol() -> None:
    driver = protocol_driver(SPEC)
    try:
        report = run_conformance(driver, PROFILE, max_examples=40)
    finally:
        driver.close()
    assert report.status == "pass", report.divergence or report.failure
    assert report.steps > 200
    assert set(report.groups) == set(SpecTarget.groups)


def test_model_conforms_in_process() -> None:
    report = run_conformance(InProcessDriver(load_class(MODEL)), PROFILE)
    assert report.status == "pass", report.divergence or report.failure
    assert report.coverage["uncovered"] == []


def test_model_conforms_over_protocol() -> None:
    driver = protocol_driver(MODEL)
    try:
        report = run_conformance(driver, PROFILE, max_examples=40)
    finally:
        driver.close()
    assert report.status == "pass", report.divergence or report.failure


def test_declared_groups_limit_generation() -> None:
    report = run_conformance(
        InProcessDriver(SpecTarget, groups=["caps", "ports", "errors"]),
        "ci",
        max_examples=20,
    )
    assert report.status == "pass"
    rules = report.coverage["rules"]
    assert rules["CHAN-SEND"]["count"] == 0
    assert rules["POSIX-SOCKET"]["count"] == 0
    assert rules["PORT-SEND"]["count"] > 0
