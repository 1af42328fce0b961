"""The observable state, in exactly the format of the spec's observation.

Conformance compares implementations on this plain-data view after every step:
handles with kind and rights, mappings, sockets and status of each process; each
port's queue, waiters and filter (tokens as of the current tick); channel
contents in order; buffer sizes; the namespace; the clock.
"""

from __future__ import annotations

from typing import Any

from veridian_ipc.vocabulary.results import encode_result

from .blocking import Sender
from .filters import tokens_at
from .state import RUNNING, SENDING, WAITING, Buffer, Cap, Channel, Port, State


def _cap(c: Cap) -> dict[str, Any]:
    return {"obj": c.obj.id, "kind": c.obj.kind, "rights": c.rights}


def observe(st: State) -> dict[str, Any]:
    """The canonical observable state."""
    procs: dict[int, Any] = {}
    for pid, p in st.processes.items():
        status: Any
        w = p.waiter
        if p.status == RUNNING:
            status = "running"
        elif p.status == WAITING:
            assert w is not None
            assert w.port is not None
            status = {"waiting": w.port.id, "deadline": w.deadline}
        elif p.status == SENDING:
            assert isinstance(w, Sender)
            assert w.obj is not None
            status = {"sending": w.obj.id, "deadline": w.deadline}
        else:
            assert w is not None
            assert w.result is not None
            assert not isinstance(w.result, tuple)
            status = {"woken": encode_result(w.result)}
        procs[pid] = {
            "status": status,
            "handles": {h: _cap(c) for h, c in p.handles.items()},
            "mappings": {
                m: {"buf": mp.buf.id, "writable": mp.writable}
                for m, mp in p.mappings.items()
            },
            "fds": {
                fd: {
                    "port": e.own.obj.id,
                    "peer": None if e.peer is None else e.peer.obj.id,
                    "name": e.name,
                }
                for fd, e in p.fds.items()
            },
        }
    ports: dict[int, Any] = {}
    channels: dict[int, Any] = {}
    buffers: dict[int, Any] = {}
    for obj_id, o in st.objects.items():
        if isinstance(o, Port):
            f = o.filter
            ports[obj_id] = {
                "capacity": o.capacity,
                "closed": o.closed,
                "queue": [
                    {
                        "sender": m.sender,
                        "msg_type": m.msg_type,
                        "flags": m.flags,
                        "data": m.data.hex(),
                        "caps": [None if c is None else _cap(c) for c in m.caps],
                    }
                    for m in (o.queue or ())
                ],
                "waiters": [w.proc.pid for w in (o.waiters or ())],
                "filter": None
                if f is None
                else {
                    "allowed_types": None
                    if f.allowed_types is None
                    else sorted(f.allowed_types),
                    "max_size": f.max_size,
                    "rate": [f.burst, f.refill, f.period] if f.burst else None,
                    "tokens": tokens_at(f, st.clock) if f.burst else None,
                },
            }
        elif isinstance(o, Channel):
            held = o.write_idx - o.read_idx
            items = [o.slots[(o.read_idx + i) % o.capacity] for i in range(held)]
            channels[obj_id] = {
                "capacity": o.capacity,
                "max_message": o.max_message,
                "closed": o.closed,
                "items": [b.hex() for b in items if b is not None],
            }
        else:
            assert isinstance(o, Buffer)
            buffers[obj_id] = {"size": o.size}
    namespace = {
        name: {
            "obj": b.cap.obj.id,
            "rights": b.cap.rights,
            "service_type": b.service_type,
        }
        for name, b in st.namespace.items()
    }
    return {
        "clock": st.clock,
        "processes": procs,
        "ports": ports,
        "channels": channels,
        "buffers": buffers,
        "namespace": namespace,
    }
