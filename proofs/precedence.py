"""ERR-PRECEDENCE: each rule's check order is its documented order (the proof).

For each cascade of ``precedence_cascades`` (a rule's checks in code order),
the documented order is read at run time from the rule's docstring
(``RULES[rule].errors``), the same text the rule index prints. The solver
proves, for every assignment of the conditions (every combination of failing
conditions, subject to the few that cannot hold together), that the code's
first failing check returns exactly the first documented error whose
condition holds.
"""

from __future__ import annotations

from veridian_ipc.spec import RULES, IpcError, RuleId

from ._smt import And, Bool, If, Implies, IntVal, Model, Not, Term, model_value
from .induction import Check
from .precedence_cascades import CASCADES
from .precedence_conds import Cascade, Cond


def _result(order: list[tuple[str, Term]]) -> Term:
    out: Term = IntVal(0)
    for error, cond in reversed(order):
        out = If(cond, IntVal(int(IpcError[error])), out)
    return out


def cascade_check(c: Cascade, conds: tuple[Cond, ...] | None = None) -> Check:
    """Code order (``conds``, default the cascade's) vs documented order."""
    conds = c.conds if conds is None else conds
    var = {cond.label: Bool(f"{c.rule.value}: {cond.label}") for cond in conds}
    code = [(cond.error, var[cond.label]) for cond in conds]
    # the k-th documented bullet naming an error is the k-th check returning it
    documented = RULES[c.rule].errors
    pool = list(conds)
    doc: list[tuple[str, Term]] = []
    for name in documented:
        match = next((x for x in pool if x.error == name), None)
        if match is None:
            doc.append((name, Bool(f"{c.rule.value}: undocumented check {name}")))
            continue
        pool.remove(match)
        doc.append((name, var[match.label]))
    exact = And(True) if not pool else Bool(f"{c.rule.value}: unlisted")
    excl = [Not(And(var[a], var[b])) for a, b in c.exclusive]
    claim = And(
        exact == And(True), Implies(And(True, *excl), _result(code) == _result(doc))
    )

    def decode(model: Model) -> str:
        if pool:
            extra = [x.error for x in pool]
            return f"{c.rule.value}: checks not in the docstring: {extra}"
        failing = [cond.label for cond in conds if model_value(model, var[cond.label])]
        got = model_value(model, _result(code))
        want = model_value(model, _result(doc))
        return (
            f"{c.op.__name__} with failing conditions {failing}: the code returns "
            f"{IpcError(got).name if got else 'Ok'}, the documented order "
            f"{IpcError(want).name if want else 'Ok'}"
        )

    return Check(f"{c.rule.value} order", claim, decode, f"precedence: {c.rule.value}")


def precedence_checks() -> list[Check]:
    """One check per covered rule."""
    return [cascade_check(c) for c in CASCADES]


def broken_checks() -> list[Check]:
    """The negative control: PORT-SEND with its first two checks swapped."""
    send = next(c for c in CASCADES if c.rule is RuleId.PORT_SEND)
    swapped = (send.conds[1], send.conds[0], *send.conds[2:])
    return [cascade_check(send, swapped)]
