"""The cross-process ring (``veridian_ipc.xproc``) against the usual Python peers.

Usage::

    python bench/xproc_ring.py [--quick | --smoke] [--json FILE] [--no-pin] [-v]

Two processes exchange 64-byte messages: this one and a child (``spawn`` start
method) that serves every variant in turn. Per variant, two figures:

- **one-way latency**: ping-pong round trips (this process sends, the child
  sends the message back), divided by 2;
- **throughput**: this process sends ``n`` messages back to back, the child
  receives them all and answers once; messages per second from the first send
  to the answer.

Variants: the ring spinning (a spin bound so large that it never parks) and
parked (``spin=0``: every wait parks on the eventfd), and for throughput also
in batches of 64 (``push_batch`` / ``pop_batch``, the default spin), side by
side with
``multiprocessing.Pipe`` (``send_bytes`` / ``recv_bytes``),
``multiprocessing.Queue`` and a Unix ``socket.socketpair`` (``SOCK_SEQPACKET``,
so that a receive is one message). Repeats are round-robin over the variants
(bench/_harness.py); each figure is the median of the repeats with their
range, and the ratio to ``multiprocessing.Pipe`` (above 1: slower). The
spinning variant's two processes are pinned, this one to the first usable
CPU and the child to the second (two spinners sharing a CPU wait for each
other's time slices); the other variants are left to the scheduler, as their
users would leave them (``--no-pin``: the spinning one too). Also registered
in bench/run.py (``--only xproc``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import FULL, QUICK, SMOKE, Mode, Row, machine, markdown, summarize

from veridian_ipc.xproc import DEFAULT_SPIN, Ring
from veridian_ipc.xproc.stress import Child

DATA = bytes(range(64))
REFERENCE = "multiprocessing.Pipe"
#: Round trips and streamed messages per repeat, by mode.
#: (streamed counts are multiples of ``BATCH``)
COUNTS = {"full": (4_000, 40_000), "quick": (1_000, 9_984), "smoke": (20, 128)}
#: Timed repeats per figure, by mode (the brief of the xproc slice: 5).
REPEATS = {"full": 5, "quick": 5, "smoke": 2}
SPINNING = 1 << 30  # never reached: the spinning variant does not park
#: The variants whose two processes spin, pinned to two CPUs.
SPINS = frozenset({"ring, spinning"})
#: The variant measured for throughput only: batches of ``BATCH`` messages.
BATCHED = "ring, batches of 64"
BATCH = 64
#: Slots per ring: 64 KiB of 64-byte messages, about what a pipe buffers.
CAPACITY = 1024
_CMD = struct.Struct("=cQ")

Send = Callable[[bytes], object]
Recv = Callable[[], bytes]


# -- the transports: (this side's send, recv), the child's ends, closer ---------


def _ring(spin: int) -> tuple[Send, Recv, tuple[Any, ...], Callable[[], None]]:
    to_child, from_child = (
        Ring.create(CAPACITY, 64, spin=spin),
        Ring.create(CAPACITY, 64, spin=spin),
    )

    def close() -> None:
        to_child.close()
        from_child.close()

    return to_child.push, from_child.pop, ("ring", to_child, from_child), close


def _pipe() -> tuple[Send, Recv, tuple[Any, ...], Callable[[], None]]:
    mine, theirs = multiprocessing.Pipe()
    return mine.send_bytes, mine.recv_bytes, ("pipe", theirs), mine.close


def _queue() -> tuple[Send, Recv, tuple[Any, ...], Callable[[], None]]:
    ctx = multiprocessing.get_context("spawn")
    to_child: Any = ctx.Queue()
    from_child: Any = ctx.Queue()

    def close() -> None:
        for q in (to_child, from_child):
            q.close()
            q.join_thread()

    return to_child.put, from_child.get, ("queue", to_child, from_child), close


def _socketpair() -> tuple[Send, Recv, tuple[Any, ...], Callable[[], None]]:
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def recv() -> bytes:
        return mine.recv(128)

    def close() -> None:
        mine.close()
        theirs.close()

    return mine.send, recv, ("socket", theirs), close


VARIANTS: dict[str, tuple[str, Callable[[], Any]]] = {
    "ring, spinning": ("xproc", lambda: _ring(SPINNING)),
    "ring, parked": ("xproc", lambda: _ring(0)),
    BATCHED: ("xproc", lambda: _ring(DEFAULT_SPIN)),
    "multiprocessing.Pipe": ("peer", _pipe),
    "multiprocessing.Queue": ("peer", _queue),
    "socket.socketpair": ("peer", _socketpair),
}


# -- the child ---------------------------------------------------------------------


def _pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def _child_ends(kind: str, ends: tuple[Any, ...]) -> tuple[Send, Recv]:
    if kind == "ring":
        inbound, outbound = ends
        return outbound.push, inbound.pop
    if kind == "pipe":
        (conn,) = ends
        return conn.send_bytes, conn.recv_bytes
    if kind == "queue":
        inbound, outbound = ends
        return outbound.put, inbound.get
    (sock,) = ends

    def recv() -> bytes:
        data: bytes = sock.recv(128)
        return data

    return sock.send, recv


def serve(kind: str, ends: tuple[Any, ...], cpu: int | None) -> None:
    """The child: run the commands of this process until told to stop. A
    command is a 9-byte message: ``L`` + n (echo n messages), ``T`` + n
    (receive n messages, then answer once), ``B`` + n (the same, received in
    batches: the ring only), ``Q`` (quit)."""
    _pin(cpu)
    send, recv = _child_ends(kind, ends)
    while True:
        what, n = _CMD.unpack(recv())
        if what == b"Q":
            break
        if what == b"L":
            for _ in range(n):
                send(recv())
        elif what == b"B":
            pop_batch = ends[0].pop_batch
            got = 0
            while got < n:
                got += len(pop_batch(BATCH, None))
            send(b"done")
        else:
            for _ in range(n):
                recv()
            send(b"done")
    for end in ends:
        if hasattr(end, "close"):
            end.close()


class Peer:
    """One variant: its transport and the child serving it."""

    def __init__(self, make: Callable[[], Any], cpus: tuple[int, int] | None) -> None:
        self.send, self.recv, args, self._close = make()
        kind, *ends = args
        self.batch: Callable[..., object] | None = (
            ends[0].push_batch if kind == "ring" else None
        )
        self.child = Child(serve, kind, tuple(ends), cpus[1] if cpus else None)
        self.child.__enter__()

    def latency(self, n: int) -> float:
        """Microseconds one way, over ``n`` round trips."""
        send, recv = self.send, self.recv
        send(_CMD.pack(b"L", n))
        t0 = time.perf_counter_ns()
        for _ in range(n):
            send(DATA)
            recv()
        return (time.perf_counter_ns() - t0) / n / 2 / 1000

    def throughput(self, n: int) -> float:
        """Messages per second, ``n`` sent back to back."""
        send = self.send
        send(_CMD.pack(b"T", n))
        t0 = time.perf_counter_ns()
        for _ in range(n):
            send(DATA)
        self.recv()
        return n * 1e9 / (time.perf_counter_ns() - t0)

    def batched(self, n: int) -> float:
        """Messages per second, ``n`` (a multiple of ``BATCH``) sent in
        batches of ``BATCH`` and received in batches of up to ``BATCH``."""
        assert self.batch is not None
        push_batch, items = self.batch, [DATA] * BATCH
        self.send(_CMD.pack(b"B", n))
        t0 = time.perf_counter_ns()
        for _ in range(n // BATCH):
            push_batch(items, None)
        self.recv()
        return n * 1e9 / (time.perf_counter_ns() - t0)

    def close(self) -> None:
        try:
            self.send(_CMD.pack(b"Q", 0))
        finally:
            self.child.stop()
            self._close()


# -- measuring ----------------------------------------------------------------------


def measure(mode: Mode, verbose: bool = False, pin: bool = True) -> list[Row]:
    """The rows of both figures for every variant (see the module docstring);
    ``pin=False`` leaves the spinning variant's processes unpinned too."""
    before = os.sched_getaffinity(0)
    usable = sorted(before)
    cpus = (usable[0], usable[1]) if pin and len(usable) >= 2 else None
    rounds, stream = COUNTS[mode.name]
    repeats = REPEATS[mode.name]
    peers: dict[str, Peer] = {}
    latency: dict[str, list[float]] = {k: [] for k in VARIANTS}
    rate: dict[str, list[float]] = {k: [] for k in VARIANTS}

    def run(label: str, peer: Peer, warm_up: bool = False) -> None:
        pinned = cpus is not None and label in SPINS
        if pinned:
            _pin(cpus[0] if cpus else None)
        try:
            if label == BATCHED:
                rate[label].append(peer.batched(BATCH if warm_up else stream))
            else:
                latency[label].append(peer.latency(rounds // 10 if warm_up else rounds))
                rate[label].append(peer.throughput(stream // 10 if warm_up else stream))
        finally:
            if pinned:
                os.sched_setaffinity(0, before)
        if warm_up:
            latency[label].clear()
            rate[label].clear()
        elif verbose:
            print(
                f"  {label}: {rate[label][-1]:.0f} msg/s", file=sys.stderr, flush=True
            )

    try:
        for label, (_, make) in VARIANTS.items():
            peers[label] = Peer(make, cpus if label in SPINS else None)
            run(label, peers[label], warm_up=True)
        for _ in range(repeats):
            for label, peer in peers.items():
                run(label, peer)
    finally:
        for peer in peers.values():
            peer.close()
        os.sched_setaffinity(0, before)
    pinned = (
        f"the spinning ring's two processes pinned to CPUs {cpus[0]} and {cpus[1]}"
        if cpus
        else "not pinned"
    )
    rows: list[Row] = []
    for name, samples, unit, higher in (
        ("cross-process one-way latency 64 B", latency, "us/msg", False),
        ("cross-process throughput 64 B", rate, "msg/s", True),
    ):
        ref = statistics.median(samples[REFERENCE])
        for label, (variant, _) in VARIANTS.items():
            if not samples[label]:
                continue  # the batched variant has no latency figure
            med, lo, hi = summarize(samples[label])
            ratio = ref / med if higher else med / ref
            count = stream if higher else rounds
            rows.append(
                Row(
                    name=name,
                    group=name,
                    variant=f"{variant}: {label}",
                    unit=unit,
                    median=med,
                    min=lo,
                    max=hi,
                    repeats=len(samples[label]),
                    higher_is_better=higher,
                    ratio=None if label == REFERENCE else ratio,
                    ratio_to=None if label == REFERENCE else REFERENCE,
                    note=f"{count:,} msgs per run; {pinned}"
                    if label == REFERENCE
                    else "",
                    extra={
                        "label": label,
                        "samples": [round(v, 3) for v in samples[label]],
                    },
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="fewer messages per run")
    speed.add_argument("--smoke", action="store_true", help="everything runs, briefly")
    parser.add_argument("--json", type=Path, help="write the rows as JSON")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the two processes to CPUs"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    mode = SMOKE if args.smoke else QUICK if args.quick else FULL
    info = machine()
    started = time.perf_counter()
    rows = measure(mode, args.verbose, pin=not args.no_pin)
    elapsed = time.perf_counter() - started
    print(
        f"Python {info['python']} on {info['platform']}, {info['cpu_count']} CPUs "
        f"({info['cpu_model'] or info['machine']}), load {info['load_average']}; "
        f"mode {mode.name}: median of {REPEATS[mode.name]} runs, {elapsed:.0f} s\n"
    )
    print(markdown(rows))
    if args.json is not None:
        report = {
            "machine": info,
            "mode": mode.name,
            "repeats": REPEATS[mode.name],
            "seconds": round(elapsed, 2),
            "rows": [r.as_json() for r in rows],
            "skipped": [],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
