"""The JSON-lines protocol, suite side: drive any program on stdin/stdout.

``PROTOCOL.md`` is the normative description and ``protocol.schema.json`` the
JSON Schema of every message. In short, one JSON object per line each way:

    suite  -> {"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1}
    target -> {"type": "hello", "version": 1, "name": "...", "groups": [...]}
    suite  -> {"type": "reset", "processes": 3, "config": {...}}
    target -> {"type": "ready"}
    suite  -> {"type": "apply", "id": 1, "pid": 1, "op": {"op": "CreatePort", ...}}
    target -> {"type": "result", "id": 1, "result": {"ok": 1}}
    suite  -> {"type": "observe", "id": 2}
    target -> {"type": "observation", "id": 2, "observation": {...}}
    suite  -> {"type": "bye"}

``ProcessDriver`` starts the program, checks every answer, and turns a crash
(end of output), a hang (no answer within the per-step timeout; the program is
then killed) or a malformed answer into a ``TargetFailure`` that says what
happened and shows the end of the program's standard error. It never waits
without a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from typing import IO, NoReturn

from veridian_ipc.spec import Config, IpcError
from veridian_ipc.spec.results import Data
from veridian_ipc.spec.syscalls import Operation

from .surface import ALL_GROUPS
from .targets import TargetFailure
from .wire import WireError, encode_config, encode_op, normalize_observation

PROTOCOL = "veridian-ipc-conformance"
VERSION = 1
#: Longest line accepted from a target (an observation of a small system is a
#: few kilobytes).
MAX_LINE = 1 << 24


def dumps(msg: Data) -> bytes:
    """One protocol line."""
    return json.dumps(msg, separators=(",", ":"), sort_keys=True).encode() + b"\n"


def check_result(data: Data) -> str | None:
    """Why ``data`` is not an encoded result (None if it is one)."""
    if not isinstance(data, dict) or len(data) != 1:
        return "a result is an object with exactly one of 'ok', 'error'"
    if "error" in data:
        if data["error"] not in IpcError.__members__:
            return f"unknown error name {data['error']!r}"
        return None
    if "ok" not in data:
        return "a result is an object with exactly one of 'ok', 'error'"
    return None


class ProcessDriver:
    """A target program speaking the protocol on its stdin/stdout."""

    def __init__(
        self,
        argv: Sequence[str],
        timeout: float = 10.0,
        groups: Iterable[str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.name = " ".join(self.argv)
        self.timeout = timeout
        self.claimed: frozenset[str] | None = None
        if groups is not None:
            self.claimed = frozenset(groups)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr: IO[bytes] | None = None
        self.buffer = b""
        self.next_id = 0
        self.step = 0
        self.groups: frozenset[str] = frozenset()
        self.target_name = ""
        self._start()

    # -- process ---------------------------------------------------------------------

    def _start(self) -> None:
        self._kill()
        if self.stderr is not None:
            self.stderr.close()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives with the process)
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                bufsize=0,
            )
        except OSError as exc:
            self.stderr.close()
            self.stderr = None
            raise TargetFailure(f"cannot start target {self.name!r}: {exc}") from None
        self.buffer = b""
        self._send({"type": "hello", "protocol": PROTOCOL, "version": VERSION})
        hello = self._expect("hello")
        if hello.get("version") != VERSION:
            self._fail(
                f"speaks protocol version {hello.get('version')!r}, not {VERSION}"
            )
        groups = hello.get("groups")
        if not isinstance(groups, list) or not all(g in ALL_GROUPS for g in groups):
            self._fail(
                f"declared invalid groups {groups!r} (known: {list(ALL_GROUPS)})"
            )
        declared = frozenset(groups)
        if self.claimed is not None and not self.claimed <= declared:
            self._fail(f"does not implement {sorted(self.claimed - declared)}")
        self.groups = declared if self.claimed is None else self.claimed
        self.target_name = str(hello.get("name", ""))

    def _stderr_tail(self) -> str:
        if self.stderr is None:
            return ""
        try:
            self.stderr.seek(0, os.SEEK_END)
            size = self.stderr.tell()
            self.stderr.seek(max(0, size - 2000))
            tail = self.stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return f"\n--- target stderr (end) ---\n{tail}" if tail else ""

    def _kill(self) -> None:
        """End the program (it is ours: started by this driver) and its pipes."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _fail(self, what: str) -> NoReturn:
        self._kill()
        tail = self._stderr_tail()
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        raise TargetFailure(f"target {self.name!r} {what}{tail}")

    def _send(self, msg: Data) -> None:
        assert self.proc is not None
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(dumps(msg))
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            code = self.proc.poll()
            self._fail(f"exited (status {code}) before reading {msg.get('type')!r}")

    def _read_line(self) -> bytes:
        assert self.proc is not None
        assert self.proc.stdout is not None
        out = self.proc.stdout
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as sel:
            sel.register(out, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self._fail(
                        f"did not answer within {self.timeout:g} s "
                        f"(step {self.step}); it was killed"
                    )
                chunk = os.read(out.fileno(), 65536)
                if not chunk:
                    try:
                        code = self.proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        code = None
                    self._fail(
                        f"closed its output (exit status {code}) at step {self.step}"
                    )
                self.buffer += chunk
                if len(self.buffer) > MAX_LINE:
                    self._fail(f"sent a line longer than {MAX_LINE} bytes")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def _expect(self, kind: str, ident: int | None = None) -> dict[str, Data]:
        line = self._read_line()
        try:
            msg = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            shown = line[:200].decode(errors="replace")
            self._fail(f"sent malformed JSON at step {self.step}: {shown!r}")
        if not isinstance(msg, dict):
            self._fail(f"sent {msg!r}, not a JSON object, at step {self.step}")
        if msg.get("type") == "fatal":
            self._fail(f"reported a fatal error: {msg.get('message')!r}")
        if msg.get("type") != kind:
            self._fail(f"answered {msg.get('type')!r} where {kind!r} was expected")
        if ident is not None and msg.get("id") != ident:
            self._fail(f"answered id {msg.get('id')!r} where {ident} was expected")
        out: dict[str, Data] = msg
        return out

    # -- driver interface --------------------------------------------------------------

    def reset(self, processes: int, config: Config) -> None:
        """A fresh system in the target (restarting the program if it died)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.step = 0
        self._send(
            {"type": "reset", "processes": processes, "config": encode_config(config)}
        )
        self._expect("ready")

    def apply(self, pid: int, op: Operation) -> Data:
        """The target's encoded result of ``op``."""
        self.step += 1
        self.next_id += 1
        self._send(
            {"type": "apply", "id": self.next_id, "pid": pid, "op": encode_op(op)}
        )
        msg = self._expect("result", self.next_id)
        result = msg.get("result")
        problem = check_result(result)
        if problem is not None:
            self._fail(
                f"sent a malformed result {result!r} at step {self.step}: {problem}"
            )
        return result

    def observe(self) -> Data:
        """The target's observation, integer keys restored."""
        self.next_id += 1
        self._send({"type": "observe", "id": self.next_id})
        msg = self._expect("observation", self.next_id)
        try:
            return normalize_observation(msg.get("observation"))
        except WireError as exc:
            self._fail(f"sent a malformed observation at step {self.step}: {exc}")

    def close(self) -> None:
        """Say goodbye and make sure the program is gone."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(dumps({"type": "bye"}))
                self.proc.stdin.close()
                self.proc.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        self.proc = None
