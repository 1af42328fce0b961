"""Hand-made conformance reports for the verdict and report tests: several
distinct divergences on several rules, one at reset (on no rule)."""

from __future__ import annotations

from typing import Any

from veridian_ipc.spec import RuleId

#: Groups the hand-made target declares.
DECLARED = ["caps", "ports", "errors", "messages", "rights"]


def step(op: str, args: dict[str, Any], rules: list[str], **more: Any) -> Any:
    """One trace step, as ``trace_data`` gives it."""
    return {
        "pid": 1,
        "op": {"op": op, "args": args},
        "spec": {"ok": None},
        "target": {"ok": None},
        "rules": rules,
        **more,
    }


def divergence(
    ident: str, rule: str | None, op: str, kind: str, steps: list[Any], **more: Any
) -> Any:
    """One distinct divergence in the shape of ``Report.divergences``."""
    return {
        "id": ident,
        "signature": {"rule": rule, "op": op, "kind": kind},
        "count": more.pop("count", 1),
        "step": len(steps),
        "kind": kind,
        "message": more.pop("message", f"{op}: spec differs from target"),
        "diff": [{"path": "$.ok", "spec": None, "target": 1}],
        "check": None,
        "steps": steps,
        "trace": more.pop("trace", None),
        "reproduced": True,
        "original_length": len(steps),
        **more,
    }


SEND = step(
    "Send",
    {"handle": 1, "msg_type": 7, "flags": 0, "data": "ab" * 64, "caps": []},
    ["PORT-SEND", "MSG-LIMITS", "MSG-SENDER", "RIGHTS-REQUIRED", "ERR-ENUM"],
)
CREATE = step("CreatePort", {"capacity": 2}, ["PORT-CREATE", "ERR-ENUM"])
DERIVE = step(
    "Derive",
    {"handle": 1, "rights": ["send"]},
    ["RIGHTS-DERIVE", "CAP-HANDLE", "ERR-ENUM"],
)

DIVERGENCES: list[Any] = [
    divergence("D1", "PORT-SEND", "Send", "result", [CREATE, SEND], count=7),
    divergence(
        "D2",
        "PORT-SEND",
        "Send",
        "observation",
        [CREATE, SEND],
        message="after Send: differs at $.ports | a pipe",
    ),
    divergence("D3", "RIGHTS-DERIVE", "Derive", "result", [CREATE, DERIVE]),
    divergence(
        "D4",
        None,
        "reset",
        "observation",
        [],
        message="the initial state differs",
        step=0,
    ),
]

#: Rules exercised, and how often (the others: 0).
COUNTS: dict[str, int] = {
    "PROC-SPAWN": 3,
    "PORT-CREATE": 40,
    "PORT-SEND": 100,
    "PORT-RECEIVE": 12,
    "ERR-ENUM": 200,
    "ERR-PRECEDENCE": 200,
    "CAP-HANDLE": 5,
}


def report(
    divergences: list[Any] | None = None,
    counts: dict[str, int] | None = None,
    status: str = "diverged",
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """A report as ``Report.to_json`` gives it, with ``divergences``."""
    chosen = COUNTS if counts is None else counts
    divs = DIVERGENCES if divergences is None else divergences
    return {
        "target": "hand-made",
        "groups": DECLARED if groups is None else groups,
        "mode": "exact",
        "profile": "ci",
        "seed": 0,
        "status": status,
        "examples": 10,
        "steps": 300,
        "seconds": 1.5,
        "failure": None,
        "divergence": divs[0] if divs else None,
        "divergences": divs,
        "coverage": {
            "rules": {
                r.value: {"count": chosen.get(r.value, 0), "errors": {}} for r in RuleId
            }
        },
    }
