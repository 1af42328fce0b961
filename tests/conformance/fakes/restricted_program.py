"""Over the protocol: ``restricted.FixedCapacity`` whose hello declares the
``restricts`` given as the first argument (JSON, verbatim)."""

import json
import sys
from pathlib import Path

from veridian_ipc.conformance import serve as server
from veridian_ipc.vocabulary.results import Data

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.conformance.fakes.restricted import FixedCapacity


class Declaring(server.Session):
    """A session whose hello carries ``restricts``."""

    def answer(self, msg: Data) -> Data | None:
        out = super().answer(msg)
        if isinstance(out, dict) and out.get("type") == "hello":
            out["restricts"] = json.loads(sys.argv[1])
        return out


server.Session = Declaring  # type: ignore[misc]
sys.exit(
    server.serve(
        FixedCapacity, list(FixedCapacity.groups), sys.stdin.buffer, sys.stdout.buffer
    )
)
