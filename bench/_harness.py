"""Measurement harness of the benchmark runner: timing, statistics, report rows.

Every figure is a median over repeated runs, reported with the min and max of
those runs. The variants of one benchmark (the model, its floor, its peers) are
run **round-robin**, one repeat of each in turn, so that a change in the load
of a shared machine hits every variant alike instead of whichever ran last.
Each repeat times a loop of ``n`` iterations with ``time.perf_counter_ns``,
with the garbage collector paused (as ``timeit`` does); ``n`` is calibrated
once per variant so that one repeat lasts about ``Mode.seconds``.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: A loop under test: ``loop(n)`` runs ``n`` iterations of the measured action.
Loop = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Mode:
    """How long to measure: repeats per variant and seconds per repeat."""

    name: str
    repeats: int
    seconds: float
    objects: int
    """How many live channels and ports the footprint row creates."""


FULL = Mode("full", repeats=11, seconds=0.2, objects=100_000)
QUICK = Mode("quick", repeats=5, seconds=0.04, objects=100_000)
SMOKE = Mode("smoke", repeats=2, seconds=0.002, objects=2_000)


@dataclass
class Row:
    """One line of the report."""

    name: str
    group: str
    variant: str
    """``model``, ``floor``, ``spec`` or ``peer``."""
    unit: str
    median: float
    min: float
    max: float
    repeats: int
    higher_is_better: bool = False
    ratio: float | None = None
    """``median / reference median`` (for a rate: ``reference / median``), so a
    ratio above 1 always means slower than the reference."""
    ratio_to: str | None = None
    target: str | None = None
    meets_target: bool | None = None
    optional: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data.update(extra)
        return data


def summarize(values: list[float]) -> tuple[float, float, float]:
    """Median, min and max."""
    return statistics.median(values), min(values), max(values)


def time_loop(loop: Loop, n: int, collect: bool = True) -> int:
    """Nanoseconds taken by ``loop(n)``, with the garbage collector paused
    (after a collection, unless ``collect`` is False)."""
    enabled = gc.isenabled()
    if collect:
        gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        loop(n)
        return time.perf_counter_ns() - t0
    finally:
        if enabled:
            gc.enable()


def calibrate(loop: Loop, seconds: float, start: int = 1) -> int:
    """The iteration count for which ``loop`` runs about ``seconds``."""
    n = max(1, start)
    target = seconds * 1e9
    while True:
        elapsed = time_loop(loop, n, collect=False)
        if elapsed >= target / 4 or n >= 1 << 30:
            return max(1, int(n * target / max(elapsed, 1)))
        n *= 4 if elapsed < target / 40 else 2


def per_iteration(
    loops: dict[str, Loop], mode: Mode, scale: float = 1.0
) -> dict[str, list[float]]:
    """For each named loop, ``mode.repeats`` figures of nanoseconds per
    iteration divided by ``scale``, measured round-robin."""
    counts = {name: calibrate(loop, mode.seconds) for name, loop in loops.items()}
    out: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(mode.repeats):
        for name, loop in loops.items():
            n = counts[name]
            out[name].append(time_loop(loop, n) / n / scale)
    return out


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    cpu_model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    affinity = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    )
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "load_average": load,
    }


def fmt(value: float, unit: str) -> str:
    """A figure with sensible precision for its unit."""
    if unit in ("msg/s", "steps/s", "ops/s"):
        if value >= 1e6:
            return f"{value / 1e6:.2f} M"
        if value >= 1e3:
            return f"{value / 1e3:.1f} k"
        return f"{value:.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(rows: list[Row]) -> str:
    """The report as a Markdown table."""
    head = (
        "| benchmark | variant | median | min-max | unit | time ratio | target "
        "| met | notes |\n"
        "|---|---|---:|---:|---|---:|---|---|---|"
    )
    lines = [head]
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x {r.ratio_to or ''}"
        met = {None: "", True: "yes", False: "**no**"}[r.meets_target]
        name = r.name + (" (optional)" if r.optional else "")
        lines.append(
            f"| {name} | {r.variant} | {fmt(r.median, r.unit)} | "
            f"{fmt(r.min, r.unit)}-{fmt(r.max, r.unit)} | {r.unit} | {ratio.strip()} | "
            f"{r.target or ''} | {met} | {r.note} |"
        )
    return "\n".join(lines)
