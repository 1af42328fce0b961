"""A target with many independent, planted bugs, each on its own operation.

``ManyBugs`` (in process, ``module:Class``) is the spec with ten bugs; run as
a program it serves most of them over the protocol with three more that only
a program can have (a hang, an unknown error name, a malformed answer):
``PROGRAM``. ``PLANTED`` / ``PLANTED_PROTOCOL`` list, per bug, its
operation, its signature's kind and the length of its shortest trace (what a
1-minimal shrink must reach). Every bug is independent: it fires on one
operation whatever ran before it, except where the trace needs objects to
exist.

The bugs keep clear of what every example's set-up does (``generate_setups``:
process 1 creates a port, binds it as "a", others look it up; process 1
creates a channel; process 2 and 3 open sockets, 2 listening on "b"), so
that no bug hides the others. The target does not declare ``filters``, and
would mishandle it: a ``SetFilter`` raises. The suite must never send one.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

from veridian_ipc.conformance.surface import ALL_GROUPS
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import Config, IpcError
from veridian_ipc.vocabulary.results import Data, Delivered, Err, Ok, Result
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelSend,
    Close,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Inspect,
    Lookup,
    MapBuffer,
    Operation,
    ReadBuffer,
    Receive,
    Send,
    SetFilter,
    SockClose,
    Socket,
    Spawn,
    Unmap,
)

#: Each in-process bug: operation -> (what is wrong, signature kind, length
#: of its shortest trace, which is also its only 1-minimal one).
PLANTED: dict[str, tuple[str, str, int]] = {
    "Inspect": ("an error for a success", "error", 2),
    "ReadBuffer": ("wrong result", "result", 3),
    "AdvanceClock": ("wrong observation", "observation:clock", 1),
    "Bind": ("invariant broken", "invariant:INV-HANDLES-LIVE", 2),
    "Close": ("a failed step changes state", "atomicity", 1),
    "Spawn": ("a number reused", "renaming", 1),
    "Lookup": ("crash", "crash", 1),
    "CreateChannel": ("missing field", "observation:channels.capacity", 1),
    "Socket": ("wrong field value", "observation:processes.fds", 1),
    "Receive": ("wrong result from a queue of two", "result", 4),
}

#: The bugs only a program speaking the protocol can have.
PLANTED_PROTOCOL: dict[str, tuple[str, str, int]] = {
    "SockClose": ("hang", "hang", 1),
    "Unmap": ("unknown error name EFOO", "unknown-error", 1),
    "ChannelSend": ("malformed answer", "protocol", 1),
}

#: The bugs of the program (``python many_bugs.py``): the protocol's, and
#: those of ``PLANTED`` a run of the ``ci`` profile reaches beside them.
PROGRAM: dict[str, tuple[str, str, int]] = {
    **{op: PLANTED[op] for op in PLANTED if op not in ("Spawn", "Receive")},
    **PLANTED_PROTOCOL,
}

#: A Lookup crashes on a name not bound, and when process 3 looks up "b", a
#: name process 2's socket publishes in every set-up, which no set-up looks
#: up (the set-ups bind "a" and "b", so a lookup of an unbound name is seldom
#: drawn).
CRASHING_LOOKUP = (3, "b")

#: Seconds a hanging step sleeps (far beyond any step timeout of the tests).
HANG_SECONDS = 600


def _failed(result: Result, error: IpcError) -> bool:
    return isinstance(result, Err) and result.error is error


class ManyBugs(SpecTarget):
    """The spec, with the bugs of ``PLANTED`` (those of its operations in
    ``planted``); every group but ``filters``."""

    groups = tuple(g for g in ALL_GROUPS if g != "filters")
    planted: frozenset[str] = frozenset(PLANTED)
    #: What the bugs that need objects keep track of.
    TRACKED = frozenset({"CreatePort", "CreateBuffer", "MapBuffer", "Send"})

    def __init__(self, processes: int, config: Config) -> None:
        super().__init__(processes, config)
        self.clock_extra = 0
        self.ghost: int | None = None
        self.touched = False
        self.sloppy: set[object] = set()
        #: Handles made by CreatePort / CreateBuffer, mappings of a made
        #: buffer, sends through a made handle: the bugs that need objects
        #: fire only on these, so that a bug's shortest trace is its only
        #: 1-minimal one.
        self.made: set[tuple[int, object]] = set()
        self.direct_maps: set[tuple[int, object]] = set()
        self.made_sends: dict[tuple[int, object], int] = {}
        self.named: set[object] = set()

    def _obj(self, pid: int, handle: object) -> object:
        """The object ``pid``'s ``handle`` names now (None if none)."""
        proc = super().observe()["processes"].get(pid, {})
        return proc.get("handles", {}).get(handle, {}).get("obj")

    def apply(self, pid: int, op: Operation) -> Result:
        if isinstance(op, SetFilter):
            raise RuntimeError("filters are not implemented")
        name = type(op).__name__
        if name not in self.planted and name not in self.TRACKED:
            return super().apply(pid, op)
        port = self._obj(pid, getattr(op, "handle", None))
        queued = len(super().observe()["ports"].get(port, {}).get("queue", []))
        result = super().apply(pid, op)
        ok = isinstance(result, Ok)
        value: Any = result.value if isinstance(result, Ok) else None
        if isinstance(op, Lookup) and (
            _failed(result, IpcError.PortNotFound) or (pid, op.name) == CRASHING_LOOKUP
        ):
            raise RuntimeError("lookup: segmentation fault (simulated)")
        if isinstance(op, Inspect) and ok and (pid, op.handle) in self.made:
            return Err(IpcError.InsufficientRights)
        if isinstance(op, Close) and isinstance(result, Err):
            self.touched = True
        if isinstance(op, (CreatePort, CreateBuffer)) and ok:
            self.made.add((pid, value))
        if isinstance(op, MapBuffer) and ok and (pid, op.handle) in self.made:
            self.direct_maps.add((pid, value))
        if isinstance(op, ReadBuffer) and ok and (pid, op.mapping) in self.direct_maps:
            data = bytes(value)
            if data:
                return Ok(bytes([data[0] ^ 1]) + data[1:])
        if isinstance(op, AdvanceClock) and op.ticks == 5 and ok:
            self.clock_extra += 1
        if isinstance(op, Bind) and op.name != "a" and (pid, op.handle) in self.made:
            self.ghost = pid if ok else self.ghost
        if isinstance(op, CreateChannel) and pid == 2 and ok:  # not a spawned pid
            self.sloppy.add(self._obj(pid, value))
        if isinstance(op, Socket) and pid == 1 and ok:
            self.named.add(value)
        if isinstance(op, Spawn) and ok:
            return Ok(1)
        if isinstance(op, Send) and ok and (pid, op.handle) in self.made:
            self.made_sends[(pid, port)] = self.made_sends.get((pid, port), 0) + 1
        if (
            isinstance(op, Receive)
            and ok
            and (pid, op.handle) in self.made
            and self.made_sends.get((pid, port), 0) >= 2
            and queued >= 2
            and isinstance(value, Delivered)
            and value.sender == pid
        ):
            return Ok(dataclasses.replace(value, msg_type=value.msg_type + 1))
        return result

    def observe(self) -> Data:
        obs: dict[str, Any] = super().observe()
        obs["clock"] += self.clock_extra + (1 if self.touched else 0)
        if self.ghost is not None:
            handles = obs["processes"][self.ghost]["handles"]
            handles[10_000] = {"obj": 777_777, "kind": "port", "rights": 1}
        for obj in self.sloppy:
            obs["channels"][obj].pop("capacity", None)
        fds = obs["processes"].get(1, {}).get("fds", {})
        for fd in self.named & set(fds):
            fds[fd]["name"] = "sock"
        return obs


class FewBugs(ManyBugs):
    """Six of the bugs (lengths 1 to 4): a short run finds them all."""

    planted = frozenset({"Inspect", "ReadBuffer", "Bind", "Receive", "Spawn", "Close"})


class TwoBugs(ManyBugs):
    """Two of the bugs, each of one step."""

    planted = frozenset({"Inspect", "AdvanceClock"})


def serve_with_protocol_bugs() -> int:
    """Serve ``ManyBugs`` on stdin/stdout with the bugs of ``PLANTED_PROTOCOL``."""
    from veridian_ipc.conformance import serve
    from veridian_ipc.conformance.requests import Apply, decode_request

    class Session(serve.Session):  # the protocol's bugs
        def answer(self, msg: Any) -> Any:
            req = decode_request(msg)
            if isinstance(req, Apply):
                if isinstance(req.op, SockClose):
                    time.sleep(HANG_SECONDS)
                result: dict[str, Any]
                if isinstance(req.op, Unmap):
                    result = {"error": "EFOO", "detail": "unmap is not supported"}
                    return {"type": "result", "id": req.id, "result": result}
                if isinstance(req.op, ChannelSend) and req.pid == 3:
                    result = {"ok": None, "error": "Timeout"}
                    return {"type": "result", "id": req.id, "result": result}
            return super().answer(msg)

    serve.Session = Session  # type: ignore[misc]
    return serve.serve(
        ProgramBugs, list(ManyBugs.groups), sys.stdin.buffer, sys.stdout.buffer
    )


class ProgramBugs(ManyBugs):
    """The in-process bugs the program has (``PROGRAM``)."""

    planted = frozenset(PROGRAM)


if __name__ == "__main__":
    sys.exit(serve_with_protocol_bugs())
