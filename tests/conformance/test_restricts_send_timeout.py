"""A target that cannot block a sender declares ``Send.timeout in [0]``
(PORT-SEND-BLOCK): the suite then sends it no send that could wait, ``None``
(wait forever) included, and still sends ill-typed timeouts (ERR-TOTAL)."""

from __future__ import annotations

from typing import Any

from veridian_ipc.conformance.restrictions import parse_restricts
from veridian_ipc.vocabulary.syscalls import Receive, Send


def test_send_timeout_restricted_to_zero_excludes_every_waiting_send() -> None:
    r = parse_restricts([{"op": "Send", "field": "timeout", "in": [0]}])
    assert r.excluding(Send(1, 0, 0, b"")) is None
    assert r.excluding(Send(1, 0, 0, b"", (), 2)) is not None
    assert r.excluding(Send(1, 0, 0, b"", (), None)) is not None
    assert r.excluding(Send(1, 0, 0, b"", (), -1)) is not None
    assert r.excluding(Receive(1, None)) is None  # another operation
    ill: Any = "x"
    assert r.excluding(Send(1, 0, 0, b"", (), ill)) is None  # must be refused
