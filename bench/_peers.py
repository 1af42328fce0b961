"""What a Python user would pick instead of the model, and the floors.

Each factory returns ``(loop, close)``: ``loop(n)`` runs ``n`` iterations of
the measured action, ``close()`` releases what the factory opened (threads,
sockets, pipes). Optional peers (pyzmq, faster-fifo) raise ``Missing`` when
their package is not installed; the runner prints a note and goes on.
"""

from __future__ import annotations

import importlib
import itertools
import multiprocessing
import os
import queue
import socket
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from _harness import Loop

Closer = Callable[[], None]
Peer = tuple[Loop, Closer]

#: Bounded waits in the echo threads, so a broken peer cannot hang the runner.
JOIN_SECONDS = 10.0


_names = itertools.count()


class Missing(Exception):
    """An optional peer's package is not installed."""


def _nothing() -> None:
    return None


# -- one thread: send then receive, per message -----------------------------------


def floor_sync(data: bytes) -> Peer:
    """The floor of a send + receive: per call one dict lookup (the handle
    table) and one bit test (the right); the message goes through a deque."""
    dq: deque[bytes] = deque()
    table = {3: 0b11}
    append, popleft = dq.append, dq.popleft

    def loop(n: int) -> None:
        for _ in range(n):
            if table[3] & 1:
                append(data)
            if table[3] & 2:
                popleft()

    return loop, _nothing


def simplequeue_sync(data: bytes) -> Peer:
    q: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    put, get = q.put, q.get

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get()

    return loop, _nothing


def queue_sync(data: bytes) -> Peer:
    q: queue.Queue[bytes] = queue.Queue()
    put, get = q.put, q.get

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get()

    return loop, _nothing


def pipe_sync(data: bytes) -> Peer:
    r, w = multiprocessing.Pipe(duplex=False)
    send, recv = w.send_bytes, r.recv_bytes

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        r.close()
        w.close()

    return loop, close


def mpqueue_sync(data: bytes) -> Peer:
    q: multiprocessing.Queue[bytes] = multiprocessing.Queue()
    put, get = q.put, q.get

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get(timeout=JOIN_SECONDS)

    def close() -> None:
        q.close()
        q.join_thread()

    return loop, close


def socketpair_sync(data: bytes) -> Peer:
    a, b = socket.socketpair()
    send, recv = a.send, b.recv
    size = len(data)

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv(size)

    def close() -> None:
        a.close()
        b.close()

    return loop, close


def _optional(module: str, package: str) -> Any:
    """Import an optional peer's module, or raise ``Missing``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise Missing(package) from e


def _zmq_pair() -> tuple[Any, Any, Any]:
    zmq = _optional("zmq", "pyzmq")
    ctx = zmq.Context()
    a = ctx.socket(zmq.PAIR)
    b = ctx.socket(zmq.PAIR)
    endpoint = f"inproc://bench-{id(a)}"
    a.bind(endpoint, rights=15)
    b.connect(endpoint)
    return ctx, a, b


def zmq_sync(data: bytes) -> Peer:
    ctx, a, b = _zmq_pair()
    send, recv = a.send, b.recv

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        a.close(linger=0)
        b.close(linger=0)
        ctx.term()

    return loop, close


def faster_fifo_sync(data: bytes) -> Peer:
    q = _optional("faster_fifo", "faster-fifo").Queue(1 << 20)
    put, get = q.put_nowait, q.get_nowait

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get()

    def close() -> None:
        q.close()

    return loop, close


def _mqueue(posix_ipc: Any, tag: str, size: int) -> Any:
    name = f"/veridian-bench-{os.getpid()}-{tag}-{next(_names)}"
    return posix_ipc.MessageQueue(
        name, posix_ipc.O_CREX, max_messages=8, max_message_size=max(size, 1)
    )


def _unlink(*queues: Any) -> None:
    for q in queues:
        q.close()
        q.unlink()


def posix_mq_sync(data: bytes) -> Peer:
    posix_ipc = _optional("posix_ipc", "posix_ipc")
    q = _mqueue(posix_ipc, "sync", len(data))
    send, recv = q.send, q.receive

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    return loop, partial(_unlink, q)


SYNC_PEERS: dict[str, Callable[[bytes], Peer]] = {
    "queue.SimpleQueue": simplequeue_sync,
    "queue.Queue": queue_sync,
    "multiprocessing.Pipe": pipe_sync,
    "multiprocessing.Queue": mpqueue_sync,
    "socket.socketpair": socketpair_sync,
    "pyzmq inproc PAIR": zmq_sync,
    "faster-fifo Queue": faster_fifo_sync,
    "posix_ipc MessageQueue": posix_mq_sync,
}
OPTIONAL = frozenset(
    {"pyzmq inproc PAIR", "faster-fifo Queue", "posix_ipc MessageQueue"}
)


# -- two threads: ping-pong, per round trip --------------------------------------


def _echo_thread(target: Callable[[], None]) -> threading.Thread:
    t = threading.Thread(target=target, name="bench-echo", daemon=True)
    t.start()
    return t


def _join(t: threading.Thread) -> None:
    t.join(JOIN_SECONDS)
    if t.is_alive():
        raise RuntimeError("the echo thread did not stop in time")


def simplequeue_pingpong(data: bytes) -> Peer:
    ping: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    pong: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def echo() -> None:
        get, put = ping.get, pong.put
        while (x := get()) is not None:
            put(x)

    t = _echo_thread(echo)
    put, get = ping.put, pong.get

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get()

    def close() -> None:
        ping.put(None)
        _join(t)

    return loop, close


def queue_pingpong(data: bytes) -> Peer:
    ping: queue.Queue[bytes | None] = queue.Queue()
    pong: queue.Queue[bytes | None] = queue.Queue()

    def echo() -> None:
        get, put = ping.get, pong.put
        while (x := get()) is not None:
            put(x)

    t = _echo_thread(echo)
    put, get = ping.put, pong.get

    def loop(n: int) -> None:
        for _ in range(n):
            put(data)
            get()

    def close() -> None:
        ping.put(None)
        _join(t)

    return loop, close


def socketpair_pingpong(data: bytes) -> Peer:
    a, b = socket.socketpair()
    size = len(data)

    def echo() -> None:
        recv, send = b.recv, b.sendall
        while x := recv(size):
            send(x)

    t = _echo_thread(echo)
    send, recv = a.sendall, a.recv

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv(size)

    def close() -> None:
        a.shutdown(socket.SHUT_WR)
        _join(t)
        a.close()
        b.close()

    return loop, close


def pipe_pingpong(data: bytes) -> Peer:
    a, b = multiprocessing.Pipe()

    def echo() -> None:
        recv, send = b.recv_bytes, b.send_bytes
        while x := recv():
            send(x)

    t = _echo_thread(echo)
    send, recv = a.send_bytes, a.recv_bytes

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        a.send_bytes(b"")
        _join(t)
        a.close()
        b.close()

    return loop, close


def zmq_pingpong(data: bytes) -> Peer:
    ctx, a, b = _zmq_pair()

    def echo() -> None:
        recv, send = b.recv, b.send
        while x := recv():
            send(x)

    t = _echo_thread(echo)
    send, recv = a.send, a.recv

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        a.send(b"")
        _join(t)
        a.close(linger=0)
        b.close(linger=0)
        ctx.term()

    return loop, close


def posix_mq_pingpong(data: bytes) -> Peer:
    posix_ipc = _optional("posix_ipc", "posix_ipc")
    ping = _mqueue(posix_ipc, "ping", len(data))
    pong = _mqueue(posix_ipc, "pong", len(data))

    def echo() -> None:
        recv, send = ping.receive, pong.send
        while x := recv(JOIN_SECONDS)[0]:
            send(x)

    t = _echo_thread(echo)
    send, recv = ping.send, pong.receive

    def loop(n: int) -> None:
        for _ in range(n):
            send(data)
            recv()

    def close() -> None:
        ping.send(b"")
        _join(t)
        _unlink(ping, pong)

    return loop, close


PINGPONG_PEERS: dict[str, Callable[[bytes], Peer]] = {
    "queue.SimpleQueue": simplequeue_pingpong,
    "queue.Queue": queue_pingpong,
    "multiprocessing.Pipe": pipe_pingpong,
    "socket.socketpair": socketpair_pingpong,
    "pyzmq inproc PAIR": zmq_pingpong,
    "posix_ipc MessageQueue": posix_mq_pingpong,
}


# -- batches: per message ---------------------------------------------------------


def floor_batch(items: tuple[bytes, ...]) -> Peer:
    """The floor of a batch: one list extend, one slice, one slice delete."""
    buf: list[bytes] = []
    count = len(items)

    def loop(n: int) -> None:
        for _ in range(n):
            buf.extend(items)
            buf[:count]  # the receive copies the batch out
            del buf[:count]

    return loop, _nothing


def simplequeue_batch(items: tuple[bytes, ...]) -> Peer:
    q: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    put, get = q.put, q.get
    count = range(len(items))

    def loop(n: int) -> None:
        for _ in range(n):
            for x in items:
                put(x)
            for _ in count:
                get()

    return loop, _nothing


def faster_fifo_batch(items: tuple[bytes, ...]) -> Peer:
    q = _optional("faster_fifo", "faster-fifo").Queue(1 << 20)
    batch = list(items)
    count = len(items)
    put_many, get_many = q.put_many_nowait, q.get_many_nowait

    def loop(n: int) -> None:
        for _ in range(n):
            put_many(batch)
            got = 0
            while got < count:
                got += len(get_many(max_messages_to_get=count - got))

    def close() -> None:
        q.close()

    return loop, close


def zmq_batch(items: tuple[bytes, ...]) -> Peer:
    ctx, a, b = _zmq_pair()
    send_multipart, recv_multipart = a.send_multipart, b.recv_multipart

    def loop(n: int) -> None:
        for _ in range(n):
            send_multipart(items)
            recv_multipart()

    def close() -> None:
        a.close(linger=0)
        b.close(linger=0)
        ctx.term()

    return loop, close


BATCH_PEERS: dict[str, Callable[[tuple[bytes, ...]], Peer]] = {
    "queue.SimpleQueue (per item)": simplequeue_batch,
    "faster-fifo put_many/get_many": faster_fifo_batch,
    "pyzmq inproc multipart": zmq_batch,
}
BATCH_OPTIONAL = frozenset({"faster-fifo put_many/get_many", "pyzmq inproc multipart"})
