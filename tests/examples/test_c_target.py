"""The independent C target (``examples/c-target``) conforms, and the suite
catches a bug planted in it.

The target is built with ``make`` (gcc, C11, Jansson from Debian's
``libjansson-dev``); without them the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "c-target"
GROUPS = "caps,rights,ports,messages,errors"


def _missing_tools() -> str | None:
    for tool in ("gcc", "make", "pkg-config"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    found = subprocess.run(
        ["pkg-config", "--exists", "jansson"], check=False, capture_output=True
    )
    if found.returncode != 0:
        return "Jansson is not installed (Debian: libjansson-dev)"
    return None


def _build(out: Path, extra_cflags: str = "") -> Path:
    reason = _missing_tools()
    if reason is not None:
        pytest.skip(f"cannot build the C target: {reason}")
    cmd = ["make", "-s", "-B", "-C", str(SOURCE), f"TARGET={out}"]
    if extra_cflags:
        cmd.append(f"EXTRA_CFLAGS={extra_cflags}")
    built = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("c-target") / "veridian-c-target")


#: Every group the target declares in its hello.
DECLARED = "caps,rights,ports,messages,namespace,timeouts,errors"


def _conform(target: Path, report: Path, *extra: str, groups: str = GROUPS) -> int:
    argv = ["conform", "--target", str(target), "--groups", groups]
    argv += ["--profile", "ci", "--max-examples", "25", "--json", str(report)]
    return main([*argv, *extra])


@pytest.mark.parametrize("groups", [GROUPS, DECLARED])
def test_the_c_target_conforms_in_exact_mode(
    target: Path, tmp_path: Path, groups: str
) -> None:
    report = tmp_path / "report.json"
    assert _conform(target, report, groups=groups) == 0
    data = json.loads(report.read_text())
    assert data["status"] == "pass"
    assert data["mode"] == "exact"
    assert data["conformance"] is True
    assert data["groups"] == sorted(groups.split(","))
    assert data["steps"] > 0


def test_a_planted_bug_in_the_c_target_is_caught_at_its_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``PLANT_BUG_DERIVE_KEEPS_GRANT``: a derived capability keeps GRANT."""
    broken = _build(tmp_path / "broken", "-DPLANT_BUG_DERIVE_KEEPS_GRANT")
    report = tmp_path / "report.json"
    assert _conform(broken, report, "--trace-dir", str(tmp_path)) == 1
    assert "DIVERGENCE" in capsys.readouterr().out
    data = json.loads(report.read_text())
    assert data["status"] == "diverged"
    div = data["divergence"]
    last = div["steps"][div["step"] - 1]
    assert last["op"]["op"] == "Derive"
    assert "RIGHTS-DERIVE" in last["rules"]
    assert div["kind"] == "observation"
    assert any(d["path"].endswith(".rights") for d in div["diff"])


def _session(target: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    text = "".join(f"{line}\n" for line in lines)
    return subprocess.run(
        [str(target)], input=text, capture_output=True, text=True, timeout=30
    )


HELLO = '{"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1}'
RESET = '{"type": "reset", "processes": 2, "config": {}}'


def _apply(op: str, args: str, pid: int = 1) -> str:
    return (
        f'{{"type": "apply", "id": 7, "pid": {pid},'
        f' "op": {{"op": "{op}", "args": {args}}}}}'
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["this is {not json"], ""),
        ([RESET], "first message must be hello"),
        ([HELLO, HELLO], "hello: sent twice"),
        ([HELLO, '{"type": "observe", "id": 1}'], "reset must come before"),
        ([HELLO, '{"type": "reset", "processes": 257, "config": {}}'], "0..256"),
        (
            [HELLO, '{"type": "reset", "processes": 1, "config": {"max_io": 0}}'],
            "max_io",
        ),
        ([HELLO, RESET, _apply("SetFilter", '{"handle": 1}')], "not implemented"),
        ([HELLO, RESET, _apply("Drop", "{}")], "missing field handle"),
        ([HELLO, RESET, _apply("Drop", '{"handle": 1, "x": 2}')], "unknown field"),
        ([HELLO, RESET, '{"type": "apply", "id": true, "pid": 1}'], "missing"),
        ([HELLO, '{"type": "launch"}'], "unknown message type"),
        ([HELLO, '{"type": "bye\\u0000x"}'], "a string type"),
    ],
)
def test_bad_input_gets_one_fatal_and_status_2(
    target: Path, lines: list[str], message: str
) -> None:
    done = _session(target, *lines)
    assert done.returncode == 2, done.stderr
    last = json.loads(done.stdout.splitlines()[-1])
    assert last["type"] == "fatal"
    assert message in last["message"]
    assert len(last["message"]) <= 300


def test_a_line_over_the_limit_gets_a_fatal(target: Path) -> None:
    done = _session(target, HELLO, '"' + "x" * 4194304 + '"')
    assert done.returncode == 2
    assert "longer than 4194304" in json.loads(done.stdout.splitlines()[-1])["message"]


@pytest.mark.parametrize(
    ("line", "quoted"),
    [
        (b'{"type": "bye\xff"}', '"bye?"'),
        (b'{"type": \x00}', ""),
        (b"[" * 5000 + b"]" * 5000, "[[["),
    ],
)
def test_undecodable_input_gets_a_fatal_in_valid_json(
    target: Path, line: bytes, quoted: str
) -> None:
    """Invalid UTF-8, a NUL byte, deep nesting: the fatal quotes the input as
    printable ASCII, so it is itself valid JSON."""
    done = subprocess.run(
        [str(target)],
        input=HELLO.encode() + b"\n" + line + b"\n",
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 2
    last = json.loads(done.stdout.decode("utf-8").splitlines()[-1])
    assert last["type"] == "fatal"
    assert quoted in last["message"]
    assert len(last["message"]) <= 300


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("Drop", '{"handle": true}'),
        ("CreatePort", '{"capacity": "2"}'),
        ("CreatePort", '{"capacity": 2.0}'),
        ("Receive", '{"handle": 1, "timeout": false}'),
        ("Send", '{"handle": 1, "msg_type": 0, "flags": 0, "data": "6"}'),
        ("Send", '{"handle": 1, "msg_type": 0, "flags": 0, "data": "zz"}'),
        (
            "Send",
            '{"handle": 1, "msg_type": 0, "flags": 0, "data": "", "caps": [null]}',
        ),
        ("Lookup", '{"name": 7}'),
    ],
)
def test_an_ill_typed_field_is_invalid_argument(
    target: Path, op: str, args: str
) -> None:
    """ERR-TOTAL, checked before the issuer: pid 99 names no process."""
    done = _session(target, HELLO, RESET, _apply(op, args, pid=99), '{"type": "bye"}')
    assert done.returncode == 0, done.stdout
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer == {"type": "result", "id": 7, "result": {"error": "InvalidArgument"}}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ('"x\\u0000"', "InvalidArgument"),
        ('""', "InvalidArgument"),
        ('"x"', "PortNotFound"),
    ],
)
def test_a_name_with_a_nul_byte_is_invalid(target: Path, name: str, error: str) -> None:
    """NS-LOOKUP: a name is 1..max_name_length UTF-8 bytes, without NUL."""
    lookup = _apply("Lookup", f'{{"name": {name}}}')
    done = _session(target, HELLO, RESET, lookup, '{"type": "bye"}')
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout.splitlines()[-1])["result"] == {"error": error}


def test_the_examples_are_not_packaged() -> None:
    """setuptools builds only the listed packages, none of them from examples/."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert isinstance(cfg["packages"], list)
    assert not any(p.startswith("examples") for p in cfg["package-dir"].values())
    assert (SOURCE / "Makefile").exists()  # there is something to leave out
    assert not list((ROOT / "examples").rglob("*.py"))
