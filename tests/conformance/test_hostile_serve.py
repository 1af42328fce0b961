"""Hostile-input campaign against the protocol server (``conformance.serve``).

Hypothesis builds valid sessions and breaks them (``hostile``): hostile values
at any place of any message, flipped bytes, cut lines, random bytes, messages
dropped, repeated or out of order. Whatever it is given, ``serve`` returns (0
or 2) and writes only protocol answers: at most one ``fatal``, the last one,
with a short message; never a traceback. The examples of issue 8 are in
``test_serve_inputs``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from veridian_ipc.conformance import serve as serve_module
from veridian_ipc.conformance.serve import MAX_MESSAGE, serve
from veridian_ipc.conformance.targets import SpecTarget, load_class
from veridian_ipc.conformance.wire import encode_config, encode_op
from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.syscalls import (
    AdvanceClock,
    Bind,
    ChannelReceive,
    ChannelSend,
    CreateBuffer,
    CreateChannel,
    CreatePort,
    Derive,
    Kill,
    Lookup,
    MapBuffer,
    ReadBuffer,
    Receive,
    Send,
    Socket,
    Spawn,
    WriteBuffer,
)

from .helpers import MODEL
from .hostile import mutated_json
from .test_serve_inputs import OSErrorOnApply, RaisesOnObserve

OPS = [
    CreatePort(2),
    Send(1, 0, 0, b"hi", ()),
    Receive(1, 0),
    Derive(1, 3),
    Bind(1, "svc", 0),
    Lookup("svc"),
    CreateChannel(2, 8),
    ChannelSend(2, b"ab"),
    ChannelReceive(2),
    CreateBuffer(16),
    MapBuffer(3, True),
    WriteBuffer(1, 0, b"xy"),
    ReadBuffer(1, 0, 4),
    Socket(2),
    Spawn(),
    Kill(2),
    AdvanceClock(1),
]
SMALL = Config(
    max_port_capacity=3,
    max_channel_capacity=3,
    max_channel_message=8,
    max_buffer_size=16,
    max_io=8,
    max_name_length=6,
    default_socket_capacity=2,
)
TARGETS = [SpecTarget, load_class(MODEL), OSErrorOnApply, RaisesOnObserve]
ANSWERS = {"hello", "ready", "result", "observation", "fatal"}


@st.composite
def valid_session(draw: st.DrawFn) -> list[dict[str, Any]]:
    """hello, reset, then applies and observes, maybe bye."""
    msgs: list[dict[str, Any]] = [
        {"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1},
        {
            "type": "reset",
            "processes": draw(st.integers(0, 4)),
            "config": encode_config(draw(st.sampled_from([SMALL, Config()]))),
        },
    ]
    for i in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            op = draw(st.sampled_from(OPS))
            pid = draw(st.integers(0, 3))
            msgs.append({"type": "apply", "id": i, "pid": pid, "op": encode_op(op)})
        else:
            msgs.append({"type": "observe", "id": i})
    if draw(st.booleans()):
        msgs.append({"type": "bye"})
    return msgs


@st.composite
def hostile_session(draw: st.DrawFn) -> bytes:
    """A valid session with one to three lines broken or moved."""
    msgs: list[Any] = draw(valid_session())
    lines = [json.dumps(m).encode() for m in msgs]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["mutate", "mutate", "drop", "repeat", "swap"]))
        if how == "mutate":
            # a line broken before is broken again as plain bytes
            lines[i] = draw(mutated_json(msgs[i] if msgs[i] is not None else "x"))
            msgs[i] = None
        elif how == "drop" and len(lines) > 1:
            del lines[i], msgs[i]
        elif how == "repeat":
            lines.insert(i, lines[i])
            msgs.insert(i, msgs[i])
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            msgs[i], msgs[j] = msgs[j], msgs[i]
    return b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=hostile_session(), cls=st.sampled_from(TARGETS))
def test_serve_never_falls_over(data: bytes, cls: type) -> None:
    check_session(data, cls)


def check_session(data: bytes, cls: type) -> None:
    """Serve ``data``: only protocol answers, at most one (last) short fatal."""
    out = io.BytesIO()
    status = serve_module.serve(cls, ["caps", "ports", "errors"], io.BytesIO(data), out)
    assert status in (0, 2)
    raw = out.getvalue()
    assert len(raw) < 1 << 20
    answers = [json.loads(line) for line in raw.splitlines()]
    kinds = [a["type"] for a in answers]
    assert set(kinds) <= ANSWERS
    assert kinds.count("fatal") == (1 if status == 2 else 0)
    if status == 2:
        assert kinds[-1] == "fatal"
        message = answers[-1]["message"]
        assert isinstance(message, str)
        assert 0 < len(message) <= MAX_MESSAGE
    if kinds and kinds[0] != "fatal":
        assert kinds[0] == "hello"  # nothing is answered before the handshake


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.binary(max_size=200), max_size=5))
def test_serve_survives_random_bytes(lines: list[bytes]) -> None:
    out = io.BytesIO()
    data = b"\n".join(lines)
    assert serve(SpecTarget, ["caps"], io.BytesIO(data), out) in (0, 2)
    for line in out.getvalue().splitlines():
        assert json.loads(line)["type"] in ANSWERS


def test_the_campaign_finds_a_server_that_parses_naively(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a seeded bug: plain json.loads, as before issue 8 (no UTF-8, depth or
    # integer-size handling): the campaign must report it
    monkeypatch.setattr(serve_module, "parse_json", json.loads)
    campaign = settings(max_examples=500, deadline=None, phases=[Phase.generate])(
        given(data=hostile_session(), cls=st.just(SpecTarget))(check_session)
    )
    with pytest.raises((ValueError, RecursionError)):
        campaign()


NASTY = [
    b'{"type":"hello","protocol":"veridian-ipc-conformance","version":1}\n'
    + b'{"type":"'
    + b"z" * (10 << 20)
    + b'"}\n',
    b'{"type":"hel\xfflo"}\n',
    b"[" * 100_000 + b"\n",
]


@pytest.mark.parametrize("data", NASTY, ids=["10 MB line", "invalid UTF-8", "deep"])
def test_the_server_process_answers_nasty_input_briefly(data: bytes) -> None:
    argv = [sys.executable, "-m", "veridian_ipc.conformance.serve"]
    argv += ["--impl", "veridian_ipc.conformance.targets:SpecTarget"]
    proc = subprocess.run(argv, input=data, capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == b""
    assert len(proc.stdout) < 1000
    assert json.loads(proc.stdout.splitlines()[-1])["type"] == "fatal"
