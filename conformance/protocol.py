"""The JSON-lines protocol, suite side: drive any program on stdin/stdout.

``PROTOCOL.md`` is the normative description and ``protocol.schema.json`` the
JSON Schema of every message. In short, one JSON object per line each way:

    suite  -> {"type": "hello", "protocol": "veridian-ipc-conformance", "version": 1}
    target -> {"type": "hello", "version": 1, "name": "...", "groups": [...],
               "observes": "all" | "none" | [path, ...],     (observes: optional)
               "restricts": [{"op": ..., "field": ..., ...}]}  (optional)
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

The program runs in a session (and process group) of its own: on close or
failure the whole group is killed, so nothing the target forked outlives the
run, and a Ctrl-C meant for the suite reaches the suite alone (which then ends
the group). Its standard error is drained by a thread that keeps only the last
``STDERR_KEPT`` bytes: a target that floods it costs neither memory nor disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from typing import IO, NoReturn

from veridian_ipc.spec import Config
from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import Operation

from .inbound import clip
from .observation import EVERYTHING, Observes, ObservesError, parse_observes, project
from .restrictions import (
    NO_RESTRICTIONS,
    Restrictions,
    RestrictsError,
    parse_restricts,
)
from .surface import ALL_GROUPS
from .targets import TargetFailure
from .wire import WireError, encode_config, encode_op, normalize_observation

PROTOCOL = "veridian-ipc-conformance"
VERSION = 1
#: Longest line accepted from a target (an observation of a small system is a
#: few kilobytes).
MAX_LINE = 1 << 24
#: Seconds between checks that a silent target is still running.
EXIT_POLL = 0.25
#: Bytes of the target's standard error kept (the most recent ones).
STDERR_KEPT = 64 * 1024
#: Bytes of that tail shown in a failure message.
STDERR_SHOWN = 2000


def dumps(msg: Data) -> bytes:
    """One protocol line."""
    return json.dumps(msg, separators=(",", ":"), sort_keys=True).encode() + b"\n"


def check_result(data: Data) -> str | None:
    """Why ``data`` is not a result a target may answer (None if it is one).

    ``{"ok": value}``, or ``{"error": name}`` with an optional ``"detail"``
    string beside it. ``name`` is any string: the spec's errors are
    ``IpcError`` names, and any other name (a target's own ``EFOO``, a catch-all
    ``Other``) is a result like any other, compared with the spec's and so a
    divergence of kind ``result``, never a protocol failure. ``detail`` is
    kept in the trace and never compared."""
    if not isinstance(data, dict):
        return "a result is an object with exactly one of 'ok', 'error'"
    if "error" in data:
        name = data["error"]
        if not isinstance(name, str):
            return f"an error name is a string, not {clip(repr(name))}"
        extra = set(data) - {"error", "detail"}
        if extra:
            shown = clip(repr(sorted(extra)))
            return f"an error result has only 'error' and 'detail', not {shown}"
        if not isinstance(data.get("detail", ""), str):
            return f"an error's detail is a string, not {clip(repr(data['detail']))}"
        return None
    if "ok" not in data or len(data) != 1:
        return "a result is an object with exactly one of 'ok', 'error'"
    return None


def _status_text(code: int | None) -> str:
    """How a program ended, from its ``returncode``."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}, exit status {code}"
    return f"exit status {code}"


class StderrTail:
    """Drains a pipe on a thread of its own, keeping only its last ``limit``
    bytes (and how many were read in all)."""

    def __init__(self, pipe: IO[bytes], limit: int = STDERR_KEPT) -> None:
        self.limit = limit
        self.total = 0
        self._kept = bytearray()
        self._lock = threading.Lock()
        self._pipe = pipe
        self._thread = threading.Thread(
            target=self._drain, name="target-stderr", daemon=True
        )
        self._thread.start()

    def _drain(self) -> None:
        fd = self._pipe.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            with self._lock:
                self.total += len(chunk)
                self._kept += chunk
                if len(self._kept) > self.limit:
                    del self._kept[: len(self._kept) - self.limit]

    def tail(self) -> bytes:
        """The last bytes read (at most ``limit``)."""
        with self._lock:
            return bytes(self._kept)

    def close(self, wait: float = 2.0) -> None:
        """Wait for the end of the stream (the writers are gone), then close."""
        self._thread.join(wait)
        if not self._thread.is_alive():
            with contextlib.suppress(OSError):
                self._pipe.close()


class ProcessDriver:
    """A target program speaking the protocol on its stdin/stdout."""

    def __init__(
        self,
        argv: Sequence[str],
        timeout: float = 10.0,
        groups: Iterable[str] | None = None,
        *,
        name: str | None = None,
        env: dict[str, str] | None = None,
        observes: Observes | None = None,
        restricts: Restrictions | None = None,
    ) -> None:
        self.argv = list(argv)
        self.name = name if name is not None else " ".join(self.argv)
        self.timeout = timeout
        self.env = env
        self.claimed: frozenset[str] | None = None
        if groups is not None:
            self.claimed = frozenset(groups)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr: StderrTail | None = None
        self.buffer = b""
        self.next_id = 0
        self.step = 0
        self.groups: frozenset[str] = frozenset()
        #: What the target observes: its ``hello``'s ``observes`` unless
        #: ``observes`` was given (``conform --observes``), which overrides it.
        self.claimed_observes = observes
        self.observes: Observes = EVERYTHING
        #: What the target cannot express (``restrictions``): its ``hello``'s
        #: ``restricts`` unless ``restricts`` was given (``conform
        #: --restricts``), which overrides it.
        self.claimed_restricts = restricts
        self.restricts: Restrictions = NO_RESTRICTIONS
        self.target_name = ""
        try:
            self._start()
        except BaseException:  # Ctrl-C during the handshake: no orphan left
            self._kill()
            raise

    # -- process ---------------------------------------------------------------------

    def _start(self) -> None:
        self._kill()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
                env=self.env,
            )
        except OSError as exc:
            raise TargetFailure(f"cannot start target {self.name!r}: {exc}") from None
        assert self.proc.stderr is not None
        self.stderr = StderrTail(self.proc.stderr)
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
        try:
            seen = parse_observes(hello.get("observes", "all"))
        except ObservesError as exc:
            self._fail(f"declared an invalid observes: {exc}")
        claimed = self.claimed_observes
        self.observes = seen if claimed is None else claimed
        try:
            limits = parse_restricts(hello.get("restricts", []))
        except RestrictsError as exc:
            self._fail(f"declared an invalid restricts: {exc}")
        given = self.claimed_restricts
        self.restricts = limits if given is None else given
        self.target_name = str(hello.get("name", ""))

    def stderr_tail(self) -> bytes:
        """The last bytes (at most ``STDERR_KEPT``) the target wrote on its
        standard error (the current or the last program run)."""
        return b"" if self.stderr is None else self.stderr.tail()

    def _stderr_text(self) -> str:
        tail = self.stderr_tail()[-STDERR_SHOWN:].decode(errors="replace").strip()
        return f"\n--- target stderr (end) ---\n{tail}" if tail else ""

    def _kill(self) -> None:
        """End the program and everything in its process group (all ours: the
        group was made for it by this driver), then its pipes."""
        proc = self.proc
        if proc is None:
            return
        # The group outlives its leader while a member is alive, and its id is
        # not reused meanwhile: killing it after the leader exited is safe.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        if self.stderr is not None:
            self.stderr.close()
        self.proc = None  # ended: its group id is never signalled again

    def _fail(self, what: str) -> NoReturn:
        self._kill()
        raise TargetFailure(f"target {self.name!r} {what}{self._stderr_text()}")

    def _send(self, msg: Data) -> None:
        assert self.proc is not None
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(dumps(msg))
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            code = self.proc.poll()
            self._fail(
                f"exited ({_status_text(code)}) before reading {msg.get('type')!r}"
            )

    def _read_line(self) -> bytes:
        assert self.proc is not None
        assert self.proc.stdout is not None
        out = self.proc.stdout
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as sel:
            sel.register(out, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._fail(
                        f"did not answer within {self.timeout:g} s "
                        f"(step {self.step}); it was killed"
                    )
                if not sel.select(min(left, EXIT_POLL)):
                    # a program that exited while something it forked holds
                    # its output open: no end of output will come
                    code = self.proc.poll()
                    if code is not None:
                        self._fail(f"exited ({_status_text(code)}) at step {self.step}")
                    continue
                chunk = os.read(out.fileno(), 65536)
                if not chunk:
                    try:
                        code = self.proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        code = None
                    self._fail(
                        f"closed its output ({_status_text(code)}) at step {self.step}"
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
        """The target's observation, integer keys restored, cut down to what
        it observes (``{}``, without asking it, when it observes nothing)."""
        if self.observes.nothing:
            return {}
        self.next_id += 1
        self._send({"type": "observe", "id": self.next_id})
        msg = self._expect("observation", self.next_id)
        try:
            return normalize_observation(
                project(msg.get("observation"), self.observes),
                self.observes.sections,
            )
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
        self.proc = None
