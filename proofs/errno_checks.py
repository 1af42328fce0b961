"""POSIX-ERRNO: the errno mapping is total and consistent, as solver checks.

The table is the spec's own data (``errors.ERRNO_NAMES`` and
``ERRNO_VALUES``), encoded as an if-chain from error codes to errno numbers.
Claims:

- *total*: every ``IpcError`` code maps to one of the defined errno numbers;
- *unambiguous*: errno names have distinct numbers, so a number names one errno;
- *documented*: every errno the POSIX rules' docstrings name next to an error
  (``- ``NotConnected``: ... (``ENOTCONN``)``) is the one the table gives.

The negative control drops one error from the table (totality must fail).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from veridian_ipc.spec import RULES, IpcError, RuleId
from veridian_ipc.vocabulary.errors import ERRNO_NAMES, ERRNO_VALUES

from ._smt import And, Distinct, If, Implies, Int, IntVal, Model, Or, Term, model_value
from .induction import Check

_DOC_ERRNO = re.compile(r"^\s*-\s+``([A-Za-z]+)``.*?\(``(E[A-Z]+)``\)", re.S)


def errno_term(code: Term, names: Mapping[IpcError, str]) -> Term:
    """The errno number of error ``code`` per ``names`` (-1 where unmapped)."""
    out: Term = IntVal(-1)
    for err, name in names.items():
        out = If(code == int(err), ERRNO_VALUES.get(name, -1), out)
    return out


def documented_errnos() -> list[tuple[RuleId, str, str]]:
    """(rule, error, errno) for every POSIX rule bullet that names an errno."""
    found: list[tuple[RuleId, str, str]] = []
    for rid, entry in RULES.items():
        if not rid.value.startswith("POSIX-"):
            continue
        bullets = re.split(r"\n(?=\s*- ``)", entry.doc)
        for b in bullets:
            m = _DOC_ERRNO.match(b)
            if m:
                found.append((rid, m.group(1), m.group(2)))
    return found


def errno_checks(names: Mapping[IpcError, str] = ERRNO_NAMES) -> list[Check]:
    """The POSIX-ERRNO claims over the table ``names``."""
    code = Int("error")
    is_error = Or(*[code == int(e) for e in IpcError])
    value = errno_term(code, names)
    defined = Or(*[value == v for v in ERRNO_VALUES.values()])

    def decode_total(model: Model) -> str:
        c = int(model_value(model, code))
        return f"{IpcError(c).name} (code {c}) has no errno in the table"

    checks = [
        Check("total", Implies(is_error, defined), decode_total),
        Check(
            "unambiguous",
            Distinct(*[IntVal(v) for v in ERRNO_VALUES.values()]),
            lambda m: "two errno names share a number",
        ),
    ]
    docs = documented_errnos()
    claims = [
        errno_term(IntVal(int(IpcError[err])), names) == ERRNO_VALUES[eno]
        for _, err, eno in docs
    ]

    def decode_docs(model: Model) -> str:
        bad = [
            f"{rid.value}: {err} documented as {eno}"
            for rid, err, eno in docs
            if names.get(IpcError[err]) != eno
        ]
        return "; ".join(bad) or "documented errno differs from the table"

    checks.append(Check("documented", And(True, *claims), decode_docs))
    return checks


def broken_table() -> dict[IpcError, str]:
    """The negative control: the table without its last error."""
    return {e: n for e, n in ERRNO_NAMES.items() if e is not max(ERRNO_NAMES)}
