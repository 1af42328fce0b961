"""The protocol server answers every bad input with one short ``fatal``.

Each input reproduced in issue 8 is an explicit example here: before the fix the
server raised (a traceback), accepted it, or kept the whole line in memory.
"""

from __future__ import annotations

import io
import json

import pytest

from veridian_ipc.conformance.inbound import MAX_LINE, MAX_PROCESSES
from veridian_ipc.conformance.serve import MAX_MESSAGE, serve
from veridian_ipc.conformance.targets import SpecTarget, load_class
from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.syscalls import Operation

from .helpers import MODEL

HELLO = b'{"type":"hello","protocol":"veridian-ipc-conformance","version":1}\n'
RESET = b'{"type":"reset","processes":2,"config":{}}\n'
PORT = b'{"op":"CreatePort","args":{"capacity":2}}'


def apply_line(pid: bytes, op: bytes = PORT) -> bytes:
    return b'{"type":"apply","id":1,"pid":' + pid + b',"op":' + op + b"}\n"


class RaisesOnApply:
    """A target whose ``apply`` raises what the test asks for."""

    error: BaseException = MemoryError()
    groups = ("caps", "ports", "errors")

    def __init__(self, processes: int, config: Config) -> None:
        self.processes = processes

    def apply(self, pid: int, op: Operation) -> Result:
        raise self.error

    def observe(self) -> dict[str, object]:
        return {}


class OSErrorOnApply(RaisesOnApply):
    error = OSError(12, "Cannot allocate memory")


class RaisesOnObserve(RaisesOnApply):
    def apply(self, pid: int, op: Operation) -> Result:
        return Ok(None)

    def observe(self) -> dict[str, object]:
        raise RuntimeError("x" * 10_000)


class RaisesOnReset(RaisesOnApply):
    def __init__(self, processes: int, config: Config) -> None:
        raise MemoryError


class UnencodableAnswer(RaisesOnObserve):
    def observe(self) -> dict[str, object]:
        return {"clock": 10**5000}


def run(data: bytes, cls: type = SpecTarget) -> tuple[int, list[dict[str, object]]]:
    """Serve ``data``: the status and the answers (every one a JSON object)."""
    out = io.BytesIO()
    status = serve(cls, ["caps", "ports", "errors"], io.BytesIO(data), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(isinstance(a, dict) for a in answers)
    return status, answers


def assert_fatal(data: bytes, words: str, cls: type = SpecTarget) -> str:
    status, answers = run(data, cls)
    assert status == 2
    assert answers
    assert answers[-1]["type"] == "fatal"
    assert all(a["type"] != "fatal" for a in answers[:-1])
    message = answers[-1]["message"]
    assert isinstance(message, str)
    assert len(message) <= MAX_MESSAGE
    assert words in message, message
    return message


MODEL_CLS = load_class(MODEL)

BIG_BUFFER = (
    b'{"type":"reset","processes":2,"config":{"max_buffer_size":'
    + str(1 << 62).encode()
    + b"}}\n"
    + apply_line(b"1", b'{"op":"CreateBuffer","args":{"size":' + b"1" * 18 + b"}}")
)

#: (name, input, target class, words of the fatal message): the issue's inputs.
ISSUE_INPUTS: list[tuple[str, bytes, type, str]] = [
    (
        "invalid UTF-8 in a string",
        HELLO + b'{"type":"re\xffset"}\n',
        SpecTarget,
        "UTF-8",
    ),
    (
        "pid missing",
        HELLO + RESET + b'{"type":"apply","id":1,"op":' + PORT + b"}\n",
        SpecTarget,
        "pid",
    ),
    ("pid a string", HELLO + RESET + apply_line(b'"1"'), SpecTarget, "pid"),
    ("pid a non-number string", HELLO + RESET + apply_line(b'"x"'), SpecTarget, "pid"),
    ("pid null", HELLO + RESET + apply_line(b"null"), SpecTarget, "pid"),
    ("pid NaN", HELLO + RESET + apply_line(b"NaN"), SpecTarget, "NaN"),
    ("pid 1e400", HELLO + RESET + apply_line(b"1e400"), SpecTarget, "out of range"),
    ("pid 1.9", HELLO + RESET + apply_line(b"1.9"), SpecTarget, "pid"),
    ("pid true", HELLO + RESET + apply_line(b"true"), SpecTarget, "pid"),
    (
        "pid beyond 64 bits",
        HELLO + RESET + apply_line(str(1 << 64).encode()),
        SpecTarget,
        "pid",
    ),
    (
        "a 5000-digit integer",
        HELLO + RESET + apply_line(b"9" * 5000),
        SpecTarget,
        "5000 digits",
    ),
    (
        "10^5-deep nesting",
        HELLO + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        SpecTarget,
        "nested too deeply",
    ),
    ("reset before hello", RESET, SpecTarget, "before 'hello'"),
    ("apply before hello", apply_line(b"1"), SpecTarget, "before 'hello'"),
    (
        "observe before hello",
        b'{"type":"observe","id":1}\n',
        SpecTarget,
        "before 'hello'",
    ),
    ("apply before reset", HELLO + apply_line(b"1"), SpecTarget, "before 'reset'"),
    (
        "processes 10^7",
        HELLO + b'{"type":"reset","processes":10000000,"config":{}}\n',
        SpecTarget,
        f"0..{MAX_PROCESSES}",
    ),
    (
        "processes -5",
        HELLO + b'{"type":"reset","processes":-5,"config":{}}\n',
        SpecTarget,
        "processes",
    ),
    (
        "a config limit of 10^30",
        HELLO
        + b'{"type":"reset","processes":2,"config":{"max_io":'
        + b"1"
        + b"0" * 30
        + b"}}\n",
        SpecTarget,
        "max_io",
    ),
    (
        "version true",
        b'{"type":"hello","protocol":"veridian-ipc-conformance","version":true}\n',
        SpecTarget,
        "version",
    ),
    (
        # refused when the configuration is made (Config's bounds), before
        # the model could try to map that much memory
        "a config limit the machine cannot honour",
        HELLO + BIG_BUFFER,
        MODEL_CLS,
        "max_buffer_size must be in [1, 1073741824]",
    ),
    (
        "MemoryError in apply",
        HELLO + RESET + apply_line(b"1"),
        RaisesOnApply,
        "MemoryError",
    ),
    ("OSError in apply", HELLO + RESET + apply_line(b"1"), OSErrorOnApply, "OSError"),
    ("MemoryError in the constructor", HELLO + RESET, RaisesOnReset, "MemoryError"),
    (
        "an exception with a huge message in observe",
        HELLO + RESET + b'{"type":"observe","id":1}\n',
        RaisesOnObserve,
        "RuntimeError",
    ),
    (
        "an answer that cannot be encoded",
        HELLO + RESET + b'{"type":"observe","id":1}\n',
        UnencodableAnswer,
        "cannot be encoded",
    ),
    ("hello twice", HELLO + HELLO, SpecTarget, "twice"),
    ("an unknown field", HELLO + b'{"type":"bye","x":1}\n', SpecTarget, "unknown"),
]


@pytest.mark.parametrize(
    ("data", "cls", "words"),
    [case[1:] for case in ISSUE_INPUTS],
    ids=[case[0] for case in ISSUE_INPUTS],
)
def test_bad_input_gets_one_short_fatal(data: bytes, cls: type, words: str) -> None:
    assert_fatal(data, words, cls)


def test_a_long_line_is_refused_without_being_read_whole() -> None:
    line = b'{"type":"' + b"x" * (MAX_LINE + 1000) + b'"}\n'
    inp = io.BytesIO(HELLO + line + b'{"type":"bye"}\n')
    out = io.BytesIO()
    assert serve(SpecTarget, ["caps"], inp, out) == 2
    fatal = json.loads(out.getvalue().splitlines()[-1])
    assert fatal == {"type": "fatal", "message": f"line longer than {MAX_LINE} bytes"}
    # the server read no more than the limit (and one byte) of the long line
    assert inp.tell() <= len(HELLO) + MAX_LINE + 1


def test_a_line_of_exactly_the_limit_is_read() -> None:
    line = b'{"type":"bye"}'
    padded = line + b" " * (MAX_LINE - len(line) - 1) + b"\n"
    assert len(padded) == MAX_LINE
    status, answers = run(HELLO + padded)
    assert status == 0
    assert [a["type"] for a in answers] == ["hello"]


def test_a_long_bad_message_is_not_echoed() -> None:
    line = b'{"type":"' + b"y" * (MAX_LINE // 2) + b'"}\n'
    message = assert_fatal(HELLO + line, "unknown message type")
    assert len(message) <= MAX_MESSAGE


def test_a_valid_session_still_works_on_the_model() -> None:
    observe = b'{"type":"observe","id":2}\n'
    data = HELLO + RESET + apply_line(b"1") + observe + b'{"type":"bye"}\n'
    status, answers = run(data, MODEL_CLS)
    assert status == 0
    assert [a["type"] for a in answers] == ["hello", "ready", "result", "observation"]
    assert answers[2] == {"type": "result", "id": 1, "result": {"ok": 1}}
