"""The capability invariant on projected states, by substitution.

``Part.invariant_failures`` (``faithful``) builds each conjunct anew on every
projected state: for the capability encoding, a dozen quantified formulas
over nested arrays, whose construction through the z3 API costs more than
deciding them. ``CapsPart`` builds each conjunct once, over a symbolic state
of the system, and substitutes the projected state's field terms into it
(z3's ``substitute``, one call per conjunct): the same claim, decided by the
same ``holds``. Verdicts are memoised on the projected terms' ids, as in
``faithful``.
"""

from __future__ import annotations

from dataclasses import dataclass

from veridian_ipc.spec import KernelState

from ._smt import Term, substitute
from .faithful import Part, holds
from .induction import State, System, symbolic_state

#: Per system (kept alive: ids not reused): its symbolic state and each
#: conjunct's name and formula over it.
_SYMBOLIC: dict[int, tuple[System, State, list[tuple[str, Term]]]] = {}
#: Verdicts by (system, projected field ids); the states are kept alive.
_VERDICTS: dict[tuple[object, ...], tuple[list[str], State]] = {}
_MAX = 20_000


def _symbolic(system: System) -> tuple[State, list[tuple[str, Term]]]:
    found = _SYMBOLIC.get(id(system))
    if found is None or found[0] is not system:
        sym = symbolic_state(system, "@inv")
        found = (system, sym, [(c.name, c.holds(sym)) for c in system.conjuncts])
        _SYMBOLIC[id(system)] = found
    return found[1], found[2]


def failing(system: System, st: State) -> list[str]:
    """The conjuncts of ``system``'s invariant false on the closed state ``st``."""
    key = (id(system), *((k, st[k].get_id()) for k in sorted(st)))
    known = _VERDICTS.get(key)
    if known is not None:
        return known[0]
    sym, conjuncts = _symbolic(system)
    pairs = [(sym[f], st[f]) for f in sym]
    out = [name for name, t in conjuncts if not holds(substitute(t, *pairs))]
    if len(_VERDICTS) >= _MAX:
        _VERDICTS.clear()
    _VERDICTS[key] = (out, st)
    return out


@dataclass(frozen=True, slots=True)
class CapsPart(Part):
    """The capability part: ``Part``, with the invariant by substitution."""

    def invariant_failures(
        self, s: KernelState, system: System | None = None
    ) -> list[str]:
        """The conjuncts failing on the projection of ``s``, labelled."""
        if self.project is None:
            return []
        system = self.system if system is None else system
        out: list[str] = []
        for label, st in self.project(s):
            prefix = f"{label}: " if label else ""
            out += [
                f"{prefix}invariant {n} fails on the projected state"
                for n in failing(system, st)
            ]
        return out
