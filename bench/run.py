"""Benchmarks of the model against its floors and the usual Python peers.

Usage::

    python bench/run.py [--quick | --smoke] [--json FILE] [--only NAME ...]

Prints a Markdown table: for each benchmark, the model, its floor (the least a
Python implementation of the same action can cost) and its peers, each a median
over repeated runs with the min-max of the runs and the ratio to the reference
of its group. ``--json FILE`` writes the same as
``{"machine": {...}, "mode": ..., "rows": [...], "skipped": [...]}``.
``--quick`` takes under a minute; ``--smoke`` only checks that everything runs.
Optional peers (pyzmq, faster-fifo, posix_ipc) are skipped with a note when
missing.
See bench/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _model
import _peers
from _harness import (
    FULL,
    QUICK,
    SMOKE,
    Loop,
    Mode,
    Row,
    machine,
    markdown,
    per_iteration,
    summarize,
)

T = TypeVar("T")
DATA = bytes(range(64))  # a 64-byte message
BATCH = tuple(bytes([i]) * 64 for i in range(64))  # 64 messages of 64 bytes


class Run:
    """Collects rows and skipped peers while the benchmarks run."""

    def __init__(self, mode: Mode, verbose: bool) -> None:
        self.mode = mode
        self.verbose = verbose
        self.rows: list[Row] = []
        self.skipped: list[dict[str, str]] = []
        self.closers: list[Callable[[], None]] = []

    def note(self, text: str) -> None:
        print(f"note: {text}", file=sys.stderr, flush=True)

    def peer(
        self, name: str, factory: Callable[[], _peers.Peer], optional: bool
    ) -> Loop | None:
        """Open a peer, or record it as skipped (optional and not installed)."""
        try:
            loop, close = factory()
        except _peers.Missing as e:
            if not optional:
                raise
            self.skipped.append({"name": name, "reason": f"{e} is not installed"})
            self.note(f"skipping optional peer {name}: {e} is not installed")
            return None
        self.closers.append(close)
        return loop

    def add_peers(
        self,
        loops: dict[str, tuple[str, Loop]],
        peers: Mapping[str, Callable[[T], _peers.Peer]],
        arg: T,
        optional: frozenset[str],
    ) -> None:
        """Open every peer of ``peers`` on ``arg`` and add its loop to
        ``loops`` (optional peers that are not installed are skipped)."""
        for label, factory in peers.items():
            loop = self.peer(label, functools.partial(factory, arg), label in optional)
            if loop is not None:
                loops[label] = ("peer", loop)

    def close_peers(self) -> None:
        while self.closers:
            self.closers.pop()()

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        if self.verbose:
            print(
                f"  {row.name} / {row.variant}: {row.median:.4g} {row.unit}",
                file=sys.stderr,
                flush=True,
            )
        return row


def timed_rows(
    run: Run,
    name: str,
    loops: dict[str, tuple[str, Loop]],
    *,
    unit: str,
    reference: str,
    per: float = 1.0,
    rate: float | None = None,
    optional: frozenset[str] = frozenset(),
) -> dict[str, Row]:
    """Measure ``loops`` (label -> (variant, loop)) round-robin and add a row
    each. Figures are ns per iteration / ``per``; with ``rate``, items per
    second (``rate`` items per iteration). Ratios are to ``reference``."""
    samples = per_iteration({k: v[1] for k, v in loops.items()}, run.mode, per)
    rows: dict[str, Row] = {}
    ref = statistics.median(samples[reference])
    for label, (variant, _) in loops.items():
        values = samples[label]
        if rate is not None:
            values = [rate * 1e9 / (v * per) for v in values]
        med, lo, hi = summarize(values)
        if rate is not None:
            ratio = (rate * 1e9 / (ref * per)) / med
        else:
            ratio = med / ref
        rows[label] = run.add(
            Row(
                name=name,
                group=name,
                variant=f"{variant}: {label}" if variant == "peer" else variant,
                unit=unit,
                median=med,
                min=lo,
                max=hi,
                repeats=len(values),
                higher_is_better=rate is not None,
                ratio=None if label == reference else ratio,
                ratio_to=None if label == reference else reference,
                optional=label in optional,
                extra={"label": label, "samples": [round(v, 3) for v in values]},
            )
        )
    return rows


# -- the benchmarks ---------------------------------------------------------------


def bench_sync(run: Run) -> None:
    """Small synchronous message, one thread: send + receive of 64 bytes."""
    loops: dict[str, tuple[str, Loop]] = {
        "model": ("model", _model.sync_loop(DATA)),
        "model, Kernel.apply": ("model", _model.sync_apply_loop(DATA)),
        "floor": ("floor", _peers.floor_sync(DATA)[0]),
    }
    run.add_peers(loops, _peers.SYNC_PEERS, DATA, _peers.OPTIONAL)
    try:
        rows = timed_rows(
            run,
            "sync 64 B send+receive, 1 thread",
            loops,
            unit="ns/msg",
            reference="floor",
            optional=_peers.OPTIONAL,
        )
    finally:
        run.close_peers()
    rows["model, Kernel.apply"].variant = "model: Kernel.apply"
    m = rows["model"]
    m.target = "<= 1000 ns; aim <= 3x floor"
    m.meets_target = m.median <= 1000
    m.extra["within_3x_floor"] = (m.ratio or 0) <= 3
    m.extra["vs_peers"] = {
        k: round(m.median / r.median, 3)
        for k, r in rows.items()
        if r.variant.startswith("peer")
    }
    m.note = f"path: {_model.PATH}"


def bench_caps(run: Run) -> None:
    """The same with 4 capabilities moved by every message."""
    loops: dict[str, tuple[str, Loop]] = {
        "model, 4 caps": ("model", _model.caps_loop(DATA, 4)),
        "model, 4 caps, Kernel.apply": ("model", _model.caps_apply_loop(DATA, 4)),
        "model, no caps": ("model", _model.sync_loop(DATA)),
        "floor": ("floor", _peers.floor_sync(DATA)[0]),
    }
    rows = timed_rows(
        run, "sync 64 B + 4 caps send+receive", loops, unit="ns/msg", reference="floor"
    )
    m = rows["model, 4 caps"]
    m.variant = "model (4 caps)"
    rows["model, no caps"].variant = "model (no caps)"
    rows["model, 4 caps, Kernel.apply"].variant = "model (4 caps): Kernel.apply"
    m.target = "<= 2000 ns"
    m.meets_target = m.median <= 2000
    m.note = f"path: {_model.CAPS_PATH}"
    m.extra["vs_no_caps"] = round(m.median / rows["model, no caps"].median, 3)


def bench_rights(run: Run) -> None:
    """A rights check on the hot path against a bare dict lookup."""
    checked, bare = _model.rights_check_loop()
    rows = timed_rows(
        run,
        "rights check vs dict lookup",
        {"model check": ("model", checked), "dict lookup": ("floor", bare)},
        unit="ns/check",
        reference="dict lookup",
    )
    m = rows["model check"]
    pairs = zip(m.extra["samples"], rows["dict lookup"].extra["samples"], strict=True)
    over = statistics.median(a - b for a, b in pairs)
    m.extra["over_ns"] = round(over, 2)
    m.target = "<= 100 ns over the lookup"
    m.meets_target = over <= 100
    m.note = f"{over:.1f} ns over the bare lookup"
    refused, missing = _model.refused_loops()
    rows = timed_rows(
        run,
        "refused send via public path",
        {
            "InsufficientRights": ("model", refused),
            "InvalidCapability": ("model", missing),
        },
        unit="ns/call",
        reference="InvalidCapability",
    )
    r = rows["InsufficientRights"]
    r.variant = "model: refused by rights"
    rows["InvalidCapability"].variant = "model: refused by lookup"
    pairs = zip(
        r.extra["samples"], rows["InvalidCapability"].extra["samples"], strict=True
    )
    delta = statistics.median(a - b for a, b in pairs)
    r.extra["over_ns"] = round(delta, 2)
    r.note = f"kind + rights tests cost {delta:.1f} ns beyond the lookup"


def bench_pingpong(run: Run) -> None:
    """Round trips between two threads through a port, against the peers."""
    loops: dict[str, tuple[str, Loop]] = {}
    loop, close = _model.pingpong(DATA)
    run.closers.append(close)
    loops["model"] = ("model", loop)
    run.add_peers(loops, _peers.PINGPONG_PEERS, DATA, _peers.OPTIONAL)
    try:
        rows = timed_rows(
            run,
            "ping-pong 64 B, 2 threads",
            loops,
            unit="us/round trip",
            reference="queue.SimpleQueue",
            per=1000.0,
            optional=_peers.OPTIONAL,
        )
    finally:
        run.close_peers()
    if "model" in rows:
        m = rows["model"]
        m.target = "no slower than queue.SimpleQueue"
        m.meets_target = (m.ratio or 0) <= 1.0
        m.note = f"path: {_model.PINGPONG_PATH}"


def bench_batch(run: Run) -> None:
    """Batched channel send and receive of 64 messages of 64 bytes."""
    loops: dict[str, tuple[str, Loop]] = {
        "model": ("model", _model.batch_loop(BATCH)),
        "model, Kernel.apply": ("model", _model.batch_apply_loop(BATCH)),
        "floor": ("floor", _peers.floor_batch(BATCH)[0]),
    }
    run.add_peers(loops, _peers.BATCH_PEERS, BATCH, _peers.BATCH_OPTIONAL)
    try:
        rows = timed_rows(
            run,
            "channel batch 64 x 64 B",
            loops,
            unit="msg/s",
            reference="floor",
            rate=len(BATCH),
            optional=_peers.BATCH_OPTIONAL,
        )
    finally:
        run.close_peers()
    rows["model, Kernel.apply"].variant = "model: Kernel.apply"
    m = rows["model"]
    m.target = ">= 2 M msg/s"
    m.meets_target = m.median >= 2e6
    m.note = f"path: {_model.BATCH_PATH}"


def _traced(make: Callable[[], object], count: int) -> float:
    """Bytes per object allocated by ``make``, all ``count`` kept alive."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = [make() for _ in range(count)]
        after = tracemalloc.get_traced_memory()[0]
        del keep
    finally:
        tracemalloc.stop()
    return (after - before) / count


def bench_footprint(run: Run) -> None:
    """Many live channels and ports at once: memory per object."""
    count = run.mode.objects
    repeats = 1 if run.mode is not FULL else 3
    results: dict[str, list[dict[str, float]]] = {"channel": [], "port": []}
    for _ in range(repeats):
        for kind in results:
            results[kind].append(_model.footprint(kind, count))
            gc.collect()
    deque_bytes = _traced(lambda: deque(maxlen=16), count)
    list_bytes = _traced(lambda: [None] * 16, count)
    name = f"{count:,} live channels / ports"
    for kind, samples in results.items():
        med, lo, hi = summarize([s["traced"] for s in samples])
        rss = statistics.median(s["rss"] for s in samples)
        run.add(
            Row(
                name=name,
                group=name,
                variant=f"model: bytes per {kind}",
                unit="B",
                median=med,
                min=lo,
                max=hi,
                repeats=len(samples),
                ratio=med / deque_bytes,
                ratio_to="deque(maxlen=16)",
                note=f"capacity 16; RSS growth {rss:.0f} B/{kind}",
                extra={
                    "rss_bytes": round(rss, 1),
                    "objects": count,
                },
            )
        )
        rate = [s["rate"] for s in samples]
        med, lo, hi = summarize(rate)
        run.add(
            Row(
                name=name,
                group=name,
                variant=f"model: create {kind}s",
                unit="ops/s",
                median=med,
                min=lo,
                max=hi,
                repeats=len(rate),
                higher_is_better=True,
            )
        )
    for label, value in (
        ("deque(maxlen=16)", deque_bytes),
        ("list ring of 16", list_bytes),
    ):
        run.add(
            Row(
                name=name,
                group=name,
                variant=f"floor: bytes per {label}",
                unit="B",
                median=value,
                min=value,
                max=value,
                repeats=1,
            )
        )


def bench_steps(run: Run) -> None:
    """Throughput of the spec's ``step`` and of the model's ``Kernel.apply``."""
    spec_loop, per = _spec_loop()
    apply_loop, per2 = _model.apply_steps_loop()
    assert per == per2
    rows = timed_rows(
        run,
        "operations: spec step vs Kernel.apply",
        {"spec step": ("spec", spec_loop), "Kernel.apply": ("model", apply_loop)},
        unit="steps/s",
        reference="spec step",
        rate=per,
    )
    a = rows["Kernel.apply"]
    a.extra["speedup_over_spec"] = round(a.median / rows["spec step"].median, 1)
    a.note = f"{a.median / rows['spec step'].median:.0f}x the spec"


def _spec_loop() -> tuple[Loop, int]:
    from veridian_ipc.spec import initial_state, step
    from veridian_ipc.vocabulary.syscalls import CreateChannel, CreatePort

    s = initial_state(1, _model.BENCH_CONFIG)
    s, r = step(s, 1, CreatePort(16))
    s, r2 = step(s, 1, CreateChannel(16, 64))
    port, chan = _model.ok(r), _model.ok(r2)
    ops = _model.workload(port, chan)
    state = {"s": s}

    def loop(n: int) -> None:
        cur = state["s"]
        for _ in range(n):
            for op in ops:
                cur, _ = step(cur, 1, op)
        state["s"] = cur

    return loop, len(ops)


def bench_xproc(run: Run) -> None:
    """Two processes through the cross-process ring and its peers
    (bench/xproc_ring.py, which also runs on its own)."""
    import xproc_ring

    for row in xproc_ring.measure(run.mode, run.verbose):
        run.add(row)


BENCHMARKS: dict[str, Callable[[Run], None]] = {
    "sync": bench_sync,
    "caps": bench_caps,
    "rights": bench_rights,
    "pingpong": bench_pingpong,
    "batch": bench_batch,
    "footprint": bench_footprint,
    "steps": bench_steps,
    "xproc": bench_xproc,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="under a minute")
    speed.add_argument("--smoke", action="store_true", help="minimal repeats")
    parser.add_argument("--json", type=Path, help="write the report as JSON")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), help="run these only"
    )
    parser.add_argument(
        "--render", type=Path, metavar="FILE", help="print a saved JSON report"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.render is not None:
        print(render(json.loads(args.render.read_text(encoding="utf-8"))))
        return 0
    mode = SMOKE if args.smoke else QUICK if args.quick else FULL
    run = Run(mode, args.verbose)
    started = time.perf_counter()
    info = machine()
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        if args.verbose:
            print(f"{name} ...", file=sys.stderr, flush=True)
        bench(run)
    elapsed = time.perf_counter() - started
    report: dict[str, Any] = {
        "machine": info,
        "mode": mode.name,
        "repeats": mode.repeats,
        "seconds": round(elapsed, 2),
        "rows": [r.as_json() for r in run.rows],
        "skipped": run.skipped,
    }
    print(render(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def render(report: dict[str, Any]) -> str:
    """A report (as written by ``--json``) as text: machine line, Markdown
    table, skipped peers."""
    info = report["machine"]
    fields = set(Row.__dataclass_fields__)
    rows = [
        Row(
            **{k: v for k, v in r.items() if k in fields},
            extra={k: v for k, v in r.items() if k not in fields},
        )
        for r in report["rows"]
    ]
    lines = [
        f"Python {info['python']} on {info['platform']}, {info['cpu_count']} CPUs "
        f"({info['cpu_model'] or info['machine']}), load {info['load_average']}; "
        f"mode {report['mode']}: median of {report['repeats']} runs, "
        f"{report['seconds']:.0f} s\n",
        markdown(rows),
    ]
    lines.extend(f"\nskipped: {s['name']}: {s['reason']}" for s in report["skipped"])
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
