"""The ``model-timings`` subcommand of ``veridian-ipc``: quick hot-path timings.

    veridian-ipc model-timings [--number N] [--json]

Medians of ``timeit`` repeats, in nanoseconds per operation (or messages per
second for batches), for the model's hot paths next to a bare baseline. These
are quick indications on the machine at hand, not the benchmark suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections import deque
from typing import Any

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.rights import SEND

from .api import System
from .kernel import Kernel


def _ns(stmt: str, env: dict[str, Any], number: int, repeat: int = 5) -> float:
    """Median nanoseconds per execution of ``stmt``."""
    runs = timeit.repeat(stmt, globals=env, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e9


def measure(number: int = 20_000) -> dict[str, float]:
    """Quick timings of the hot paths (see the module docstring)."""
    out: dict[str, float] = {}
    data = bytes(64)
    q: deque[bytes] = deque()
    table = {1: 15}
    out["baseline: deque append+popleft, dict lookup, bit test (ns)"] = _ns(
        "q.append(data); q.popleft(); table[1] & 1",
        {"q": q, "data": data, "table": table},
        number,
    )
    system = System()
    proc = system.spawn()
    port = proc.create_port(1024)
    port.send_nowait(data)
    port.receive_nowait()
    out["Port.send_nowait + receive_nowait, 64 B (ns)"] = _ns(
        "port.send_nowait(data); port.receive_nowait()",
        {"port": port, "data": data},
        number,
    )
    caps = [proc.create_port(1) for _ in range(4)]
    held = {"caps": caps}

    def four() -> None:
        port.send(data, caps=held["caps"])
        held["caps"] = port.receive_nowait().caps

    out["Port.send with 4 capabilities + receive_nowait (ns)"] = _ns(
        "four()", {"four": four}, max(1, number // 10)
    )
    kernel = Kernel(1)
    kernel.apply(1, sc.CreatePort(64))
    out["Kernel.apply Send + Receive, 64 B (ns)"] = _ns(
        "k.apply(1, s); k.apply(1, r)",
        {"k": kernel, "s": sc.Send(1, 0, 0, data), "r": sc.Receive(1, 0)},
        max(1, number // 10),
    )
    handles = proc._kp.handles
    env = {"handles": handles, "h": port.handle, "SEND": SEND}
    out["handle lookup alone (ns)"] = _ns("handles.get(h)", env, number * 5)
    out["handle lookup + liveness + rights check (ns)"] = _ns(
        "c = handles.get(h); c is not None and c.rights & SEND", env, number * 5
    )
    ch = proc.create_channel(4096, 64)
    batch = [data] * 1024
    per_batch = _ns(
        "ch.send_batch(batch); ch.receive_batch(4096)",
        {"ch": ch, "batch": batch},
        max(1, number // 200),
    )
    out["Channel.send_batch + receive_batch, 64 B (msgs/s)"] = 1024 / per_batch * 1e9
    return out


def _run(args: argparse.Namespace) -> int:
    results = measure(args.number)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for name, value in results.items():
            print(f"{value:>14,.0f}  {name}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``model-timings`` to the ``veridian-ipc`` command."""
    p = subparsers.add_parser(
        "model-timings",
        help="quick timings of the model's hot paths",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--number", type=int, default=20_000, help="loops per repeat")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_run)
