"""``Kernel``: the model's entry point, one operation at a time (ERR-PRECEDENCE).

``Kernel.apply(pid, op)`` takes the spec's operation records and returns the
spec's results, identical to ``spec.step`` for every input: first ERR-TOTAL
(``InvalidArgument`` for anything that is not a well-typed operation record),
then the environment operations (``Spawn``, ``SpawnThread``, ``Kill``,
``AdvanceClock``), then
PROC-STATUS (``NoSuchProcess``, ``ProcessBlocked``), then the rule's own checks.
Every rule checks everything before its first effect (ERR-ATOMIC).

The kernel is not itself thread-safe: the facade (``veridian_ipc.model.api``)
serialises every call under one lock. ``observe()`` gives the observation in
the spec's format; ``snapshot()`` is the same; ``statistics()`` counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.operations import check_table, process_ops
from veridian_ipc.vocabulary.results import Err, Result

from . import (
    blocking,
    buffers,
    caps,
    channels,
    filters,
    namespace,
    orphans,
    ports,
    processes,
    sockets,
    timeouts,
)
from .observe import observe
from .state import RUNNING, Buffer, Channel, Port, Process, State
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_NO_SUCH_PROCESS,
    E_PROCESS_BLOCKED,
)
from .typecheck import well_typed


def close(st: State, p: Process, op: sc.Close) -> Result:
    """``Close`` a port (PORT-CLOSE) or a channel (CHAN-CLOSE); needs MANAGE.

    Errors, in precedence order: ``InvalidCapability`` (not live, or a buffer),
    ``InsufficientRights``, ``PortClosed``.
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is Buffer:
        return E_INVALID_CAPABILITY
    if not cap.rights & 0x04:  # MANAGE
        return E_INSUFFICIENT_RIGHTS
    obj = cap.obj
    if isinstance(obj, Port):
        return ports.close_port(st, obj)
    assert isinstance(obj, Channel)
    return channels.close_channel(st, obj)


Rule = Callable[[State, Process, Any], Result]


def settle(st: State) -> None:
    """What follows every operation once its rule is done: blocked senders
    with room are served (PORT-SEND-BLOCK, CHAN-SEND-BLOCK), then ports
    nobody can receive from are abandoned and unreachable objects reclaimed
    (PORT-CLOSE, CAP-RECLAIM). ``Kernel.apply`` runs it, and so do the
    facade's fast paths, which call the rules' own functions."""
    if st.sending:
        blocking.serve(st, attempt)
    if st.suspects:
        orphans.reap(st)


def attempt(st: State, p: Process, op: sc.Send | sc.ChannelSend) -> Result:
    """A blocked send attempted again by its rule (PORT-SEND-BLOCK)."""
    return PROCESS_RULES[type(op)](st, p, op)


PROCESS_RULES: dict[type, Rule] = {
    sc.Inspect: caps.inspect_handle,
    sc.Drop: caps.drop,
    sc.Derive: caps.derive,
    sc.Revoke: caps.revoke,
    sc.CreatePort: ports.create_port,
    sc.Send: ports.send,
    sc.Receive: ports.receive,
    sc.Resume: ports.resume,
    sc.Close: close,
    sc.SetFilter: filters.set_filter,
    sc.Bind: namespace.bind,
    sc.Unbind: namespace.unbind,
    sc.Lookup: namespace.lookup,
    sc.Connect: namespace.connect,
    sc.CreateChannel: channels.create_channel,
    sc.ChannelSend: channels.channel_send,
    sc.ChannelSendBatch: channels.channel_send_batch,
    sc.ChannelReceive: channels.channel_receive,
    sc.ChannelReceiveBatch: channels.channel_receive_batch,
    sc.CreateBuffer: buffers.create_buffer,
    sc.MapBuffer: buffers.map_buffer,
    sc.Unmap: buffers.unmap,
    sc.ReadBuffer: buffers.read_buffer,
    sc.WriteBuffer: buffers.write_buffer,
    sc.TransferBuffer: buffers.transfer_buffer,
    sc.Socket: sockets.socket,
    sc.SockBind: sockets.sock_bind,
    sc.SockConnect: sockets.sock_connect,
    sc.SockSend: sockets.sock_send,
    sc.SockRecv: sockets.sock_recv,
    sc.SockClose: sockets.sock_close,
}
check_table(PROCESS_RULES, "model.kernel.PROCESS_RULES", ops=process_ops())


@dataclass(frozen=True, slots=True)
class Statistics:
    """Counts of what the kernel holds and has done."""

    operations: int
    errors: int
    processes: int
    ports: int
    channels: int
    buffers: int
    capabilities: int
    bindings: int
    clock: int


def count_caps(st: State) -> int:
    """Every live capability: in handle tables, bindings, sockets, in flight."""
    n = len(st.namespace)
    for p in st.processes.values():
        n += len(p.handles)
        n += sum(1 if e.peer is None else 2 for e in p.fds.values())
    for o in st.objects.values():
        if isinstance(o, Port) and o.queue:
            n += sum(1 for m in o.queue for c in m.caps if c is not None)
    return n


class Kernel:
    """The model: the spec's operation surface on a mutable, fast state."""

    __slots__ = ("_errors", "_ops", "state")

    def __init__(self, processes: int = 2, config: Config | None = None) -> None:
        if type(processes) is not int or processes < 0:
            raise ValueError(f"processes must be an int >= 0, not {processes!r}")
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a Config, not {type(config).__name__}")
        self.state = State(processes, config)
        self._ops = 0
        self._errors = 0

    def apply(self, pid: int, op: sc.Operation) -> Result:
        """Apply one operation as ``step`` does; never raises for any ``op``."""
        st = self.state
        self._ops += 1
        if not well_typed(op):
            result: Result = E_INVALID_ARGUMENT
        elif isinstance(op, sc.Spawn):
            result = processes.spawn(st, op)
        elif isinstance(op, sc.Kill):
            result = processes.kill(st, op)
        elif isinstance(op, sc.SpawnThread):
            result = processes.spawn_thread(st, op)
        elif isinstance(op, sc.AdvanceClock):
            result = timeouts.advance_clock(st, op)
        else:
            # a pid that is not an int (bool, float, unhashable) names no process
            p = st.processes.get(pid) if type(pid) is int else None
            if p is None:
                result = E_NO_SUCH_PROCESS
            elif p.status != RUNNING and type(op) is not sc.Resume:
                result = E_PROCESS_BLOCKED
            else:
                result = PROCESS_RULES[type(op)](st, p, op)
        if st.sending or st.suspects:
            settle(st)
        if type(result) is Err:
            self._errors += 1
        return result

    def observe(self) -> dict[str, Any]:
        """The observable state, in the format of ``spec.observe.observe``."""
        return observe(self.state)

    def snapshot(self) -> dict[str, Any]:
        """The canonical observable state (same as ``observe``)."""
        return observe(self.state)

    def statistics(self) -> Statistics:
        """A frozen record of counts."""
        st = self.state
        objs = st.objects.values()
        return Statistics(
            operations=self._ops,
            errors=self._errors,
            processes=len(st.processes),
            ports=sum(1 for o in objs if isinstance(o, Port)),
            channels=sum(1 for o in objs if isinstance(o, Channel)),
            buffers=sum(1 for o in objs if isinstance(o, Buffer)),
            capabilities=count_caps(st),
            bindings=len(st.namespace),
            clock=st.clock,
        )
