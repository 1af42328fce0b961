"""Error comparison modes: only exact is conformance; leniencies are reported."""

from __future__ import annotations

from veridian_ipc.conformance.compare import FAMILIES, Mode, results_agree
from veridian_ipc.conformance.mutants import UnconnectedSendEpipe
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.targets import InProcessDriver
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.syscalls import Socket, SockSend

from .helpers import run_ops

OPS = [(1, Socket(None)), (1, SockSend(0, b"x"))]


def test_every_error_has_a_family() -> None:
    assert set(FAMILIES) == set(IpcError)


def test_modes_on_results() -> None:
    closed, busy = {"error": "PortClosed"}, {"error": "NotConnected"}
    full = {"error": "PortFull"}
    assert results_agree(Mode.EXACT, closed, closed) == (True, None)
    assert results_agree(Mode.EXACT, busy, closed) == (False, None)
    assert results_agree(Mode.FAMILY, busy, closed) == (
        True,
        ("NotConnected", "PortClosed"),
    )
    assert results_agree(Mode.FAMILY, busy, full) == (False, None)
    assert results_agree(Mode.OKFAIL, busy, full) == (
        True,
        ("NotConnected", "PortFull"),
    )
    assert results_agree(Mode.OKFAIL, busy, {"ok": 1}) == (False, None)


def test_exact_catches_the_wrong_error() -> None:
    _, div = run_ops(UnconnectedSendEpipe, OPS)
    assert div is not None
    assert (div.step, div.kind) == (2, "result")


def test_family_accepts_it_and_records_the_leniency() -> None:
    checker, div = run_ops(UnconnectedSendEpipe, OPS, mode=Mode.FAMILY)
    assert div is None
    assert checker.leniencies_json() == [
        {"spec": "NotConnected", "target": "PortClosed", "count": 1}
    ]


def test_a_lenient_pass_is_not_conformance() -> None:
    report = run_conformance(
        InProcessDriver(UnconnectedSendEpipe), "ci", mode=Mode.FAMILY, max_examples=30
    )
    assert report.status == "pass"
    # the one leniency the mutant has, counted each time it was taken
    ((leniency, count),) = [
        ((d["spec"], d["target"]), d["count"]) for d in report.leniencies
    ]
    assert leniency == ("NotConnected", "PortClosed")
    assert count >= 1
    assert report.to_json()["conformance"] is False
