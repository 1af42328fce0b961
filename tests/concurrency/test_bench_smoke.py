"""The benchmark runner runs end to end and writes a well-formed report.

``bench/run.py --smoke`` measures every row with minimal repeats (a few
seconds); this test checks the report's shape and internal consistency, never
the figures themselves (benchmarks report, tests assert behaviour).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "bench" / "run.py"
GROUPS = (
    "sync 64 B send+receive",
    "sync 64 B + 4 caps",
    "rights check",
    "ping-pong",
    "channel batch",
    "live channels / ports",
    "spec step vs Kernel.apply",
)


def test_smoke_run_writes_a_well_formed_report(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| benchmark | variant | median |" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mode"] == "smoke"
    machine = report["machine"]
    for key in ("python", "platform", "cpu_count"):
        assert machine[key], key
    rows = report["rows"]
    for group in GROUPS:
        assert any(group in r["name"] for r in rows), f"no row for {group!r}"
    for r in rows:
        for key in ("name", "variant", "unit", "median", "min", "max"):
            assert key in r, (key, r)
        assert all(math.isfinite(r[k]) and r[k] >= 0 for k in ("median", "min", "max"))
        assert r["min"] <= r["median"] <= r["max"], r
        if r["ratio"] is not None:
            assert r["ratio"] > 0
            assert r["ratio_to"], r
        if r["target"] is not None:
            assert isinstance(r["meets_target"], bool), r
            assert r["variant"].startswith("model"), r
    targets = {r["name"] for r in rows if r["target"] is not None}
    assert len(targets) == 5, targets  # sync, caps, rights, ping-pong, batch
    rendered = subprocess.run(
        [sys.executable, str(RUNNER), "--render", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == proc.stdout.strip()
    for skipped in report["skipped"]:
        assert skipped["name"] in {
            "pyzmq inproc PAIR",
            "faster-fifo Queue",
            "faster-fifo put_many/get_many",
            "pyzmq inproc multipart",
            "posix_ipc MessageQueue",
        }, skipped
        assert skipped["reason"].endswith("is not installed"), skipped
