"""A correct target that numbers everything its own way (for the renaming tests).

Handles are ``7 * h + 100``, mapping ids ``m + 50``, object ids ``o + 1000``,
spawned pids (processes and threads) ``p + 500`` (the initial pids 1..n are
given by the interface).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, fields, is_dataclass, replace

from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import Config
from veridian_ipc.spec.state import Waiting, Woken
from veridian_ipc.vocabulary.results import Data, Delivered, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    Kill,
    MapBuffer,
    Operation,
    Spawn,
    SpawnThread,
    Unmap,
)

HANDLE_FIELDS = {"handle", "port"}
MAPPING_FIELDS = {"mapping"}


def h_out(h: int) -> int:
    return 7 * h + 100


def fields_of(op: object) -> tuple[Field[object], ...]:
    """The fields of an operation record."""
    assert is_dataclass(op), op
    return fields(op)


def h_in(h: object) -> object:
    if type(h) is int and h >= 100 and (h - 100) % 7 == 0:
        return (h - 100) // 7
    # distinct numbers stay distinct (duplicate checks), none is a live handle
    return -(10**6) - h if type(h) is int else h


class Renumbered:
    """``SpecTarget`` behind a consistent renumbering of every chosen id."""

    groups = SpecTarget.groups

    def __init__(self, processes: int, config: Config) -> None:
        self.inner = SpecTarget(processes, config)
        self.n = processes

    def pid_out(self, p: int) -> int:
        return p if p <= self.n else p + 500

    def pid_in(self, p: int) -> int:
        if type(p) is not int:
            return p
        if p <= self.n:
            return p
        return p - 500 if p > 500 + self.n else -1

    def _op_in(self, op: Operation) -> Operation:
        changes: dict[str, object] = {}
        for f in fields_of(op):
            v = getattr(op, f.name)
            if f.name in HANDLE_FIELDS:
                changes[f.name] = h_in(v)
            elif f.name == "caps":
                changes[f.name] = tuple(h_in(x) for x in v)
            elif f.name in MAPPING_FIELDS and type(v) is int:
                changes[f.name] = v - 50 if v > 50 else -(10**6) - v
            elif (isinstance(op, Kill) and f.name == "target") or (
                isinstance(op, SpawnThread) and f.name == "process"
            ):
                changes[f.name] = self.pid_in(v)
        if not changes:
            return op
        # the record's class, called with every field by name
        make: Callable[..., Operation] = type(op)
        return make(**{f.name: getattr(op, f.name) for f in fields_of(op)} | changes)

    def _delivered_out(self, d: Delivered) -> Delivered:
        caps = tuple(None if c is None else h_out(c) for c in d.caps)
        return replace(d, sender=self.pid_out(d.sender), caps=caps)

    def apply(self, pid: int, op: Operation) -> Result:
        r = self.inner.apply(self.pid_in(pid), self._op_in(op))
        if not isinstance(r, Ok):
            return r
        v = r.value
        if isinstance(v, Delivered):
            return Ok(self._delivered_out(v))
        if type(v) is int:
            if isinstance(op, Spawn | SpawnThread):
                return Ok(self.pid_out(v))
            if isinstance(op, MapBuffer):
                return Ok(v + 50)
            name = type(op).__name__
            if name in ("Derive", "Lookup", "Connect") or name.startswith("Create"):
                return Ok(h_out(v))
        return r

    def observe(self) -> Data:
        o = self.inner.observe()

        def obj(x: int | None) -> int | None:
            return None if x is None else x + 1000

        def cap(c: Data) -> Data:
            return None if c is None else {**c, "obj": obj(c["obj"])}

        procs = {}
        for p, q in o["processes"].items():
            status = q["status"]
            if isinstance(status, dict) and "waiting" in status:
                status = {**status, "waiting": obj(status["waiting"])}
            elif isinstance(status, dict) and "sending" in status:
                status = {**status, "sending": obj(status["sending"])}
            elif isinstance(status, dict) and isinstance(
                status["woken"].get("ok"), dict
            ):
                d = status["woken"]["ok"]
                status = {
                    "woken": {
                        "ok": {
                            **d,
                            "sender": self.pid_out(d["sender"]),
                            "caps": [
                                None if c is None else h_out(c) for c in d["caps"]
                            ],
                        }
                    }
                }
            procs[self.pid_out(p)] = {
                "status": status,
                "handles": {h_out(h): cap(c) for h, c in q["handles"].items()},
                "mappings": {
                    m + 50: {**mp, "buf": obj(mp["buf"])}
                    for m, mp in q["mappings"].items()
                },
                "fds": {
                    fd: {**e, "port": obj(e["port"]), "peer": obj(e["peer"])}
                    for fd, e in q["fds"].items()
                },
            }
        ports = {
            obj(k): {
                **pt,
                "queue": [
                    {
                        **m,
                        "sender": self.pid_out(m["sender"]),
                        "caps": [cap(c) for c in m["caps"]],
                    }
                    for m in pt["queue"]
                ],
                "waiters": [self.pid_out(w) for w in pt["waiters"]],
            }
            for k, pt in o["ports"].items()
        }
        return {
            **o,
            "processes": procs,
            "ports": ports,
            "channels": {obj(k): c for k, c in o["channels"].items()},
            "buffers": {obj(k): b for k, b in o["buffers"].items()},
            "namespace": {
                n: {**b, "obj": obj(b["obj"])} for n, b in o["namespace"].items()
            },
        }


_ = (Unmap, Waiting, Woken)
