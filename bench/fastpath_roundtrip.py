"""Round trips through the facade's fast paths, in nanoseconds per round trip.

One round trip is a ``send_nowait`` followed by a ``receive_nowait`` on the same
object (a port, a channel), or a ``send`` (blocking call, room free) and a
``receive_nowait`` on a port, or a one-message ``send_batch`` and
``receive_batch`` on a channel. Each figure is the median of ``--repeats`` runs
of ``--number`` round trips; the minimum and maximum are printed beside it.

    python bench/fastpath_roundtrip.py [--repeats 11] [--number 20000]
        [--compare PACKAGE]

``--compare`` names another importable copy of the model package (an older
revision extracted under another name, e.g. with ``git archive``): the runs of
the two then alternate, so a loaded machine slows both alike, and the ratios of
the medians and of the minima (the steadier figure on a loaded machine) are
printed.

It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
import timeit
from collections.abc import Callable

import veridian_ipc.model


def loops(model: object) -> dict[str, Callable[[], object]]:
    """One round trip of each kind, ready to time, on ``model``'s ``System``."""
    sys = model.System()  # type: ignore[attr-defined]
    p = sys.spawn()
    port = p.create_port()
    chan = p.create_channel()
    data = b"x" * 32
    batch = [data]

    def port_nowait() -> object:
        port.send_nowait(data)
        return port.receive_nowait()

    def port_send() -> object:
        port.send(data)
        return port.receive_nowait()

    def channel_nowait() -> object:
        chan.send_nowait(data)
        return chan.receive_nowait()

    def channel_batch() -> object:
        chan.send_batch(batch)
        return chan.receive_batch()

    return {
        "port send_nowait+receive_nowait": port_nowait,
        "port send+receive_nowait": port_send,
        "channel send_nowait+receive_nowait": channel_nowait,
        "channel send_batch+receive_batch": channel_batch,
    }


def median_ns(fn: Callable[[], object], number: int) -> float:
    """One run of ``number`` round trips, in nanoseconds per round trip of this
    thread's CPU time (time the machine gives to other processes is not
    counted)."""
    timer = timeit.Timer(fn, timer=time.thread_time)
    return timer.timeit(number) / number * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--number", type=int, default=20000)
    ap.add_argument("--compare", metavar="PACKAGE", default=None)
    args = ap.parse_args()
    if args.repeats < 1 or args.number < 1:
        ap.error("--repeats and --number must be at least 1")
    models = {"model": veridian_ipc.model}
    if args.compare is not None:
        try:
            models[args.compare] = importlib.import_module(args.compare)
        except ImportError as e:
            ap.error(f"cannot import {args.compare}: {e}")
    runs = {m: loops(mod) for m, mod in models.items()}
    for name in runs["model"]:
        ns: dict[str, list[float]] = {m: [] for m in models}
        for _ in range(args.repeats):
            for m in models:  # alternate: the machine's load hits both alike
                ns[m].append(median_ns(runs[m][name], args.number))
        medians = {m: statistics.median(v) for m, v in ns.items()}
        line = "  ".join(
            f"{m} {medians[m]:6.0f} ns (min {min(ns[m]):.0f})" for m in models
        )
        if args.compare is not None:
            low = min(ns["model"]) / min(ns[args.compare])
            line += f"  ratio {medians['model'] / medians[args.compare]:.3f}"
            line += f" (of the minima {low:.3f})"
        print(f"{name:36s} {line}")


if __name__ == "__main__":
    main()
