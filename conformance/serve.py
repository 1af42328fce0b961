"""Protocol server: any in-process target, spoken to over the JSON-lines protocol.

    python -m veridian_ipc.conformance.serve --impl package.module:Class

reads protocol messages on stdin and answers on stdout (``PROTOCOL.md``). It
makes a target of any class with the in-process interface (``targets``), so the
protocol path can be tested against the spec itself and against the model; it
is also a worked example for implementers writing their own server.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import IO

from veridian_ipc.spec.results import Data, encode_result

from .protocol import PROTOCOL, VERSION, dumps
from .surface import ALL_GROUPS
from .targets import Target, load_class
from .wire import WireError, decode_config, decode_op


def serve(cls: type, groups: Sequence[str], inp: IO[bytes], out: IO[bytes]) -> int:
    """Answer protocol messages from ``inp`` on ``out`` until ``bye`` or EOF."""
    target: Target | None = None

    def send(msg: Data) -> None:
        out.write(dumps(msg))
        out.flush()

    def fatal(message: str) -> int:
        send({"type": "fatal", "message": message})
        return 2

    for raw in inp:
        try:
            msg = json.loads(raw)
        except json.JSONDecodeError as exc:
            return fatal(f"malformed JSON: {exc}")
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "hello":
            if msg.get("protocol") != PROTOCOL or msg.get("version") != VERSION:
                return fatal(f"unsupported protocol {msg!r}")
            send(
                {
                    "type": "hello",
                    "version": VERSION,
                    "name": f"{cls.__module__}:{cls.__qualname__}",
                    "groups": list(groups),
                }
            )
        elif kind == "reset":
            try:
                target = cls(int(msg["processes"]), decode_config(msg["config"]))
            except (KeyError, TypeError, ValueError, WireError) as exc:
                return fatal(f"bad reset: {exc}")
            send({"type": "ready"})
        elif kind == "apply" and target is not None:
            try:
                op = decode_op(msg["op"])
            except (KeyError, WireError) as exc:
                return fatal(f"bad operation: {exc}")
            result = target.apply(int(msg["pid"]), op)
            send(
                {"type": "result", "id": msg.get("id"), "result": encode_result(result)}
            )
        elif kind == "observe" and target is not None:
            send(
                {
                    "type": "observation",
                    "id": msg.get("id"),
                    "observation": target.observe(),
                }
            )
        elif kind == "bye":
            return 0
        else:
            return fatal(f"unexpected message {msg!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m veridian_ipc.conformance.serve``."""
    parser = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.serve",
        description="Serve an in-process target over the conformance protocol.",
    )
    parser.add_argument("--impl", required=True, help="package.module:Class")
    parser.add_argument(
        "--groups",
        default=None,
        help="comma-separated feature groups to declare (default: the class's)",
    )
    args = parser.parse_args(argv)
    cls = load_class(args.impl)
    if args.groups is not None:
        groups = [g for g in args.groups.split(",") if g]
    else:
        groups = list(getattr(cls, "groups", ALL_GROUPS))
    return serve(cls, groups, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
