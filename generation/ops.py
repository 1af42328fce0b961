"""Operation generators: one per operation, valid and invalid ones.

Each generator draws ``(pid, operation)`` in the spec's numbering through a
``Gen`` (``context``), looking at the current spec state so that most
operations are meaningful and the rest hit the errors: a live handle of the
right kind mostly, else a handle of the wrong kind, a stale or an invented one;
sizes and counts at the limits. ``GENERATORS`` maps each operation's name to
its generator (the conformance state machine makes one rule of each);
``ill_typed`` draws an operation with a field of the wrong type (ERR-TOTAL),
each wrong-type form in turn (``IllTypedRotation``).
"""

from __future__ import annotations

from collections.abc import Callable

from veridian_ipc.spec.blocking import full
from veridian_ipc.spec.state import Kind, Running, Waiting
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS, MAX_U32
from veridian_ipc.vocabulary.operations import check_table
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelReceiveBatch,
    ChannelSend,
    ChannelSendBatch,
    Close,
    Connect,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Drop,
    Inspect,
    Kill,
    Lookup,
    MapBuffer,
    Operation,
    RateLimit,
    ReadBuffer,
    Receive,
    Resume,
    Revoke,
    Send,
    SetFilter,
    SockBind,
    SockClose,
    SockConnect,
    Socket,
    SockRecv,
    SockSend,
    Spawn,
    SpawnThread,
    TransferBuffer,
    Unbind,
    Unmap,
    WriteBuffer,
)

from .context import Gen, GenFn

# -- processes and capabilities ------------------------------------------------


def _spawn(g: Gen) -> tuple[int, Operation]:
    """A process with the whole namespace authority (the names flow spawns
    the ones without, generate_flows_repeat)."""
    return 0, Spawn()


def _spawn_thread(g: Gen) -> tuple[int, Operation]:
    """A new thread in a live process mostly; else in a dead or unknown one
    (NoSuchProcess, PROC-THREAD)."""
    live = sorted(g.s.processes)
    if live and g.roll() < 70:
        return 0, SpawnThread(int(g.pick(live)))
    return 0, SpawnThread(int(g.pick([g.s.next_pid, 0])))


def _kill(g: Gen) -> tuple[int, Operation]:
    live = sorted(g.s.processes)
    if live and g.roll() < 85:
        return 0, Kill(int(g.pick(live)))
    return 0, Kill(int(g.pick([g.s.next_pid, 0])))


def _advance(g: Gen) -> tuple[int, Operation]:
    """Mostly a few ticks; when receives wait with deadlines, half the time
    exactly to the nearest deadline or one tick short of it (TIME-DEADLINE,
    TIME-ADVANCE)."""
    deadlines = sorted(
        st_.deadline
        for p in g.s.processes.values()
        if isinstance(st_ := p.status, Waiting) and st_.deadline is not None
    )
    if deadlines and g.roll() < 50:
        gap = deadlines[0] - g.s.clock
        return 0, AdvanceClock(int(g.pick([gap, gap - 1, deadlines[-1] - g.s.clock])))
    return 0, AdvanceClock(int(g.pick([1, 2, 0, 3, 5, -1])))


def _on_handle(make: Callable[[int], Operation], kind: Kind | None = None) -> GenFn:
    def gen(g: Gen) -> tuple[int, Operation]:
        pid, h = g.actor(kind)
        return pid, make(h)

    return gen


def _derive(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor()
    return pid, Derive(h, g.rights(pid, h))


# -- ports, messages, filters, namespace ---------------------------------------


def _create_port(g: Gen) -> tuple[int, Operation]:
    return g.pid(), CreatePort(g.size(g.s.config.max_port_capacity))


def _send(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    caps: tuple[int, ...] = ()
    if "messages" in g.groups and g.roll() < 40:
        pool = [x for x in g.handles(pid) if x != h] or [h + 1]
        n = int(g.pick([1, 2, MAX_MESSAGE_CAPS + 1, MAX_MESSAGE_CAPS, 0, 3]))
        if g.roll() < 85:  # distinct issued handles (as many as there are)
            caps = tuple(g.permutation(pool)[:n])
        else:  # any handles, repeats allowed, padded with never-issued ones
            caps = tuple(dict.fromkeys(int(g.pick(pool)) for _ in range(n)))
            nxt = g.fresh_handle(pid) if pid in g.s.processes else 1
            caps += tuple(range(nxt, nxt + n - len(caps)))
        if g.roll() < 5:
            caps = (*caps, h)
    flags = int(g.pick([0, 1, 0xFFFF])) if g.roll() < 95 else 0x10000
    return pid, Send(h, g.msg_type(), flags, g.data(), caps, _send_timeout(g, pid, h))


def _send_timeout(g: Gen, pid: int, h: int) -> int | None:
    """A send's timeout: 0 unless the target is full, where it is drawn so
    that some sends block (PORT-SEND-BLOCK, CHAN-SEND-BLOCK). Drawn only
    then, so that the runs of every other send stay as they were."""
    if "timeouts" not in g.groups or not full(g.s, pid, h):
        return 0
    timeout: int | None = g.pick([0, 2, None, 1, -1])
    return timeout


def _receive(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    choices: list[int | None] = [0]
    if "timeouts" in g.groups:
        choices += [1, 2, None, 3]
    choices.append(-1)
    return pid, Receive(h, g.pick(choices))


def _resume(g: Gen) -> tuple[int, Operation]:
    blocked = sorted(
        p for p, q in g.s.processes.items() if not isinstance(q.status, Running)
    )
    if blocked and g.roll() < 90:
        return int(g.pick(blocked)), Resume()
    return g.pid(), Resume()


def _close(g: Gen) -> tuple[int, Operation]:
    kind = Kind.CHANNEL if "channels" in g.groups and g.roll() < 30 else Kind.PORT
    pid, h = g.actor(kind)
    return pid, Close(h)


def _set_filter(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    types = None
    if g.roll() < 50:
        types = g.subset([0, 1, 2], 2)
        if g.roll() < 5:
            types = types | {MAX_U32 + 1}
    size = None if g.roll() < 50 else int(g.pick([0, 2, 3, MAX_INLINE_DATA, 65]))
    rate = None
    if g.roll() < 50:
        rate = RateLimit(
            int(g.pick([1, 2, 0])), int(g.pick([1, 2, 0])), int(g.pick([1, 2, 3, 0]))
        )
    return pid, SetFilter(h, types, size, rate)


def _bind(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    return pid, Bind(h, g.name(), int(g.pick([0, 1, -1])))


def _unbind(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.PORT)
    return pid, Unbind(h, g.name())


def _lookup(g: Gen) -> tuple[int, Operation]:
    return g.pid(), Lookup(g.name())


def _connect(g: Gen) -> tuple[int, Operation]:
    return g.pid(), Connect(g.name(), int(g.pick([0, 1, MAX_U32 + 1])))


# -- channels ------------------------------------------------------------------


def _create_channel(g: Gen) -> tuple[int, Operation]:
    c = g.s.config
    return g.pid(), CreateChannel(
        g.size(c.max_channel_capacity), g.size(c.max_channel_message)
    )


def _chan_limit(g: Gen) -> int:
    return g.s.config.max_channel_message


def _channel_send(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    data = g.data(_chan_limit(g))
    return pid, ChannelSend(h, data, _send_timeout(g, pid, h))


def _channel_send_batch(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    n = int(g.pick([1, 2, 3, 0, 4]))
    items = tuple(g.data(_chan_limit(g)) for _ in range(n))
    return pid, ChannelSendBatch(h, items)


def _channel_receive_batch(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.CHANNEL)
    return pid, ChannelReceiveBatch(h, int(g.pick([1, 2, 3, 0])))


# -- buffers -------------------------------------------------------------------


def _create_buffer(g: Gen) -> tuple[int, Operation]:
    return g.pid(), CreateBuffer(g.size(g.s.config.max_buffer_size))


def _map(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.BUFFER)
    return pid, MapBuffer(h, bool(g.pick([True, False])))


def _unmap(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    return pid, Unmap(m)


def _offset(g: Gen, pid: int, mapping: int) -> int:
    """An offset near 0 or near the end of the mapped buffer."""
    size = g.s.config.max_buffer_size
    p = g.s.processes.get(pid)  # type: ignore[call-overload]
    m = None if p is None else p.mappings.get(mapping)
    if m is not None:
        size = g.s.objects[m.buf].size  # type: ignore[union-attr]
    return int(g.pick([0, 1, 2, size - 1, size, -1, size - 2]))


def _read(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    length = int(g.pick([1, 2, 0, 3, g.s.config.max_io, g.s.config.max_io + 1, -1]))
    return pid, ReadBuffer(m, _offset(g, pid, m), length)


def _write(g: Gen) -> tuple[int, Operation]:
    pid, m = g.actor_mapping()
    return pid, WriteBuffer(m, _offset(g, pid, m), g.data(g.s.config.max_io))


def _transfer(g: Gen) -> tuple[int, Operation]:
    pid, h = g.actor(Kind.BUFFER)
    return pid, TransferBuffer(h, g.handle(pid, Kind.PORT), g.msg_type())


# -- POSIX ---------------------------------------------------------------------


def _socket(g: Gen) -> tuple[int, Operation]:
    cap = None if g.roll() < 50 else g.size(g.s.config.max_port_capacity)
    return g.pid(), Socket(cap)


def _sock_bind(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockBind(fd, g.name())


def _sock_connect(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockConnect(fd, g.name())


def _sock_send(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockSend(fd, g.data())


def _sock_recv(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockRecv(fd, int(g.pick([MAX_INLINE_DATA, 0, 1, 2, -1])))


def _sock_close(g: Gen) -> tuple[int, Operation]:
    pid, fd = g.actor_fd()
    return pid, SockClose(fd)


# -- the registry --------------------------------------------------------------


#: One generator per operation (the machine makes one rule of each).
GENERATORS: dict[str, GenFn] = {
    "Spawn": _spawn,
    "Kill": _kill,
    "AdvanceClock": _advance,
    "Inspect": _on_handle(Inspect),
    "Drop": _on_handle(Drop),
    "Derive": _derive,
    "Revoke": _on_handle(Revoke),
    "CreatePort": _create_port,
    "Send": _send,
    "Receive": _receive,
    "Resume": _resume,
    "Close": _close,
    "SetFilter": _set_filter,
    "Bind": _bind,
    "Unbind": _unbind,
    "Lookup": _lookup,
    "Connect": _connect,
    "CreateChannel": _create_channel,
    "ChannelSend": _channel_send,
    "ChannelSendBatch": _channel_send_batch,
    "ChannelReceive": _on_handle(ChannelReceive, Kind.CHANNEL),
    "ChannelReceiveBatch": _channel_receive_batch,
    "CreateBuffer": _create_buffer,
    "MapBuffer": _map,
    "Unmap": _unmap,
    "ReadBuffer": _read,
    "WriteBuffer": _write,
    "TransferBuffer": _transfer,
    "Socket": _socket,
    "SockBind": _sock_bind,
    "SockConnect": _sock_connect,
    "SockSend": _sock_send,
    "SockRecv": _sock_recv,
    "SockClose": _sock_close,
    "SpawnThread": _spawn_thread,
}
check_table(GENERATORS, "generation.ops.GENERATORS")


# -- ill-typed operations ------------------------------------------------------


#: The wrong-type forms of each field kind an ill-typed step takes, in the
#: order a run offers them (``IllTypedRotation``): a bool where an int is
#: declared first (the likeliest slip of a target: ``True`` taken for handle
#: 1), then a string for an int, a string for a handle, a bool for an
#: optional int (a timeout). Each is refused with ``InvalidArgument``
#: (ERR-TOTAL) and changes nothing; every one can cross the wire.
ILL_TYPED_KINDS: tuple[str, ...] = (
    "bool for int",
    "str for int",
    "str for handle",
    "bool for optional int",
)


def ill_typed_forms(h: int) -> tuple[Operation, ...]:
    """The ill-typed operations of ``ILL_TYPED_KINDS``, in its order, around
    handle ``h``."""
    return (
        Drop(True),
        CreatePort("2"),  # type: ignore[arg-type]
        Inspect(str(h)),  # type: ignore[arg-type]
        Receive(h, False),
    )


def ill_typed(g: Gen, firing: int = 0) -> tuple[int, Operation]:
    """The ``firing``-th ill-typed step of a run (ERR-TOTAL): a drawn process
    and handle, and the form ``firing`` of ``ill_typed_forms`` (round the
    table), so every form comes up within ``len(ILL_TYPED_KINDS)`` firings
    whatever the seed.

    The step still makes the draw that once picked its form (spent, unused):
    the run's other draws stay exactly where they were, and as an ill-typed
    step changes nothing, every later step of the run is the same."""
    pid = g.pid()
    h = g.handle(pid)
    forms = ill_typed_forms(h)
    g.pick(forms)
    return pid, forms[firing % len(forms)]


class IllTypedRotation:
    """One run's ill-typed steps: each call is ``ill_typed`` at the next
    firing (a run, or an example of the conformance suite, makes its own)."""

    def __init__(self) -> None:
        self.firings = 0

    def __call__(self, g: Gen) -> tuple[int, Operation]:
        firing = self.firings
        self.firings += 1
        return ill_typed(g, firing)


__all__ = [
    "GENERATORS",
    "ILL_TYPED_KINDS",
    "IllTypedRotation",
    "ill_typed",
    "ill_typed_forms",
]
