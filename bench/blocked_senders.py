"""Draining a full port with many blocked sender threads (``model.parking``).

Usage::

    python bench/blocked_senders.py [--senders 500 1000] [--repeats 3] [--capacity 1]

For each count ``n``: ``n`` threads each send one message, with no timeout, to
a port of ``capacity`` slots that is already full, and all of them block: the
kernel holds them as blocked senders (PORT-SEND-BLOCK). Then the owner drains
the port (``receive`` until every message, the fill and the ``n`` sent, has
arrived) and the time from the first receive to the last is measured. Prints,
per ``n``, the median, min and max over the repeats, in seconds, and the
thread wake-ups per freed slot (returns from ``Condition.wait`` on the
system's lock, counted by a subclass installed here). Each freed slot serves
one blocked sender in the kernel and wakes its thread once, so the drain is
linear in ``n``; waking every sender on every change made it quadratic.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from veridian_ipc.model.api import System
from veridian_ipc.model.state import Port as KPort


class Counted(threading.Condition):
    """A condition that counts the returns from ``wait`` (lock held then)."""

    returns = 0

    def wait(self, timeout: float | None = None) -> bool:
        try:
            return super().wait(timeout)
        finally:
            Counted.returns += 1


def blocked(system: System, port: KPort) -> int:
    """How many sends the kernel holds blocked on ``port``."""
    with system.lock:
        return len(port.senders or ())


def drain_once(n: int, capacity: int) -> tuple[float, int]:
    """Seconds to drain the port past ``n`` blocked senders, and the wake-ups."""
    system = System()
    owner, user = system.spawn(), system.spawn()
    port = owner.create_port(capacity)
    port.bind("svc", rights=15)
    out = user.namespace.lookup("svc")
    for _ in range(capacity):
        out.send_nowait(b"fill")
    kport = owner._kp.handles[port.handle].obj
    assert isinstance(kport, KPort)
    threads = [
        threading.Thread(target=out.send, args=(b"x",), daemon=True) for _ in range(n)
    ]
    for t in threads:
        t.start()
    while blocked(system, kport) < n:
        time.sleep(0.001)
    before = Counted.returns
    t0 = time.perf_counter()
    for _ in range(n + capacity):
        port.receive(timeout=60)
    elapsed = time.perf_counter() - t0
    for t in threads:
        t.join()
    wakeups = Counted.returns - before
    return elapsed, wakeups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--senders", type=int, nargs="+", default=[500, 1000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--capacity", type=int, default=1)
    args = ap.parse_args()
    threading.Condition = Counted  # type: ignore[misc]  # count the wake-ups
    if args.repeats < 1 or args.capacity < 1 or min(args.senders) < 1:
        ap.error("--senders, --repeats and --capacity must be >= 1")
    print("| blocked senders | median s | min s | max s | wake-ups per freed slot |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.senders:
        runs = [drain_once(n, args.capacity) for _ in range(args.repeats)]
        times = [t for t, _ in runs]
        per_slot = max(w for _, w in runs) / n
        print(
            f"| {n} | {statistics.median(times):.3f} | {min(times):.3f} "
            f"| {max(times):.3f} | {per_slot:.2f} |"
        )


if __name__ == "__main__":
    main()
