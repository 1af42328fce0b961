"""The canonical encoding round-trips every operation and configuration."""

from __future__ import annotations

import dataclasses
import json

import pytest

from veridian_ipc.conformance.checker import SMALL_CONFIG
from veridian_ipc.conformance.wire import (
    WireError,
    decode_config,
    decode_op,
    encode_config,
    encode_op,
    normalize_observation,
)
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary.syscalls import (
    OPERATIONS,
    ChannelSendBatch,
    CreatePort,
    Drop,
    Operation,
    RateLimit,
    Receive,
    Send,
    SetFilter,
    Socket,
)

SAMPLES: list[Operation] = [
    Send(1, 7, 3, b"\x00hi", (2, 3)),
    SetFilter(1, frozenset({2, 0}), 8, RateLimit(1, 2, 3)),
    SetFilter(1),
    ChannelSendBatch(4, (b"a", b"")),
    Receive(1, None),
    Socket(None),
    Drop(True),
    CreatePort("2"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("op", SAMPLES, ids=repr)
def test_operations_round_trip_through_json(op: Operation) -> None:
    wire = json.loads(json.dumps(encode_op(op)))
    back = decode_op(wire)
    assert back == op
    for name in wire["args"]:
        assert type(getattr(back, name)) is type(getattr(op, name))


def test_every_operation_has_a_wire_name() -> None:
    for cls in OPERATIONS:
        record: type = cls
        assert dataclasses.is_dataclass(record), cls
        required = [
            f for f in dataclasses.fields(record) if f.default is dataclasses.MISSING
        ]
        if required:
            with pytest.raises(WireError):
                decode_op({"op": cls.__name__, "args": {}})
        else:
            assert type(decode_op({"op": cls.__name__, "args": {}})) is cls


def test_bad_operations_are_refused() -> None:
    for bad in [
        {"op": "Teleport", "args": {}},
        {"args": {}},
        {"op": "Drop", "args": {"x": 1}},
    ]:
        with pytest.raises(WireError):
            decode_op(bad)


def test_config_round_trip() -> None:
    assert (
        decode_config(json.loads(json.dumps(encode_config(SMALL_CONFIG))))
        == SMALL_CONFIG
    )
    with pytest.raises(WireError):
        decode_config({"max_io": "big"})


def test_observation_survives_json() -> None:
    s = initial_state(processes=2)
    s, _ = step(s, 1, CreatePort(1))
    s, _ = step(s, 1, Socket(None))
    o = observe(s)
    assert normalize_observation(json.loads(json.dumps(o))) == o
    with pytest.raises(WireError):
        normalize_observation({"clock": 0})
