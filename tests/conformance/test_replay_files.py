"""``replay`` checks a file completely before running anything.

A bad file gets one line, ``veridian-ipc replay: FILE: what is wrong``, exit
status 2, and the target is never started nor blamed; a vector whose recorded
observations or results are not the spec's is a bad vector (issue 8, items 4
and 6). Exit status 1 stays "the target diverged".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance import tracefiles
from veridian_ipc.conformance.targets import InProcessDriver, SpecTarget
from veridian_ipc.conformance.traces import TraceError, load, replay

from .helpers import SPEC

VECTORS = Path(__file__).resolve().parents[2] / "conformance" / "vectors"
VECTOR = json.loads((VECTORS / "vector-spec-2.json").read_text())
TRACE = json.loads((VECTORS / "trace-port-capacity-plus-one.json").read_text())
MUTANT = "veridian_ipc.conformance.mutants:PortCapacityPlusOne"

Edit = Callable[[dict[str, Any]], object]


def _set(*path: object, value: object) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _drop(*path: object) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


#: (name, base file, edit, words of the message)
EDITS: list[tuple[str, dict[str, Any], Edit, str]] = [
    ("format missing", VECTOR, _drop("format"), "format"),
    ("format unknown", VECTOR, _set("format", value="nope"), "format"),
    ("version 2", VECTOR, _set("version", value=2), "version"),
    ("version true", VECTOR, _set("version", value=True), "version"),
    ("version a string", VECTOR, _set("version", value="1"), "version"),
    ("processes -5", VECTOR, _set("processes", value=-5), "processes"),
    ("processes 10^7", VECTOR, _set("processes", value=10**7), "processes"),
    ("processes a string", VECTOR, _set("processes", value="3"), "processes"),
    ("processes missing", VECTOR, _drop("processes"), "processes"),
    ("config a list", VECTOR, _set("config", value=[]), "config"),
    ("config unknown field", VECTOR, _set("config", "x", value=1), "config"),
    ("config limit negative", VECTOR, _set("config", "max_io", value=-1), "max_io"),
    ("config limit a float", VECTOR, _set("config", "max_io", value=8.5), "max_io"),
    (
        "config limit beyond 64 bits",
        VECTOR,
        _set("config", "max_io", value=1 << 70),
        "max_io",
    ),
    ("groups unknown", VECTOR, _set("groups", value=["warp"]), "groups"),
    ("steps not a list", VECTOR, _set("steps", value={}), "steps"),
    ("a step not an object", VECTOR, _set("steps", 0, value=7), "step 1"),
    ("a step without pid", VECTOR, _drop("steps", 1, "pid"), "step 2"),
    ("pid a string", VECTOR, _set("steps", 1, "pid", value="1"), "pid"),
    ("pid a float", VECTOR, _set("steps", 1, "pid", value=1.0), "pid"),
    ("pid null", VECTOR, _set("steps", 1, "pid", value=None), "pid"),
    ("op unknown", VECTOR, _set("steps", 1, "op", "op", value="Fly"), "Fly"),
    ("op args a list", VECTOR, _set("steps", 1, "op", "args", value=[1]), "args"),
    ("op unknown field", VECTOR, _set("steps", 1, "op", "args", "zz", value=1), "zz"),
    ("spec result garbage", VECTOR, _set("steps", 1, "spec", value=[1]), "result"),
    (
        "spec error unknown",
        VECTOR,
        _set("steps", 1, "spec", value={"error": "Oops"}),
        "Oops",
    ),
    ("rules not strings", VECTOR, _set("steps", 1, "rules", value=[1]), "rules"),
    (
        "a vector step without observation",
        VECTOR,
        _drop("steps", 2, "observation"),
        "observation",
    ),
    (
        "an observation not an object",
        VECTOR,
        _set("steps", 2, "observation", value=42),
        "observation",
    ),
    (
        "an observation lacking its parts",
        VECTOR,
        _set("steps", 2, "observation", value={"clock": 0}),
        "observation",
    ),
    (
        "an observation with a bad key",
        VECTOR,
        _set("steps", 2, "observation", "ports", value={"one": {}}),
        "ports",
    ),
    ("mode unknown", TRACE, _set("mode", value="lenient"), "mode"),
    ("divergence missing", TRACE, _drop("divergence"), "divergence"),
    (
        "divergence step beyond the steps",
        TRACE,
        _set("divergence", "step", value=99),
        "divergence step",
    ),
    ("divergence kind unknown", TRACE, _set("divergence", "kind", value="x"), "kind"),
    ("target not a string", TRACE, _set("target", value=3), "target"),
    (
        "a trace step without its target result",
        TRACE,
        _drop("steps", 0, "target"),
        "step 1",
    ),
]

#: (name, raw content, words): files that are not JSON objects at all.
RAW: list[tuple[str, bytes, str]] = [
    ("empty", b"", "JSON"),
    ("not JSON", b"{nope", "JSON"),
    ("invalid UTF-8", b'{"format": "\xff"}', "UTF-8"),
    ("NaN", b'{"format": NaN}', "NaN"),
    ("1e400", b'{"version": 1e400}', "out of range"),
    ("a 5000-digit integer", b'{"version": ' + b"7" * 5000 + b"}", "digits"),
    ("10^5-deep nesting", b"[" * 100_000 + b"]" * 100_000, "nested"),
    ("a list", b"[]", "object"),
    ("a string", b'"trace"', "object"),
]


def _replay_cli(
    path: Path, capsys: pytest.CaptureFixture[str], target: str = SPEC
) -> tuple[int, str, str]:
    status = main(["replay", str(path), "--target", target])
    out, err = capsys.readouterr()
    return status, out, err


def _assert_bad_file(
    path: Path, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _replay_cli(path, capsys)
    assert status == 2
    assert out == ""  # nothing ran: no target blamed
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"veridian-ipc replay: {path}: "), err
    assert words in lines[0], err
    assert len(lines[0]) < 600


@pytest.mark.parametrize(
    ("base", "edit", "words"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_a_malformed_file_is_a_bad_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    base: dict[str, Any],
    edit: Edit,
    words: str,
) -> None:
    data = copy.deepcopy(base)
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    _assert_bad_file(path, words, capsys)


@pytest.mark.parametrize(
    ("raw", "words"), [r[1:] for r in RAW], ids=[r[0] for r in RAW]
)
def test_a_file_that_is_not_a_json_object_is_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    _assert_bad_file(path, words, capsys)


def test_a_missing_file_or_a_directory_is_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_bad_file(tmp_path / "absent.json", "No such file", capsys)
    _assert_bad_file(tmp_path, "directory", capsys)


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracefiles, "MAX_FILE", 1000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(VECTOR))
    _assert_bad_file(path, "larger than 1000 bytes", capsys)


def test_bad_files_stop_the_run_before_the_target_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(VECTOR))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**VECTOR, "processes": -5}))
    # the target cannot even be loaded: it is never reached
    argv = ["replay", str(good), str(bad), "--target", "no_such_module:Nope"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"veridian-ipc replay: {bad}: processes must be in 0..256, not -5"
    ]


def _corrupt_observation(d: dict[str, Any]) -> None:
    obs = d["steps"][4]["observation"]
    obs["clock"] = obs["clock"] + 1


def _corrupt_handles(d: dict[str, Any]) -> None:
    for st in d["steps"]:
        for proc in st["observation"]["processes"].values():
            if proc["handles"]:
                proc["handles"] = {}
                return
    raise AssertionError("the vector never gives a process a handle")


def _corrupt_result(d: dict[str, Any]) -> None:
    st = d["steps"][3]
    st["spec"] = {"error": "PortFull"} if "ok" in st["spec"] else {"ok": None}


@pytest.mark.parametrize(
    "corrupt",
    [_corrupt_observation, _corrupt_handles, _corrupt_result],
    ids=["clock", "handles", "result"],
)
def test_a_vector_with_a_corrupt_record_does_not_conform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], corrupt: Edit
) -> None:
    data = copy.deepcopy(VECTOR)
    corrupt(data)
    with pytest.raises(TraceError, match="recorded"):
        replay(data, InProcessDriver(SpecTarget))
    path = tmp_path / "corrupt.json"
    path.write_text(json.dumps(data))
    status, out, err = _replay_cli(path, capsys)
    assert status == 2
    assert "conforms" not in out
    assert "re-record the vector" in err


def test_the_shipped_files_are_good(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(VECTORS.glob("*.json")):
        load(path)
        status, out, _ = _replay_cli(path, capsys)
        assert status == 0, out
        assert "conforms" in out


def test_a_divergence_is_still_the_target_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(TRACE))
    status, out, err = _replay_cli(path, capsys, MUTANT)
    assert status == 1
    assert "DIVERGENCE at step" in out
    assert err == ""
