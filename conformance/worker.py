"""The worker process a ``module:Class`` target runs in.

    python -m veridian_ipc.conformance.worker --impl package.module:Class

``conform --target package.module:Class`` (``targets.make_driver``) starts
this and drives it with a ``ProcessDriver``, so that a target that hangs,
exits or crashes is a reported failure rather than the end of the suite. It
serves the class over the protocol (``serve.serve``; the hello declares the
class's ``groups`` and ``observes``) on private copies of the
standard streams: what the target itself prints (on ``sys.stdout`` or file
descriptor 1) goes to standard error, and what it reads from standard input
is empty, so neither can garble the protocol.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .observation import ObservesError, observes_of
from .serve import serve
from .surface import ALL_GROUPS
from .targets import load_class


def private_streams() -> tuple[int, int]:
    """Duplicates of file descriptors 0 and 1 for the protocol; fd 0 then
    reads ``/dev/null`` and fd 1 writes to standard error."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return proto_in, proto_out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m veridian_ipc.conformance.worker``."""
    parser = argparse.ArgumentParser(
        prog="python -m veridian_ipc.conformance.worker",
        description="Serve a target class over the conformance protocol, "
        "isolated from its own prints.",
    )
    parser.add_argument("--impl", required=True, help="package.module:Class")
    args = parser.parse_args(argv)
    proto_in, proto_out = private_streams()
    try:
        cls = load_class(args.impl)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        print(f"worker: cannot load {args.impl!r}: {exc}", file=sys.stderr)
        return 2
    groups = list(getattr(cls, "groups", ALL_GROUPS))
    try:
        observes = observes_of(cls)
    except ObservesError as exc:
        print(f"worker: {args.impl!r} declares {exc}", file=sys.stderr)
        return 2
    with (
        os.fdopen(proto_in, "rb", buffering=0) as inp,
        os.fdopen(proto_out, "wb", buffering=0) as out,
    ):
        return serve(cls, groups, inp, out, observes)


if __name__ == "__main__":
    sys.exit(main())
