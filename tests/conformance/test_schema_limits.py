"""The JSON Schemas state the limits the server and ``replay`` enforce.

Every request the server accepts and every file ``replay`` accepts is valid
under the shipped schema; requests and files beyond a limit are not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veridian_ipc.conformance.inbound import InputError, parse_json
from veridian_ipc.conformance.requests import decode_request
from veridian_ipc.conformance.tracefiles import check_structure, validate

from .hostile import mutated_json
from .test_hostile_replay import FILES
from .test_schema import PROTOCOL_SCHEMA, TRACE_SCHEMA, _validator

jsonschema = pytest.importorskip("jsonschema")

REQUEST: Any = _validator(PROTOCOL_SCHEMA, "#/$defs/suite_message")
FILE: Any = _validator(TRACE_SCHEMA)
BASE_REQUESTS: list[dict[str, Any]] = [
    {"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1},
    {"type": "reset", "processes": 3, "config": {"max_io": 8}},
    {"type": "apply", "id": 1, "pid": 1, "op": {"op": "Drop", "args": {"handle": 1}}},
    {"type": "observe", "id": 2},
    {"type": "bye"},
]


def _parsed(raw: bytes) -> object:
    try:
        return parse_json(raw)
    except InputError:
        return None


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=st.sampled_from(BASE_REQUESTS).flatmap(mutated_json))
def test_an_accepted_request_is_valid_under_the_schema(raw: bytes) -> None:
    msg = _parsed(raw)
    try:
        decode_request(msg)
    except InputError:
        return
    REQUEST.validate(msg)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=st.sampled_from(FILES).flatmap(mutated_json))
def test_an_accepted_file_is_valid_under_the_schema(raw: bytes) -> None:
    data = _parsed(raw)
    try:
        validate(data)
    except InputError:
        return
    FILE.validate(data)


@pytest.mark.parametrize(
    "msg",
    [
        {"type": "reset", "processes": 257, "config": {}},
        {"type": "reset", "processes": 1, "config": {"max_io": -1}},
        {"type": "apply", "id": 1, "pid": 1 << 63, "op": {"op": "Spawn", "args": {}}},
        {"type": "apply", "id": True, "pid": 1, "op": {"op": "Spawn", "args": {}}},
        {"type": "observe", "id": 1.5},
    ],
)
def test_a_request_beyond_a_limit_is_invalid_under_both(msg: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        decode_request(msg)
    with pytest.raises(jsonschema.ValidationError):
        REQUEST.validate(msg)


def test_a_file_beyond_a_limit_is_invalid_under_both() -> None:
    data = json.loads(json.dumps(FILES[0]))
    data["processes"] = 257
    with pytest.raises(InputError):
        check_structure(data)
    with pytest.raises(jsonschema.ValidationError):
        FILE.validate(data)
