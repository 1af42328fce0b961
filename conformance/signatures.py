"""Signatures: when two divergences are "the same" one.

A run that keeps exploring after a divergence (``runner``, ``machine``) lists
each *distinct* divergence once. Two divergences are the same when they share
a ``Signature``:

- ``rule``: the rule the spec applied at the diverging step: the rule of the
  check its error stopped at (``StepRecord.check``, ERR-PRECEDENCE), else the
  first rule the step names (the operation's own), ``None`` at reset. When
  what the target did does not depend on the spec's path (a crash, a hang, an
  answer outside the protocol, an error name the spec does not have, a number
  reused, a failed step that changed state), it is the operation's own rule,
  whatever check the spec stopped at;
- ``op``: the diverging operation's name (``"reset"`` for the initial state);
- ``kind``: how the target disagreed:

  - ``result``: both succeeded, with different values;
  - ``error``: one side failed and the other did not, or both failed with
    different errors the spec knows; ``unknown-error``: the target answered an
    error name that is not one of the spec's (``IpcError``);
  - ``observation:<path>``: the results agree but the observation differs; the
    path is the first difference with every number (pid, handle, object id,
    list index) removed and cut to two names (``observation:ports.queue``),
    so the ids an example happened to allocate do not split one bug into many;
    ``observation:malformed`` for an observation that is not one;
  - ``atomicity``: a failed operation changed the target's observation
    (ERR-ATOMIC), whatever else differs;
  - ``invariant:<names>``: the target's observation breaks an invariant the
    monitors check (``monitors``), e.g. ``invariant:MON-FRESH``;
  - ``renaming``: a returned number cannot be bound (a number reused);
  - ``crash`` / ``hang`` / ``protocol``: the target exited, did not answer
    within the step timeout, or answered outside the protocol on that step;
  - ``spec``: the spec itself raised or broke an invariant (a spec bug).

So a target that answers the wrong error to every stale handle in ``Send``
is one divergence, however many examples reach it; the same wrong error in
``Receive`` is another (another operation), as is a wrong error in ``Send`` at
another rule's check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary.operations import OPS_BY_NAME
from veridian_ipc.vocabulary.results import Data

from .checker import Divergence, StepRecord
from .surface import STATIC_TAGS

#: What a target failure on a step is, by what the driver said.
HANG_MARK = "did not answer within"
CRASH_MARKS = ("exited", "closed its output", "raised", "fatal error")

#: Names of the spec's errors (anything else a target answers is unknown).
KNOWN_ERRORS = frozenset(e.name for e in IpcError)

#: Named components of an observation path kept in a signature.
PATH_DEPTH = 2


@dataclass(frozen=True, order=True)
class Signature:
    """What two divergences must share to count as one (module docstring)."""

    rule: str | None
    op: str
    kind: str

    def to_json(self) -> Data:
        """``{"rule", "op", "kind"}``."""
        return {"rule": self.rule, "op": self.op, "kind": self.kind}

    def __str__(self) -> str:
        return f"{self.rule or '-'} {self.op} {self.kind}"


def failure_kind(message: str) -> str:
    """``hang``, ``crash`` or ``protocol`` for a ``TargetFailure``'s message."""
    if HANG_MARK in message:
        return "hang"
    if any(mark in message for mark in CRASH_MARKS):
        return "crash"
    return "protocol"


def observation_path(path: str) -> str:
    """``$.ports.3.queue[0].data`` -> ``ports.queue``: names only, two at most."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p and p != "$"]
    names = [p for p in parts if not p.lstrip("-").isdigit()]
    return ".".join(names[:PATH_DEPTH]) or "$"


def _is_error(value: Data) -> bool:
    return isinstance(value, dict) and "error" in value


def step_rule(record: StepRecord) -> str | None:
    """The rule a signature names for a diverging step (module docstring)."""
    check = record.check
    if isinstance(check, dict) and isinstance(check.get("rule"), str):
        return str(check["rule"])
    if record.rules:
        return record.rules[0]
    return _own_rule(type(record.op).__name__, record)


def _result_kind(record: StepRecord | None) -> str:
    if record is None:
        return "result"
    spec, target = record.spec, record.target
    if _is_error(target) and isinstance(target, dict):
        name = target.get("error")
        if not isinstance(name, str) or name not in KNOWN_ERRORS:
            return "unknown-error"
        return "error"
    return "error" if _is_error(spec) else "result"


def _kind(div: Divergence, record: StepRecord | None) -> str:
    if "ERR-ATOMIC" in div.invariants:
        return "atomicity"
    if div.kind in ("crash", "hang", "protocol", "spec", "renaming"):
        return div.kind
    if div.invariants:
        return "invariant:" + ",".join(sorted(div.invariants))
    if div.kind == "observation":
        if not div.diff:
            return "observation:malformed"
        first = div.diff[0]
        path = first.get("path") if isinstance(first, dict) else None
        return "observation:" + observation_path(str(path or "$"))
    if div.kind == "result":
        return _result_kind(record)
    return div.kind


#: Kinds whose signature names the operation's own rule (module docstring).
PATHLESS = frozenset(
    {"crash", "hang", "protocol", "unknown-error", "renaming", "atomicity"}
)


def _own_rule(op_name: str, record: StepRecord | None = None) -> str | None:
    """The operation's own rule: the registry's, or for an operation whose rule
    depends on its object (``Close``) the first rule the spec applied on the
    step that is neither one the operation always exercises nor an ERR- rule
    every failing step applies."""
    spec = OPS_BY_NAME.get(op_name)
    if spec is not None and spec.rule is not None:
        return str(spec.rule)
    tags = STATIC_TAGS.get(op_name, ())
    shared = {str(t) for t in tags}
    if record is not None:
        for rule in record.rules:
            if rule not in shared and not rule.startswith("ERR-"):
                return rule
    return str(tags[0]) if tags else None


def signature_of(div: Divergence) -> Signature:
    """The signature of ``div`` (at reset: rule None, op ``reset``)."""
    record = div.steps[div.step - 1] if 0 < div.step <= len(div.steps) else None
    if record is None:
        return Signature(None, "reset", _kind(div, None))
    name = type(record.op).__name__
    kind = _kind(div, record)
    rule = _own_rule(name, record) if kind in PATHLESS else step_rule(record)
    return Signature(rule, name, kind)


__all__ = [
    "Signature",
    "failure_kind",
    "observation_path",
    "signature_of",
    "step_rule",
]
