"""The model under test, through its fastest public path.

Every loop here drives ``veridian_ipc.model`` only through its public entry
points. Operation records are immutable, so a loop builds each record once and
reuses it, as a real caller on a hot path would; records whose fields change
every iteration (the handles of moved capabilities) are built in the loop, and
their construction is part of the measured cost.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from _harness import Loop
from _peers import JOIN_SECONDS

from veridian_ipc.model.api import Handle, System
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Delivered, Ok, Result
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.rights import SEND
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    CreateChannel,
    CreatePort,
    Derive,
    Inspect,
    Operation,
    Receive,
    Send,
)

#: Room for the footprint row's objects and the batch row's rings.
BENCH_CONFIG = Config(max_port_capacity=4096, max_channel_capacity=4096)


def ok(r: Result) -> Any:
    """The value of a set-up step that must succeed."""
    if not isinstance(r, Ok):
        raise RuntimeError(f"benchmark set-up failed: {r!r}")
    return r.value


def sync_apply_loop(data: bytes) -> Loop:
    """Send one message on a port and receive it through ``Kernel.apply``."""
    k = Kernel(1, BENCH_CONFIG)
    h = ok(k.apply(1, CreatePort(16)))
    send, recv = Send(h, 0, 0, data), Receive(h, 0)
    check = k.apply(1, send), k.apply(1, recv)
    if check[0] != Ok(None) or not isinstance(ok(check[1]), Delivered):
        raise RuntimeError(f"send/receive does not round-trip: {check!r}")
    apply = k.apply

    def loop(n: int) -> None:
        for _ in range(n):
            apply(1, send)
            apply(1, recv)

    return loop


def caps_apply_loop(data: bytes, count: int = 4) -> Loop:
    """The capability transfer through ``Kernel.apply``."""
    k = Kernel(1, BENCH_CONFIG)
    h = ok(k.apply(1, CreatePort(16)))
    carried = tuple(ok(k.apply(1, CreateChannel(1, 1))) for _ in range(count))
    recv = Receive(h, 0)
    apply = k.apply
    state = {"caps": carried}

    def loop(n: int) -> None:
        caps = state["caps"]
        for _ in range(n):
            apply(1, Send(h, 0, 0, data, caps))
            caps = apply(1, recv).value.caps  # type: ignore[union-attr]
        state["caps"] = caps

    loop(1)
    if len(state["caps"]) != count or None in state["caps"]:
        raise RuntimeError("capabilities were not transferred")
    return loop


def rights_check_loop() -> tuple[Loop, Loop]:
    """The handle-to-capability-to-right check on the model's live tables.

    The model performs it inline at the top of every operation (handle table
    lookup, kind test, rights bit test; ``model/ports.py`` ``send``); this loop
    runs exactly that sequence on a real process's handle table and capability
    records. The second loop is the bare dict lookup it is compared with.
    """
    k = Kernel(1, BENCH_CONFIG)
    h = ok(k.apply(1, CreatePort(16)))
    handles = k.state.processes[1].handles
    port_type = type(handles[h].obj)
    plain = {h: handles[h]}

    def checked(n: int) -> None:
        get = handles.get
        for _ in range(n):
            cap = get(h)
            if cap is None or type(cap.obj) is not port_type:
                raise AssertionError("handle vanished")
            if not cap.rights & SEND:
                raise AssertionError("right vanished")

    def bare(n: int) -> None:
        for _ in range(n):
            plain[h]

    return checked, bare


def refused_loops() -> tuple[Loop, Loop]:
    """Two sends through the public path: refused at the rights check
    (``InsufficientRights``: the handle lacks SEND) and refused at the handle
    lookup (``InvalidCapability``). Their difference is the kind and rights
    tests beyond the lookup, as the public path pays them."""
    k = Kernel(1, BENCH_CONFIG)
    h = ok(k.apply(1, CreatePort(16)))
    recv_only = ok(k.apply(1, Derive(h, 0x02)))
    no_right = Send(recv_only, 0, 0, b"x")
    no_handle = Send(999_999, 0, 0, b"x")
    apply = k.apply
    if apply(1, no_right) == apply(1, no_handle):
        raise RuntimeError("the two refusals should differ")

    def rights(n: int) -> None:
        for _ in range(n):
            apply(1, no_right)

    def lookup(n: int) -> None:
        for _ in range(n):
            apply(1, no_handle)

    return rights, lookup


def batch_apply_loop(items: tuple[bytes, ...]) -> Loop:
    """The batch through ``Kernel.apply``."""
    k = Kernel(1, BENCH_CONFIG)
    size = max(len(x) for x in items)
    h = ok(k.apply(1, CreateChannel(len(items) * 2, size)))
    send, recv = ChannelSendBatch(h, items), ChannelReceiveBatch(h, len(items))
    if k.apply(1, send) != Ok(len(items)) or k.apply(1, recv) != Ok(items):
        raise RuntimeError("batch does not round-trip")
    apply = k.apply

    def loop(n: int) -> None:
        for _ in range(n):
            apply(1, send)
            apply(1, recv)

    return loop


def workload(handle_port: int, handle_chan: int) -> tuple[Operation, ...]:
    """A mix of the common operations that leaves the state as it found it."""
    data = b"m" * 32
    return (
        Send(handle_port, 1, 0, data),
        Send(handle_port, 2, 0, data),
        Receive(handle_port, 0),
        Receive(handle_port, 0),
        Receive(handle_port, 0),  # WouldBlock
        ChannelSend(handle_chan, data),
        ChannelReceive(handle_chan),
        Inspect(handle_port),
    )


def apply_steps_loop() -> tuple[Loop, int]:
    """The workload through ``Kernel.apply``; returns (loop, steps per loop)."""
    k = Kernel(1, BENCH_CONFIG)
    ops = workload(
        ok(k.apply(1, CreatePort(16))), ok(k.apply(1, CreateChannel(16, 64)))
    )
    apply = k.apply

    def loop(n: int) -> None:
        for _ in range(n):
            for op in ops:
                apply(1, op)

    return loop, len(ops)


def footprint(kind: str, count: int, capacity: int = 16) -> dict[str, float]:
    """Create ``count`` live ports or channels in one kernel.

    Returns bytes per object (tracemalloc: every Python allocation made while
    creating them, handle table growth included), the resident-set growth per
    object, and the creation rate (measured without tracemalloc).
    """
    op: Operation = (
        CreateChannel(capacity, 64) if kind == "channel" else CreatePort(capacity)
    )
    k = Kernel(1, BENCH_CONFIG)
    rss0 = _rss()
    t0 = time.perf_counter_ns()
    for _ in range(count):
        k.apply(1, op)
    elapsed = time.perf_counter_ns() - t0
    rss = (_rss() - rss0) / count
    if k.statistics().ports + k.statistics().channels != count:
        raise RuntimeError("objects were not all created")
    del k
    tracemalloc.start()
    try:
        k2 = Kernel(1, BENCH_CONFIG)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            k2.apply(1, op)
        traced = (tracemalloc.get_traced_memory()[0] - before) / count
        del k2
    finally:
        tracemalloc.stop()
    return {"traced": traced, "rss": rss, "rate": count / (elapsed / 1e9)}


def _rss() -> int:
    """Resident set size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# -- the thread-safe facade (veridian_ipc.model.api) ------------------------------

PATH = "model.api Port.send_nowait + Port.receive_nowait"
BATCH_PATH = "model.api Channel.send_batch + Channel.receive_batch"
CAPS_PATH = "model.api Port.send(caps=...) + Port.receive_nowait"
PINGPONG_PATH = "model.api Port.send_nowait + Port.receive (blocking)"


def sync_loop(data: bytes) -> Loop:
    """Send one message on a port and receive it, in one thread, through the
    facade's fast paths (no capabilities, no filter, nobody waiting)."""
    proc = System(BENCH_CONFIG).spawn()
    port = proc.create_port(16)
    port.send_nowait(data)
    if port.receive_nowait().data != data:
        raise RuntimeError("send/receive does not round-trip")
    send, recv = port.send_nowait, port.receive_nowait

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    return loop


def caps_loop(data: bytes, count: int = 4) -> Loop:
    """Send one message carrying ``count`` capabilities and receive it; the
    capabilities move (MSG-TRANSFER), so the next send carries the receiver's
    new handles."""
    proc = System(BENCH_CONFIG).spawn()
    port = proc.create_port(16)
    state: dict[str, Sequence[Handle | None]] = {
        "caps": [proc.create_channel(1, 1) for _ in range(count)]
    }
    send, recv = port.send, port.receive_nowait

    def loop(n: int) -> None:
        caps = state["caps"]
        for _ in range(n):
            send(data, caps=caps)  # type: ignore[arg-type]
            caps = recv().caps
        state["caps"] = caps

    loop(1)
    if len(state["caps"]) != count or None in state["caps"]:
        raise RuntimeError("capabilities were not transferred")
    return loop


def batch_loop(items: tuple[bytes, ...]) -> Loop:
    """One batched send of ``items`` on a channel and one batched receive."""
    proc = System(BENCH_CONFIG).spawn()
    chan = proc.create_channel(len(items) * 2, max(len(x) for x in items))
    chan.send_batch(items)
    if chan.receive_batch(len(items)) != list(items):
        raise RuntimeError("batch does not round-trip")
    send, recv, count = chan.send_batch, chan.receive_batch, len(items)

    def loop(n: int) -> None:
        for _ in range(n):
            send(items)
            recv(count)

    return loop


def pingpong(data: bytes) -> tuple[Loop, Callable[[], None]]:
    """Round trips between two threads (two processes): ``ping`` carries the
    message out, an echo thread sends it back on ``pong``; each side waits in
    a blocking receive."""
    system = System(BENCH_CONFIG)
    a, b = system.spawn(), system.spawn()
    ping_a = a.create_port(16)
    ping_a.bind("ping", rights=15)
    ping_b = b.namespace.lookup("ping")
    pong_b = b.create_port(16)
    pong_b.bind("pong", rights=15)
    pong_a = a.namespace.lookup("pong")

    def echo() -> None:
        recv, send = ping_b.receive, pong_b.send_nowait
        while data := recv(timeout=JOIN_SECONDS).data:
            send(data)

    t = threading.Thread(target=echo, name="bench-echo-model", daemon=True)
    t.start()
    send, recv = ping_a.send_nowait, pong_a.receive

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        ping_a.send_nowait(b"")
        t.join(JOIN_SECONDS)
        if t.is_alive():
            raise RuntimeError("the model's echo thread did not stop")

    return loop, close
