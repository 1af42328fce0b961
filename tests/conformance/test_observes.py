"""Black-box and partial targets: the declared observation (``observes``).

A target declares what it observes (``"all"``, ``"none"``, or observation
paths); the suite compares only that, keeps checking the spec's invariants,
binds numbers from results alone when it must, and the report says what was
not compared. Each check is shown to catch a wrong target.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance import checker as checker_module
from veridian_ipc.conformance import serve as serve_module
from veridian_ipc.conformance.mutants import HandleReuse
from veridian_ipc.conformance.observation import (
    EVERYTHING,
    LEAVES,
    RESULTS_ONLY,
    SECTIONS,
    ObservesError,
    parse_observes,
    project,
)
from veridian_ipc.conformance.protocol import ProcessDriver
from veridian_ipc.conformance.renaming import Renaming
from veridian_ipc.conformance.runner import run_conformance
from veridian_ipc.conformance.surface import ALL_GROUPS
from veridian_ipc.conformance.targets import (
    InProcessDriver,
    SpecTarget,
    TargetFailure,
    make_driver,
)
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Config, InvId, IpcError, initial_state, step
from veridian_ipc.spec.observe import OBSERVATION_FIELDS, observe
from veridian_ipc.vocabulary.results import Data, Err, Result
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Drop,
    Inspect,
    MapBuffer,
    Operation,
    RateLimit,
    Receive,
    Send,
    SetFilter,
    Socket,
)

from .helpers import MODEL, run_ops
from .renumbered import Renumbered

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

#: Steps that show a port, a queued message and a waiter.
STEPS: list[tuple[int, Operation]] = [
    (1, CreatePort(2)),
    (1, Send(1, 7, 0, b"hi")),
    (1, CreatePort(2)),
    (1, Receive(2, None)),
]


# -- the declaration ----------------------------------------------------------------


def test_declarations_parse() -> None:
    assert parse_observes("all") is EVERYTHING
    assert parse_observes(None) is EVERYTHING
    assert parse_observes("none") is RESULTS_ONLY
    part = parse_observes(["ports.*.capacity", "clock"])
    assert part.leaves == {"ports.*.capacity", "clock"}
    assert part.to_json() == ["clock", "ports.*.capacity"]
    left_out = parse_observes("-ports.*.filter.tokens,-ports.*.waiters")
    assert left_out.not_compared() == ["ports.*.waiters", "ports.*.filter.tokens"]
    assert set(left_out.to_json()) == {p for p in SECTIONS if p != "ports"} | {
        "ports.*.capacity",
        "ports.*.closed",
        "ports.*.queue",
        "ports.*.filter.allowed_types",
        "ports.*.filter.max_size",
        "ports.*.filter.rate",
    }
    assert parse_observes(["ports", "-ports.*.queue"]).sections == ("ports",)
    assert RESULTS_ONLY.not_compared() == list(SECTIONS)
    assert EVERYTHING.not_compared() == []
    # every documented path is a declaration, and the leaves cover them all
    for path in OBSERVATION_FIELDS:
        assert parse_observes([path]).leaves <= set(LEAVES)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ports.*.colour", "unknown observation path 'ports.*.colour'"),
        (["ports", 3], "is a string"),
        ([], "names no path"),
        ("", "names no path"),
        ({"ports": True}, 'must be "all", "none" or a list'),
        ("everything", "unknown observation path 'everything'"),
    ],
)
def test_a_bad_declaration_is_refused_clearly(value: object, words: str) -> None:
    with pytest.raises(ObservesError, match=words.replace("*", r"\*")):
        parse_observes(value)


def test_projection_keeps_map_keys_and_the_declared_fields() -> None:
    s = initial_state(processes=2, config=Config())
    for pid, op in STEPS:
        s, _ = step(s, pid, op)
    full = observe(s)
    ports = project(full, parse_observes(["ports.*.capacity", "ports.*.filter.rate"]))
    none = {"capacity": 2, "filter": None}
    assert ports == {"ports": {1: none, 2: none}}
    queue = project(full, parse_observes(["ports.*.queue.[].data"]))
    assert queue == {"ports": {1: {"queue": [{"data": "6869"}]}, 2: {"queue": []}}}
    status = project(full, parse_observes(["processes.*.status"]))
    assert status["processes"][1]["status"] == {"waiting": 2, "deadline": None}
    assert project(full, EVERYTHING) is full
    assert project(full, RESULTS_ONLY) == {}


# -- the model, results only and partial ----------------------------------------------


def test_the_model_passes_results_only_in_ci() -> None:
    report = run_conformance(InProcessDriver(Kernel, observes="none"), "ci")
    assert report.status == "pass", report.divergence
    assert report.to_json()["observes"] == "none"
    assert report.to_json()["not_compared"] == list(SECTIONS)


def test_the_model_passes_a_partial_observation_in_ci() -> None:
    declared = ["-ports.*.filter.tokens", "-ports.*.waiters", "-ports.*.capacity"]
    report = run_conformance(InProcessDriver(Kernel, observes=declared), "ci")
    assert report.status == "pass", report.divergence
    assert report.not_compared == [
        "ports.*.capacity",
        "ports.*.waiters",
        "ports.*.filter.tokens",
    ]


def test_numbers_bind_from_results_alone() -> None:
    """A target numbering everything its own way passes with no observation,
    in every group: ``SockRecv`` names the handles it installs in its result
    (POSIX-RECV), so they are bound like ``Receive``'s."""
    driver = InProcessDriver(Renumbered, list(ALL_GROUPS), observes="none")
    report = run_conformance(driver, "ci", max_examples=40)
    assert report.status == "pass", report.divergence
    ren = Renaming(2)
    ren.bind_observation({}, {})
    assert ren.observation_to_spec({}) == {}
    assert ren.unify_result("CreatePort", 1, 1, {"ok": 1}, {"ok": 107}) == {"ok": 1}
    assert ren.op_to_target(1, Inspect(1)) == (1, Inspect(107))


#: Steps that fill every section of the observation.
RICH: list[tuple[int, Operation]] = [
    (1, CreatePort(2)),
    (1, CreateChannel(2, 8)),
    (1, CreateBuffer(16)),
    (1, MapBuffer(3, True)),
    (1, Bind(1, "a", 0)),
    (1, SetFilter(1, None, 8, RateLimit(2, 1, 2))),
    (1, Send(1, 7, 0, b"hi", (2,))),
    (2, Socket()),
    (1, CreatePort(2)),
    (1, Receive(4, None)),
]


class RenumberedPart(Renumbered):
    """Renumbered, declaring one observation path (set per test)."""

    observes: tuple[str, ...] = ()


@pytest.mark.parametrize("path", list(OBSERVATION_FIELDS))
def test_any_single_path_compares_up_to_renaming(path: str) -> None:
    """A target numbering everything its own way, observing one path or
    everything but it, agrees with the spec on steps that show every path."""
    for declared in ((path,), (f"-{path}",)):
        RenumberedPart.observes = declared
        checker, div = run_ops(RenumberedPart, RICH)
        assert div is None, (declared, div)
        assert len(checker.steps) == len(RICH)


# -- fakes: what is compared and what is not ------------------------------------------


class WrongCapacity(SpecTarget):
    """Shows every port's capacity one too high."""

    def observe(self) -> Data:
        obs = super().observe()
        for port in obs["ports"].values():
            port["capacity"] += 1
        return obs


class WrongCapacityUndeclared(WrongCapacity):
    observes = ("-ports.*.capacity",)


class WrongCapacityDeclared(WrongCapacity):
    observes = ("ports",)


class NoWaiters(SpecTarget):
    """Leaves the waiter lists out of its observation."""

    def observe(self) -> Data:
        obs = super().observe()
        for port in obs["ports"].values():
            del port["waiters"]
        return obs


class NoWaitersDeclared(NoWaiters):
    observes = ("ports", "processes")


class NoWaitersUndeclared(NoWaiters):
    observes = ("ports.*.queue", "ports.*.capacity", "processes")


def test_a_wrong_value_in_an_undeclared_field_passes() -> None:
    _, div = run_ops(WrongCapacityUndeclared, STEPS)
    assert div is None


def test_the_same_wrong_value_declared_diverges() -> None:
    _, div = run_ops(WrongCapacityDeclared, STEPS)
    assert div is not None
    assert div.kind == "observation"
    assert div.step == 1
    assert [d["path"] for d in div.diff] == ["$.ports.1.capacity"]
    _, div = run_ops(WrongCapacity, STEPS)  # "all", the default
    assert div is not None
    assert div.kind == "observation"


def test_a_target_that_omits_a_declared_field_diverges() -> None:
    _, div = run_ops(NoWaitersDeclared, STEPS)
    assert div is not None
    assert div.kind == "observation"
    assert div.step == 1
    assert div.diff[0] == {
        "path": "$.ports.1.waiters",
        "spec": [],
        "target": "<absent>",
    }
    _, div = run_ops(NoWaitersUndeclared, STEPS)
    assert div is None


class BlindWrongResult(SpecTarget):
    """Observes nothing, and answers Inspect wrongly."""

    observes = "none"

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        return Err(IpcError.InsufficientRights) if isinstance(op, Inspect) else result

    def observe(self) -> Data:
        raise AssertionError("a target observing nothing is never asked")


class BlindHandleReuse(HandleReuse):
    observes = "none"


def test_a_wrong_result_diverges_in_results_only_mode() -> None:
    _, div = run_ops(BlindWrongResult, [*STEPS[:1], (1, Inspect(1))])
    assert div is not None
    assert div.kind == "result"
    assert div.step == 2
    _, div = run_ops(
        BlindHandleReuse, [(1, CreatePort(2)), (1, Drop(1)), (1, CreatePort(2))]
    )
    assert div is not None
    assert div.kind == "renaming"


def test_the_spec_invariants_are_checked_whatever_the_target_observes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Blind(SpecTarget):
        observes = "none"

    monkeypatch.setattr(checker_module, "violations", lambda s: [InvId.QUEUE_BOUND])
    _, div = run_ops(Blind, STEPS[:1])
    assert div is not None
    assert div.kind == "spec"
    assert div.invariants == ["INV-QUEUE-BOUND"]


# -- the protocol, the worker and the command -----------------------------------------


BLIND_SPEC = """
from veridian_ipc.conformance.targets import SpecTarget


class BlindSpec(SpecTarget):
    \"\"\"The spec, declaring it observes nothing; asked anyway, it fails.\"\"\"

    observes = "none"

    def observe(self):
        raise RuntimeError("observe() called on a results-only target")
"""


def test_a_worker_target_declaring_none_is_never_asked_to_observe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "blind_spec.py").write_text(BLIND_SPEC)
    monkeypatch.syspath_prepend(str(tmp_path))  # the worker's import path too
    name = "blind_spec:BlindSpec"
    driver = make_driver(name)
    try:
        assert driver.observes == RESULTS_ONLY  # type: ignore[attr-defined]
        report = run_conformance(driver, "ci", max_examples=5)
    finally:
        driver.close()
    assert report.status == "pass", (report.failure, report.divergence)
    assert report.observes == "none"


def test_the_override_replaces_the_declaration() -> None:
    driver = make_driver(MODEL, observes="ports,-ports.*.waiters")
    try:
        declared = driver.observes  # type: ignore[attr-defined]
        assert declared.sections == ("ports",)
        assert "ports.*.waiters" in declared.not_compared()
        assert run_conformance(driver, "ci", max_examples=5).status == "pass"
    finally:
        driver.close()


def test_a_hello_with_an_unknown_path_is_a_target_failure() -> None:
    script = (
        "import json, sys; sys.stdin.readline(); print(json.dumps({'type': 'hello', "
        "'version': 1, 'name': 'x', 'groups': ['caps'], 'observes': ['nope']}), "
        "flush=True); sys.stdin.readline()"
    )
    with pytest.raises(
        TargetFailure, match="invalid observes: unknown observation path 'nope'"
    ):
        ProcessDriver([sys.executable, "-c", script], timeout=10.0)


def test_the_command_refuses_an_unknown_path_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["conform", "--target", MODEL, "--observes", "ports.*.colour"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "conform: --observes: unknown observation path 'ports.*.colour'"
    )


def test_the_command_says_what_was_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["conform", "--target", MODEL, "--profile", "ci", "--max-examples", "5"]
    assert main([*argv, "--observes", "none", "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "observes: results only: no observation compared" in out
    assert '"not_compared": [' in (tmp_path / "r.json").read_text()
    assert main([*argv, "--observes=-ports.*.filter.tokens"]) == 0
    assert (
        "observes: partial: not compared: ports.*.filter.tokens"
        in capsys.readouterr().out
    )
    assert main(argv) == 0
    assert "observes:" not in capsys.readouterr().out


def test_the_server_declares_the_class_observation() -> None:
    msg = b'{"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1}\n'
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "veridian_ipc.conformance.serve",
            "--impl",
            MODEL,
            "--observes",
            "none",
        ],
        input=msg + b'{"type": "bye"}\n',
        capture_output=True,
        timeout=60,
    )
    assert b'"observes":"none"' in done.stdout
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "veridian_ipc.conformance.serve",
            "--impl",
            MODEL,
            "--observes",
            "x.y",
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count(b"\n") == 1


def test_the_protocol_schema_describes_observes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(serve_module.__file__).parent / "protocol.schema.json"
    schema = json.loads(schema_path.read_text())
    hello = {**schema, "$ref": "#/$defs/hello"}
    base = {"type": "hello", "version": 1, "groups": ["caps"]}
    for observes in ("all", "none", ["ports.*.capacity", "-ports.*.waiters"]):
        jsonschema.validate({**base, "observes": observes}, hello)
    for bad in ("some", ["ports.*.colour"], []):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**base, "observes": bad}, hello)
    out = io.BytesIO()
    inp = io.BytesIO(
        b'{"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1}\n'
    )
    serve_module.serve(SpecTarget, ["caps"], inp, out, parse_observes(["ports"]))
    answer = json.loads(out.getvalue())
    assert answer["observes"] == ["ports"]
    jsonschema.validate(answer, hello)


def test_a_driver_refuses_an_unknown_path_before_anything_runs() -> None:
    class Misdeclared(SpecTarget):
        observes = ("ports.*.colour",)

    with pytest.raises(ObservesError, match="unknown observation path"):
        InProcessDriver(Misdeclared)
    with pytest.raises(ObservesError, match="unknown observation path 'nope'"):
        make_driver(MODEL, observes="nope")
    with pytest.raises(ObservesError, match="unknown observation path 'nope'"):
        make_driver("python -m some.server", observes=["nope"])
