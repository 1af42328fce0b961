"""Targets are isolated from the suite (issue 8, items 3 and 7).

A ``module:Class`` target given to ``conform`` runs in a worker process: a
sleep is cut by ``--timeout``, ``sys.exit``, ``os._exit`` and a fatal signal
are reported target failures (exit 1, never exit 0). Ctrl-C ends ``conform``
with one line and status 130, the target gone. A protocol target's process
group is ended with it (nothing it forked survives), and only a bounded tail
of its standard error is kept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from veridian_ipc.cli.main import main
from veridian_ipc.conformance.checker import Checker
from veridian_ipc.conformance.protocol import STDERR_KEPT, ProcessDriver
from veridian_ipc.conformance.targets import (
    InProcessDriver,
    TargetFailure,
    make_driver,
)
from veridian_ipc.vocabulary.syscalls import CreatePort

from .helpers import FAKES

#: long runs: left out of the quick test tier
pytestmark = pytest.mark.campaign

FAKE = "fake_targets"


@pytest.fixture(autouse=True)
def fakes_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fake_targets`` importable here and in the workers started from here."""
    monkeypatch.syspath_prepend(str(FAKES))


def _conform(name: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / "report.json"
    argv = ["conform", "--target", f"{FAKE}:{name}", "--profile", "ci"]
    argv += ["--max-examples", "3", "--json", str(out), *extra]
    status = main([*argv, "--trace-dir", str(tmp_path / "traces")])
    data: dict[str, object] = json.loads(out.read_text())
    return status, data


def _gone(pid: int) -> bool:
    """The process ``pid`` has ended (a zombie waiting for its reaper counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return _gone(pid)


def _one_step(driver: ProcessDriver) -> None:
    """Reset (and observe) the target, then apply one operation."""
    checker = Checker(driver)
    checker.reset()
    checker.apply(1, CreatePort(1))


def test_a_class_target_runs_in_a_worker() -> None:
    driver = make_driver(f"{FAKE}:Small")
    try:
        assert isinstance(driver, ProcessDriver)
        assert driver.name == f"{FAKE}:Small"
        assert driver.groups == frozenset({"caps", "ports", "errors"})
    finally:
        driver.close()
    fast = make_driver(f"{FAKE}:Small", isolated=False)
    assert isinstance(fast, InProcessDriver)


def test_a_target_that_prints_does_not_garble_the_protocol(tmp_path: Path) -> None:
    status, data = _conform("Chatty", tmp_path)
    assert data["status"] == "pass", data["failure"]
    assert status == 0


def _divergence(data: dict[str, object]) -> dict[str, object]:
    div = data["divergence"]
    assert isinstance(div, dict)
    return div


def test_a_sleeping_target_is_timed_out(tmp_path: Path) -> None:
    # a hang on a step is a divergence of its own (the target is restarted)
    status, data = _conform("Sleeps", tmp_path, "--timeout", "1")
    assert status == 1
    assert data["status"] == "diverged"
    div = _divergence(data)
    assert div["kind"] == "hang"
    assert "did not answer within 1 s" in str(div["message"])


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("Exits", "exit status 0"),
        ("HardExits", "exit status 0"),
        ("Aborts", "killed by SIGABRT"),
    ],
)
def test_an_exiting_target_is_a_crash_divergence(
    name: str, how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a crash on a step is a divergence of its own (the target is restarted)
    status, data = _conform(name, tmp_path)
    assert status == 1
    assert data["status"] == "diverged"
    div = _divergence(data)
    assert div["kind"] == "crash"
    assert how in str(div["message"])
    assert "result:   DIVERGENCE" in capsys.readouterr().out


def _interrupt(
    target: str,
    pidfile: Path,
    tmp_path: Path,
    how: signal.Signals = signal.SIGINT,
    status: int = 130,
) -> tuple[str, int]:
    """Run ``conform`` on ``target`` in a subprocess, send it ``how`` once the
    target has written its pid to ``pidfile``; its stderr and the target pid."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(FAKES), *sys.path]),
        "VERIDIAN_FAKE_PIDFILE": str(pidfile),
    }
    argv = [sys.executable, "-m", "veridian_ipc.cli.main", "conform"]
    argv += ["--target", target, "--profile", "ci", "--timeout", "600"]
    argv += ["--trace-dir", str(tmp_path / "traces")]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the target never started"
            time.sleep(0.05)
        pid = int(pidfile.read_text())
        proc.send_signal(how)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, (out, err)
    return err, pid


def test_ctrl_c_ends_conform_and_its_target(tmp_path: Path) -> None:
    pidfile = tmp_path / "target.pid"
    err, target = _interrupt(f"{FAKE}:Sleeps", pidfile, tmp_path)
    assert "Traceback" not in err
    assert err.strip() == "veridian-ipc: interrupted"
    assert _wait_gone(target)


def test_sigterm_ends_conform_and_its_target(tmp_path: Path) -> None:
    pidfile = tmp_path / "target.pid"
    err, target = _interrupt(
        f"{FAKE}:Sleeps", pidfile, tmp_path, signal.SIGTERM, status=143
    )
    assert err.strip() == "veridian-ipc: terminated"
    assert _wait_gone(target)


def test_ctrl_c_during_the_handshake_leaves_no_target(tmp_path: Path) -> None:
    pidfile = tmp_path / "target.pid"
    command = f"{sys.executable} {FAKES / 'silent_pid.py'} {pidfile}"
    err, target = _interrupt(command, pidfile, tmp_path)
    assert err.strip() == "veridian-ipc: interrupted"
    assert _wait_gone(target)


def test_a_forked_grandchild_does_not_survive_close(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    argv = [sys.executable, str(FAKES / "forks_child.py"), str(pidfile)]
    driver = ProcessDriver(argv, timeout=10.0)
    child = int(pidfile.read_text())
    assert not _gone(child)
    driver.close()
    assert _wait_gone(child)


def test_a_forked_grandchild_does_not_survive_a_failure(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    argv = [sys.executable, str(FAKES / "forks_child.py"), str(pidfile)]
    driver = ProcessDriver(argv, timeout=10.0)
    child = int(pidfile.read_text())
    with pytest.raises(TargetFailure, match="exit status 3"):
        _one_step(driver)
    assert _wait_gone(child)
    driver.close()


def test_a_flood_on_stderr_keeps_only_its_tail() -> None:
    driver = ProcessDriver(
        [sys.executable, str(FAKES / "floods_stderr.py")], timeout=30.0
    )
    try:
        with pytest.raises(TargetFailure) as info:
            _one_step(driver)
        kept = driver.stderr_tail()
        assert driver.stderr is not None
        read = driver.stderr.total
    finally:
        driver.close()
    assert read > 50 * 1024 * 1024  # all of it was drained...
    assert len(kept) <= STDERR_KEPT  # ...and only the tail kept
    assert kept.rstrip().endswith(b"FLOOD-END")
    assert b"FLOOD-START" not in kept
    text = str(info.value)
    assert "FLOOD-END" in text
    assert len(text) < 4 * 1024


def test_a_module_that_hangs_on_import_is_a_target_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the class is looked up before the run (a wrong name is a usage error);
    # an import that never returns ends at --timeout, not never
    out = tmp_path / "report.json"
    argv = ["conform", "--target", "hangs_on_import:Never", "--profile", "ci"]
    status = main([*argv, "--timeout", "1", "--json", str(out)])
    assert status == 1
    assert "did not finish within 1 s" in capsys.readouterr().out
    assert json.loads(out.read_text())["status"] == "target-failure"
