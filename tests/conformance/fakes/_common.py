"""What every fake target shares: read a line, answer the handshake."""

from __future__ import annotations

import json
import sys
from typing import Any

GROUPS = ["caps", "ports", "errors"]


def read() -> dict[str, Any]:
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    msg: dict[str, Any] = json.loads(line)
    return msg


def send(msg: object) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def handshake(groups: object = GROUPS) -> None:
    read()
    send({"type": "hello", "version": 1, "name": "fake", "groups": groups})


def ready() -> None:
    read()
    send({"type": "ready"})
