"""Error comparison modes and the difference between two plain-data values.

Only ``exact`` counts as conformance: the same result, the same error (codes
and their precedence are normative, ERR-ENUM / ERR-PRECEDENCE). The lenient
modes help bring a new target up, after Cedar's error comparison modes:

- ``family``: a different error of the same family is accepted;
- ``okfail``: any error is accepted where the spec fails.

Either way the target must fail where the spec fails and succeed where it
succeeds, and every accepted difference is recorded as a *leniency* in the
report.
"""

from __future__ import annotations

from enum import Enum

from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.results import Data


class Mode(Enum):
    """How errors are compared."""

    EXACT = "exact"
    FAMILY = "family"
    OKFAIL = "okfail"


E = IpcError
#: Error families, for ``family`` mode: what kind of thing went wrong.
FAMILIES: dict[IpcError, str] = {
    E.InvalidCapability: "authority",
    E.InsufficientRights: "authority",
    E.InvalidArgument: "argument",
    E.InvalidMessage: "argument",
    E.MessageTooLarge: "argument",
    E.OutOfBounds: "argument",
    E.OutOfMemory: "resource",
    E.PortFull: "resource",
    E.WouldBlock: "resource",
    E.RateLimited: "resource",
    E.PortClosed: "state",
    E.Timeout: "state",
    E.NotConnected: "state",
    E.AlreadyConnected: "state",
    E.Filtered: "state",
    E.PortNotFound: "namespace",
    E.NameInUse: "namespace",
    E.TypeMismatch: "namespace",
    E.NoSuchProcess: "process",
    E.ProcessBlocked: "process",
}


def family_of(name: str) -> str | None:
    """The family of the error called ``name`` (None for an unknown name)."""
    err = IpcError.__members__.get(name)
    return None if err is None else FAMILIES[err]


def results_agree(
    mode: Mode, spec: Data, target: Data
) -> tuple[bool, tuple[str, str] | None]:
    """Whether ``target`` is acceptable for ``spec`` under ``mode``, and the
    leniency used (spec error, target error) if it took one."""
    if spec == target:
        return True, None
    if mode is Mode.EXACT:
        return False, None
    if not (isinstance(spec, dict) and isinstance(target, dict)):
        return False, None
    se, te = spec.get("error"), target.get("error")
    if not (isinstance(se, str) and isinstance(te, str)):
        return False, None
    if mode is Mode.OKFAIL or family_of(se) == family_of(te) is not None:
        return True, (se, te)
    return False, None


def diff(spec: Data, target: Data, path: str = "", limit: int = 20) -> list[Data]:
    """Where ``target`` differs from ``spec``: ``[{"path", "spec", "target"}]``."""
    out: list[Data] = []
    _diff(spec, target, path or "$", out, limit)
    return out


_MISSING = "<absent>"


def _diff(s: Data, t: Data, path: str, out: list[Data], limit: int) -> None:
    if len(out) >= limit or s == t:
        return
    if isinstance(s, dict) and isinstance(t, dict):
        keys = list(s) + [k for k in t if k not in s]
        for k in keys:
            _diff(s.get(k, _MISSING), t.get(k, _MISSING), f"{path}.{k}", out, limit)
        return
    if isinstance(s, list) and isinstance(t, list) and len(s) == len(t):
        for i, (a, b) in enumerate(zip(s, t, strict=True)):
            _diff(a, b, f"{path}[{i}]", out, limit)
        return
    out.append({"path": path, "spec": s, "target": t})
