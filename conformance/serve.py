"""Protocol server: any in-process target, spoken to over the JSON-lines protocol.

    python -m veridian_ipc.conformance.serve --impl package.module:Class
        [--groups a,b,c] [--observes all|none|PATH,...]

reads protocol messages on stdin and answers on stdout (``PROTOCOL.md``). Its
hello declares the class's ``groups`` and ``observes`` (``observation``), or
the ones given. It
makes a target of any class with the in-process interface (``targets``), so the
protocol path can be tested against the spec itself and against the model; it
is also a worked example for implementers writing their own server.

Its input is untrusted: every line is read with a length limit, parsed safely
and validated strictly (``requests``), and the session follows the protocol's
state machine (``hello`` first, ``reset`` before ``apply`` / ``observe``).
Anything else, and any exception the target raises, is answered with one
``fatal`` carrying a short message, and the server stops: never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import IO

from veridian_ipc.vocabulary.results import Data, encode_result

from .inbound import InputError, clip, describe, parse_json, read_line
from .observation import Observes, ObservesError, observes_of
from .protocol import VERSION, dumps
from .requests import Apply, Bye, Hello, Observe, Reset, decode_request
from .surface import ALL_GROUPS
from .targets import Target, load_class

#: Longest ``fatal`` message sent.
MAX_MESSAGE = 300


class Fatal(Exception):
    """Ends the session with a ``fatal`` answer carrying ``message``."""


class Session:
    """One protocol session with one target class: the server's state machine.

    States: before ``hello`` only ``hello`` (or ``bye``) is accepted; after it,
    ``reset`` (or ``bye``); after a ``reset``, also ``apply`` and ``observe``.
    """

    def __init__(
        self, cls: type, groups: Sequence[str], observes: Observes | None = None
    ) -> None:
        self.cls = cls
        self.groups = list(groups)
        #: What the hello declares the target observes (default: the class's).
        self.observes = observes if observes is not None else observes_of(cls)
        self.greeted = False
        self.target: Target | None = None

    def answer(self, msg: Data) -> Data | None:
        """The answer to one decoded request (None for ``bye``); raises ``Fatal``."""
        req = decode_request(msg)
        if isinstance(req, Bye):
            return None
        if isinstance(req, Hello):
            if self.greeted:
                raise Fatal("'hello' sent twice")
            self.greeted = True
            name = f"{self.cls.__module__}:{self.cls.__qualname__}"
            return {
                "type": "hello",
                "version": VERSION,
                "name": name,
                "groups": self.groups,
                "observes": self.observes.to_json(),
            }
        if not self.greeted:
            raise Fatal(f"{req.kind!r} before 'hello'")
        if isinstance(req, Reset):
            self.target = None
            try:
                self.target = self.cls(req.processes, req.config)
            except Exception as exc:
                raise Fatal(f"the target raised on reset: {describe(exc)}") from None
            return {"type": "ready"}
        target = self.target
        if target is None:
            raise Fatal(f"{req.kind!r} before 'reset'")
        if isinstance(req, Apply):
            try:
                result = encode_result(target.apply(req.pid, req.op))
            except Exception as exc:
                raise Fatal(f"the target raised on apply: {describe(exc)}") from None
            return {"type": "result", "id": req.id, "result": result}
        assert isinstance(req, Observe)
        try:
            observation = target.observe()
        except Exception as exc:
            raise Fatal(f"the target raised on observe: {describe(exc)}") from None
        return {"type": "observation", "id": req.id, "observation": observation}


def _encode(answer: Data) -> bytes:
    try:
        return dumps(answer)
    except Exception as exc:  # not JSON data, an int beyond the str limit, ...
        raise Fatal(f"the target's answer cannot be encoded: {describe(exc)}") from None


def serve(
    cls: type,
    groups: Sequence[str],
    inp: IO[bytes],
    out: IO[bytes],
    observes: Observes | None = None,
) -> int:
    """Answer protocol messages from ``inp`` on ``out`` until ``bye`` or EOF.

    Returns 0 after ``bye`` or at the end of input, 2 after a ``fatal``.
    ``observes`` is what the hello declares (default: the class's
    ``observes``).
    """
    session = Session(cls, groups, observes)

    def send(line: bytes) -> None:
        out.write(line)
        out.flush()

    while True:
        try:
            raw = read_line(inp)
            if not raw:
                return 0
            answer = session.answer(parse_json(raw))
            if answer is None:
                return 0
            send(_encode(answer))
        except (Fatal, InputError) as exc:
            message = clip(str(exc), MAX_MESSAGE)
            send(dumps({"type": "fatal", "message": message}))
            return 2


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
    parser.add_argument(
        "--observes",
        default=None,
        help='what to declare the target observes: "all", "none" or '
        "comma-separated observation paths (default: the class's)",
    )
    args = parser.parse_args(argv)
    try:
        cls = load_class(args.impl)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        parser.exit(2, f"{parser.prog}: cannot load {args.impl!r}: {describe(exc)}\n")
    try:
        observes = observes_of(cls, args.observes)
    except ObservesError as exc:
        parser.exit(2, f"{parser.prog}: --observes: {exc}\n")
    if args.groups is not None:
        groups = [g for g in args.groups.split(",") if g]
    else:
        groups = list(getattr(cls, "groups", ALL_GROUPS))
    try:
        return serve(cls, groups, sys.stdin.buffer, sys.stdout.buffer, observes)
    except BrokenPipeError:  # the suite went away: nobody to answer
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error at exit
        return 2


if __name__ == "__main__":
    sys.exit(main())
