"""The suite's messages to a target, decoded strictly (``PROTOCOL.md``).

``decode_request`` turns one parsed protocol line into a typed request, or
raises ``InputError`` saying briefly what is wrong. Strict means: every field
the protocol defines is present and of its type (a JSON integer is not a
boolean, a float or a string), numbers are within the protocol's limits
(``inbound``), and no other field is present. The state machine (``hello``
first) is the server's (``serve.Session``).
"""

from __future__ import annotations

from dataclasses import dataclass

from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import Operation

from .inbound import (
    MAX_PROCESSES,
    InputError,
    check_fields,
    check_int,
    check_object,
    show,
)
from .protocol import PROTOCOL, VERSION
from .wire import decode_config, decode_op


@dataclass(frozen=True)
class Hello:
    """``hello``: the handshake; the protocol and version are checked."""

    kind = "hello"


@dataclass(frozen=True)
class Reset:
    """``reset``: a fresh system of ``processes`` processes (0..MAX_PROCESSES)."""

    processes: int
    config: Config
    kind = "reset"


@dataclass(frozen=True)
class Apply:
    """``apply``: process ``pid`` issues ``op``; the answer carries ``id``."""

    id: int
    pid: int
    op: Operation
    kind = "apply"


@dataclass(frozen=True)
class Observe:
    """``observe``: the target's observation; the answer carries ``id``."""

    id: int
    kind = "observe"


@dataclass(frozen=True)
class Bye:
    """``bye``: the end of the session."""

    kind = "bye"


Request = Hello | Reset | Apply | Observe | Bye

_NONE: frozenset[str] = frozenset()


def decode_request(msg: Data) -> Request:
    """The request ``msg`` encodes; ``InputError`` if it is not one."""
    m = check_object(msg, "a message")
    kind = m.get("type")
    if kind == "hello":
        check_fields(m, "hello", {"type", "protocol", "version"}, _NONE)
        if m["protocol"] != PROTOCOL or type(m["version"]) is not int:
            raise InputError(
                f"unsupported protocol {show(m['protocol'], 60)} "
                f"version {show(m['version'], 20)}"
            )
        if m["version"] != VERSION:
            raise InputError(f"unsupported protocol version {m['version']}")
        return Hello()
    if kind == "reset":
        check_fields(m, "reset", {"type", "processes", "config"}, _NONE)
        processes = check_int(m["processes"], "processes", 0, MAX_PROCESSES)
        return Reset(processes, decode_config(m["config"]))
    if kind == "apply":
        check_fields(m, "apply", {"type", "id", "pid", "op"}, _NONE)
        ident = check_int(m["id"], "id")
        pid = check_int(m["pid"], "pid")
        return Apply(ident, pid, decode_op(m["op"]))
    if kind == "observe":
        check_fields(m, "observe", {"type", "id"}, _NONE)
        return Observe(check_int(m["id"], "id"))
    if kind == "bye":
        check_fields(m, "bye", {"type"}, _NONE)
        return Bye()
    raise InputError(f"unknown message type {show(kind, 60)}")
