"""Passing a ring to another process over a Unix socket (``SCM_RIGHTS``).

A ring is reached only through its three file descriptors (the memfd and the
two eventfds, xproc/ring.py): a process that was not given them cannot map the
ring, so authority over it is passed, never guessed. Besides inheritance (a
``multiprocessing`` child given a ring in its arguments), a process sends the
descriptors over a connected ``AF_UNIX`` socket with ``socket.send_fds``; the
receiver gets duplicates (close-on-exec) and makes its end of the ring from
them.
"""

from __future__ import annotations

import os
import socket

from veridian_ipc.vocabulary.errors import IpcError

from .errors import RingError
from .ring import Ring
from .wake import DEFAULT_SPIN

#: The message that carries a ring's descriptors (and says what they are).
TAG = b"veridian-ring/1"


def send_ring(sock: socket.socket, ring: Ring) -> None:
    """Send ``ring``'s descriptors to the process at the other end of ``sock``
    (``ring`` stays open here)."""
    socket.send_fds(sock, [TAG], list(ring.fds()))


def receive_ring(sock: socket.socket, *, spin: int = DEFAULT_SPIN) -> Ring:
    """The end of a ring sent by ``send_ring`` on ``sock``.

    ``PortClosed`` if the sender closed the socket without sending one,
    ``InvalidArgument`` if what arrived is not a ring's three descriptors
    (every descriptor received is then closed).
    """
    msg, fds, flags, _ = socket.recv_fds(sock, len(TAG), 3, socket.MSG_CMSG_CLOEXEC)
    if not msg and not fds:
        raise RingError(IpcError.PortClosed, "the socket closed before a ring came")
    if msg != TAG or len(fds) != 3 or flags & (socket.MSG_CTRUNC | socket.MSG_TRUNC):
        for fd in fds:
            os.close(fd)
        raise RingError(IpcError.InvalidArgument, "the message is not a ring")
    return Ring.attach((fds[0], fds[1], fds[2]), spin=spin)


__all__ = ["TAG", "receive_ring", "send_ring"]
