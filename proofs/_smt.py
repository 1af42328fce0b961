"""The one module that imports z3 (STYLE 4.6): terms, sorts, ``prove`` and ``value``.

Every encoding builds its formulas from the names re-exported here, so the rest
of ``proofs/`` never touches z3 directly and z3's partial annotations stay in one
file. ``prove`` runs one solver frame per claim with a timeout (mypyvy's
``new_frame``) and returns ``Proved``, ``Counterexample`` or ``Unknown``;
``value`` evaluates a closed term (a concrete state substituted into an
encoding) to a Python value, which is how the encodings are tested against the
spec.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3
from z3 import (
    And,
    Array,
    ArraySort,
    BitVec,
    BitVecSort,
    BitVecVal,
    Bool,
    BoolSort,
    BoolVal,
    Distinct,
    Exists,
    ForAll,
    If,
    Implies,
    Int,
    IntSort,
    IntVal,
    K,
    Lambda,
    Not,
    Or,
    Select,
    Store,
    Sum,
    substitute,
)

#: A z3 term (z3's own classes are unannotated, so this is ``Any`` to mypy).
Term = Any
#: A z3 sort.
Sort = Any
#: A z3 model.
Model = Any

#: Width of a rights mask (RIGHTS-BITS: six defined bits).
RIGHTS_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Proved:
    """The claim holds for every assignment."""


@dataclass(frozen=True, slots=True)
class Counterexample:
    """The claim fails; ``model`` is an assignment that falsifies it."""

    model: Model


@dataclass(frozen=True, slots=True)
class Unknown:
    """The solver gave up (timeout or incompleteness); ``reason`` says why."""

    reason: str


Outcome = Proved | Counterexample | Unknown


def prove(claim: Term, timeout_ms: int = 10_000, seed: int = 0) -> Outcome:
    """Check that ``claim`` is valid: its negation is unsatisfiable.

    One fresh solver per claim (a frame of its own), bounded by ``timeout_ms``;
    ``seed`` varies the solver's heuristics (for a retry after ``Unknown``).
    """
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    if seed:
        solver.set("random_seed", seed)
    solver.add(z3.Not(claim))
    answer = solver.check()
    if answer == z3.unsat:
        return Proved()
    if answer == z3.sat:
        return Counterexample(solver.model())
    return Unknown(str(solver.reason_unknown()))


def int_sort() -> Sort:
    """The sort of mathematical integers."""
    return IntSort()


def rights_sort() -> Sort:
    """Rights masks as 6-bit vectors."""
    return BitVecSort(RIGHTS_WIDTH)


def rights_val(mask: int) -> Term:
    """A rights mask constant."""
    return BitVecVal(mask, RIGHTS_WIDTH)


def array_sort(domain: Sort, rng: Sort) -> Sort:
    """The sort of arrays from ``domain`` to ``rng``."""
    return ArraySort(domain, rng)


def int_to_int() -> Sort:
    """Int -> Int arrays (a table of ids, sizes or tokens)."""
    return ArraySort(IntSort(), IntSort())


def int_to_bool() -> Sort:
    """Int -> Bool arrays (a set of ids)."""
    return ArraySort(IntSort(), BoolSort())


def int_to_rights() -> Sort:
    """Int -> rights arrays (a rights mask per id)."""
    return ArraySort(IntSort(), rights_sort())


def int_to_int_to_int() -> Sort:
    """Int -> (Int -> Int) arrays (a table per process)."""
    return ArraySort(IntSort(), int_to_int())


def int_to_int_to_bool() -> Sort:
    """Int -> (Int -> Bool) arrays (a relation, or a set per process)."""
    return ArraySort(IntSort(), int_to_bool())


def const(name: str, sort: Sort) -> Term:
    """A fresh constant of ``sort``."""
    return z3.Const(name, sort)


def _filled(sort: Sort, empty: int) -> Term:
    """The value of ``sort`` that is ``empty`` everywhere."""
    if isinstance(sort, z3.ArraySortRef):
        return K(sort.domain(), _filled(sort.range(), empty))
    if sort == BoolSort():
        return BoolVal(bool(empty))
    if isinstance(sort, z3.BitVecSortRef):
        return BitVecVal(empty, sort.size())
    return IntVal(empty)


def finite_const(name: str, sort: Sort, n: int, empty: int = 0) -> Term:
    """A symbolic value of ``sort`` whose arrays are ``empty`` except at indices
    ``0..n``: a state of finite support, for finding counterexamples (every
    such value is a value of ``sort``)."""
    if not isinstance(sort, z3.ArraySortRef):
        return z3.Const(name, sort)
    arr = _filled(sort, empty)
    for i in range(n + 1):
        arr = Store(arr, i, finite_const(f"{name}[{i}]", sort.range(), n, empty))
    return arr


_EXPAND: list[list[int]] = []


class expanded_quantifiers:
    """Within this context ``forall`` builds the conjunction of its body over
    ``domain`` instead of a quantifier. Sound for states of finite support on
    ``domain`` whose conjuncts hold vacuously at empty entries."""

    def __init__(self, domain: Sequence[int]) -> None:
        self.domain = list(domain)

    def __enter__(self) -> None:
        _EXPAND.append(self.domain)

    def __exit__(self, *exc: object) -> None:
        _EXPAND.pop()


def subset(a: Term, b: Term) -> Term:
    """``a`` has no bit outside ``b`` (rights.is_subset on bit-vectors)."""
    return a & ~b == rights_val(0)


def has_bits(a: Term, needed: int) -> Term:
    """``a`` includes every bit of ``needed`` (rights.has on bit-vectors)."""
    return a & rights_val(needed) == rights_val(needed)


def forall(
    names: Sequence[str], sorts: Sequence[Sort], body: Callable[..., Term]
) -> Term:
    """``ForAll`` over fresh bound variables passed to ``body``."""
    if _EXPAND:
        dom = [IntVal(i) for i in _EXPAND[-1]]
        combos = itertools.product(dom, repeat=len(names))
        return And(True, *[body(*c) for c in combos])
    xs = [z3.Const(n, s) for n, s in zip(names, sorts, strict=True)]
    return ForAll(xs, body(*xs))


def lam(name: str, sort: Sort, body: Callable[[Term], Term]) -> Term:
    """``Lambda`` (an array given pointwise) over one fresh bound variable."""
    x = z3.Const(name, sort)
    return Lambda([x], body(x))


def value(term: Term) -> int | bool:
    """The Python value of a closed term (after simplification)."""
    t = z3.simplify(term)
    if z3.is_true(t):
        return True
    if z3.is_false(t):
        return False
    if z3.is_int_value(t) or z3.is_bv_value(t):
        return int(t.as_long())
    raise ValueError(f"not a closed value: {t}")


def truth(term: Term) -> bool:
    """The truth of a closed formula, quantifiers included (by the solver when
    simplification alone does not decide it)."""
    t = z3.simplify(term)
    if z3.is_true(t) or z3.is_false(t):
        return bool(z3.is_true(t))
    if isinstance(prove(t, 10_000), Proved):
        return True
    if isinstance(prove(z3.Not(t), 10_000), Proved):
        return False
    raise ValueError(f"undecided: {t}")


def model_value(model: Model, term: Term) -> int | bool:
    """``term`` evaluated in ``model`` (unconstrained parts completed)."""
    return value(model.eval(term, model_completion=True))


def model_text(model: Model, term: Term) -> str:
    """``term`` evaluated in ``model``, as text (for arrays)."""
    return str(z3.simplify(model.eval(term, model_completion=True)))


def int_array(default: int, items: dict[int, int]) -> Term:
    """A concrete array over Int: ``items`` on top of a constant ``default``."""
    arr = K(IntSort(), IntVal(default))
    for k, v in sorted(items.items()):
        arr = Store(arr, k, v)
    return arr


def bool_array(items: set[int] | frozenset[int]) -> Term:
    """A concrete Int -> Bool array true exactly on ``items``."""
    arr = K(IntSort(), BoolVal(False))
    for k in sorted(items):
        arr = Store(arr, k, True)
    return arr


def rights_array(items: dict[int, int]) -> Term:
    """A concrete Int -> rights array (0 elsewhere)."""
    arr = K(IntSort(), rights_val(0))
    for k, v in sorted(items.items()):
        arr = Store(arr, k, rights_val(v))
    return arr


def nested_int_array(default: int, items: dict[int, dict[int, int]]) -> Term:
    """A concrete Int -> (Int -> Int) array."""
    arr = K(IntSort(), K(IntSort(), IntVal(default)))
    for k, inner in sorted(items.items()):
        arr = Store(arr, k, int_array(default, inner))
    return arr


def nested_bool_array(items: dict[int, set[int]]) -> Term:
    """A concrete Int -> (Int -> Bool) array."""
    arr = K(IntSort(), K(IntSort(), BoolVal(False)))
    for k, inner in sorted(items.items()):
        arr = Store(arr, k, bool_array(inner))
    return arr


__all__ = [
    "RIGHTS_WIDTH",
    "And",
    "Array",
    "BitVec",
    "Bool",
    "BoolSort",
    "BoolVal",
    "Counterexample",
    "Distinct",
    "Exists",
    "ForAll",
    "If",
    "Implies",
    "Int",
    "IntSort",
    "IntVal",
    "K",
    "Model",
    "Not",
    "Or",
    "Outcome",
    "Proved",
    "Select",
    "Sort",
    "Store",
    "Sum",
    "Term",
    "Unknown",
    "array_sort",
    "bool_array",
    "const",
    "expanded_quantifiers",
    "finite_const",
    "forall",
    "has_bits",
    "int_array",
    "int_sort",
    "int_to_bool",
    "int_to_int",
    "int_to_int_to_bool",
    "int_to_int_to_int",
    "int_to_rights",
    "lam",
    "model_text",
    "model_value",
    "nested_bool_array",
    "nested_int_array",
    "prove",
    "rights_array",
    "rights_sort",
    "rights_val",
    "subset",
    "substitute",
    "truth",
    "value",
]
