"""In-process fake targets (``module:Class``), wrong or unruly in one way each.

Imported as ``fake_targets`` with this directory on the import path, in the
test process and in the worker process that ``conform`` runs them in.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.results import Data, Err, Result
from veridian_ipc.vocabulary.syscalls import Operation

GROUPS = ("caps", "ports", "errors")


class Small(SpecTarget):
    """The spec, on a few groups (short runs)."""

    groups = GROUPS


class ClockAhead(Small):
    """Starts with its clock one tick ahead, and fails every operation."""

    def apply(self, pid: int, op: Operation) -> Result:
        return Err(IpcError.InvalidArgument)

    def observe(self) -> Data:
        obs = super().observe()
        return {**obs, "clock": obs["clock"] + 1}


class ObservesNone(Small):
    """Observes nothing at all."""

    def observe(self) -> Data:
        return None


class ObservesGarbage(Small):
    """Observes a string."""

    def observe(self) -> Data:
        return "garbage"


class ObservesStrangeObjects(Small):
    """An observation holding things that are not plain data."""

    def observe(self) -> Data:
        return {**super().observe(), "ports": {object(): {1, 2}}}


#: Operations applied so far in this process, by every instance.
CALLS = [0]


class SeventhCallWrong(Small):
    """Wrong on the 7th operation this process applies (across examples):
    history-dependent, so replaying the same steps does not diverge."""

    def apply(self, pid: int, op: Operation) -> Result:
        CALLS[0] += 1
        result = super().apply(pid, op)
        if CALLS[0] == 7:
            return Err(IpcError.Timeout)
        return result


class SometimesWrong(Small):
    """Wrong once in 40 operations, by a seeded generator shared by every
    instance: the divergence seldom reproduces on the same steps."""

    rng = random.Random(8)

    def apply(self, pid: int, op: Operation) -> Result:
        result = super().apply(pid, op)
        if self.rng.randrange(40) == 0:
            return Err(IpcError.Timeout)
        return result


class Sleeps(Small):
    """Sleeps in its first operation, far longer than any step timeout; writes
    its pid to ``$VERIDIAN_FAKE_PIDFILE`` (if set) first."""

    def apply(self, pid: int, op: Operation) -> Result:
        where = os.environ.get("VERIDIAN_FAKE_PIDFILE")
        if where:
            Path(where).write_text(str(os.getpid()))
        time.sleep(300)
        return super().apply(pid, op)


class Exits(Small):
    """Calls ``sys.exit(0)`` in its first operation."""

    def apply(self, pid: int, op: Operation) -> Result:
        sys.exit(0)


class HardExits(Small):
    """Calls ``os._exit(0)`` in its first operation."""

    def apply(self, pid: int, op: Operation) -> Result:
        os._exit(0)


class Aborts(Small):
    """Dies of a signal (``os.abort``) in its first operation."""

    def apply(self, pid: int, op: Operation) -> Result:
        os.abort()


class Chatty(Small):
    """Correct, but prints on standard output (and reads standard input) as
    it goes, as debugging code does."""

    def apply(self, pid: int, op: Operation) -> Result:
        print(f"chatty: {pid} {op!r}")
        os.write(1, b"chatty: raw\n")
        sys.stdin.read(1)
        return super().apply(pid, op)
