"""The observable state: what an implementation must agree on, as plain data.

``observe(state)`` is the canonical, JSON-able view of a state that the
conformance suite compares after every step. It contains what a process could
learn through operations (its handles with kind and rights, its mappings and
sockets, its status; each port's queue, waiters and filter; each channel's
contents; buffer sizes; the namespace; the clock) and nothing that is a
representation choice (the derivation tree's internal ids, lazy bucket stamps,
ring slot positions). Pids, handles, mapping ids and object ids appear as the
implementation numbered them; conformance compares them up to renaming. File
descriptors are normative (lowest free). Each live thread is an entry of
``processes`` with its own status and its task's tables (spec/tasks.py): two
threads of one task show the same handles, mappings and sockets.

Results appear in their canonical plain-data form (``results.encode_result``).
"""

from __future__ import annotations

from veridian_ipc.vocabulary.results import Data, encode_result

from .filters import refill
from .state import (
    Buffer,
    Cap,
    Channel,
    KernelState,
    Port,
    Running,
    Sending,
    Waiting,
    Woken,
)
from .tasks import table_of


def _cap(c: Cap) -> Data:
    return {"obj": c.obj, "kind": c.kind.value, "rights": c.rights}


def observe(s: KernelState) -> Data:
    """The canonical observable state of ``s``."""
    procs: dict[int, Data] = {}
    for pid, p in s.processes.items():
        status: Data
        if isinstance(p.status, Running):
            status = "running"
        elif isinstance(p.status, Waiting):
            status = {"waiting": p.status.port, "deadline": p.status.deadline}
        elif isinstance(p.status, Sending):
            status = {"sending": p.status.obj, "deadline": p.status.deadline}
        else:
            assert isinstance(p.status, Woken)
            status = {"woken": encode_result(p.status.result)}
        t = table_of(s, pid)  # the tables are the task's (PROC-THREAD)
        procs[pid] = {
            "status": status,
            "handles": {h: _cap(s.caps[c]) for h, c in t.handles.items()},
            "mappings": {
                m: {"buf": mp.buf, "writable": mp.writable}
                for m, mp in t.mappings.items()
            },
            "fds": {
                fd: {
                    "port": s.caps[e.own].obj,
                    "peer": None if e.peer is None else s.caps[e.peer].obj,
                    "name": e.name,
                }
                for fd, e in t.fds.items()
            },
        }
    ports: dict[int, Data] = {}
    channels: dict[int, Data] = {}
    buffers: dict[int, Data] = {}
    for obj, o in s.objects.items():
        if isinstance(o, Port):
            f = o.filter
            ports[obj] = {
                "capacity": o.capacity,
                "closed": o.closed,
                "queue": [
                    {
                        "sender": m.sender,
                        "msg_type": m.msg_type,
                        "flags": m.flags,
                        "data": m.data.hex(),
                        "caps": [
                            None if c is None else _cap(s.caps[c]) for c in m.caps
                        ],
                    }
                    for m in o.queue
                ],
                "waiters": list(o.waiters),
                "filter": None
                if f is None
                else {
                    "allowed_types": None
                    if f.allowed_types is None
                    else sorted(f.allowed_types),
                    "max_size": f.max_size,
                    "rate": None
                    if f.rate is None
                    else [f.rate.burst, f.rate.refill, f.rate.period],
                    "tokens": refill(f, s.clock).tokens if f.rate is not None else None,
                },
            }
        elif isinstance(o, Channel):
            items = [
                o.slots[(o.read_idx + i) % o.capacity]
                for i in range(o.write_idx - o.read_idx)
            ]
            channels[obj] = {
                "capacity": o.capacity,
                "max_message": o.max_message,
                "closed": o.closed,
                "items": [b.hex() for b in items if b is not None],
            }
        else:
            assert isinstance(o, Buffer)
            buffers[obj] = {"size": o.size}
    namespace = {
        name: {
            "obj": s.caps[b.cap].obj,
            "rights": s.caps[b.cap].rights,
            "service_type": b.service_type,
        }
        for name, b in s.namespace.items()
    }
    return {
        "clock": s.clock,
        "processes": procs,
        "ports": ports,
        "channels": channels,
        "buffers": buffers,
        "namespace": namespace,
    }


#: The meaning of each key of ``observe``'s result, by path (``*`` stands for a
#: pid, handle, mapping id, fd, object id or name; ``[]`` for a list item). The
#: operation reference (conformance/OPERATIONS.md) is generated from it.
OBSERVATION_FIELDS: dict[str, str] = {
    "clock": "the logical clock, in ticks (TIME-ADVANCE)",
    "processes": "every live thread, by pid (PROC-THREAD), with its task's tables",
    "processes.*.status": '"running", {"waiting": port, "deadline": tick or null}'
    ' (a blocked receive, PORT-RECEIVE), {"sending": port or channel,'
    ' "deadline": tick or null} (a blocked send, PORT-SEND-BLOCK) or'
    ' {"woken": result} (PORT-RESUME collects it)',
    "processes.*.handles": "the process's capabilities, by handle",
    "processes.*.handles.*.obj": "the object the capability names",
    "processes.*.handles.*.kind": '"port", "channel" or "buffer"',
    "processes.*.handles.*.rights": "the capability's rights mask (RIGHTS-BITS)",
    "processes.*.mappings": "the process's buffer mappings, by mapping id",
    "processes.*.mappings.*.buf": "the mapped buffer's object",
    "processes.*.mappings.*.writable": "whether the mapping allows writes",
    "processes.*.fds": "the process's sockets, by file descriptor",
    "processes.*.fds.*.port": "the socket's own port",
    "processes.*.fds.*.peer": "the connected peer's port, or null",
    "processes.*.fds.*.name": "the name the socket is bound to, or null",
    "ports": "every port, by object id",
    "ports.*.capacity": "the queue's capacity, in messages",
    "ports.*.closed": "whether the port is closed",
    "ports.*.queue": "the queued messages, oldest first",
    "ports.*.queue.[].sender": "the sending pid (MSG-SENDER)",
    "ports.*.queue.[].msg_type": "the message type",
    "ports.*.queue.[].flags": "the message flags",
    "ports.*.queue.[].data": "the inline data, as hex",
    "ports.*.queue.[].caps": "the carried capabilities (obj, kind, rights), or null",
    "ports.*.waiters": "the pids blocked receiving, in arrival order",
    "ports.*.filter": "the port's filter (FILTER-SET), or null",
    "ports.*.filter.allowed_types": "the admitted message types, sorted, or null",
    "ports.*.filter.max_size": "the largest admitted data size, or null",
    "ports.*.filter.rate": "[burst, refill, period], or null",
    "ports.*.filter.tokens": "the tokens available now (FILTER-RATE), or null",
    "channels": "every channel, by object id",
    "channels.*.capacity": "the ring's slots",
    "channels.*.max_message": "the largest message, in bytes",
    "channels.*.closed": "whether the channel is closed",
    "channels.*.items": "the queued messages, oldest first, as hex",
    "buffers": "every shared buffer, by object id",
    "buffers.*.size": "the buffer's size, in bytes",
    "namespace": "every bound name",
    "namespace.*.obj": "the bound port",
    "namespace.*.rights": "the rights a Lookup or Connect receives",
    "namespace.*.service_type": "the binding's service type (NS-CONNECT)",
}
