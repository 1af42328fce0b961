"""The spec's loop-free helpers, translated to Z3, equal their hand encodings.

``translate`` reads a helper's source and builds its term; the equivalences
of ``helper_equivalences`` are proved for the real helpers and refuted for a
drifted copy of each (so the proof can fail). The translator refuses what it
does not translate (a loop) instead of guessing.
"""

from __future__ import annotations

import pytest
import z3

from veridian_ipc.proofs._smt import Counterexample, Proved, prove
from veridian_ipc.proofs.helper_equivalences import (
    DRIFTS,
    EQUIVALENCES,
    SOURCES,
    drifted,
    drifted_checks,
    equivalence_checks,
)
from veridian_ipc.proofs.translate import Equivalence, Untranslatable, translate


@pytest.mark.parametrize("eq", EQUIVALENCES, ids=[e.name for e in EQUIVALENCES])
def test_the_helper_equals_its_hand_encoding(eq: Equivalence) -> None:
    (check,) = [c for c in equivalence_checks() if c.name.endswith(eq.name)]
    assert isinstance(prove(check.claim), Proved)


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_a_drifted_helper_makes_the_equivalence_fail(name: str) -> None:
    assert drifted(name) != SOURCES[name]
    (check,) = [c for c in drifted_checks() if c.name.endswith(name)]
    assert isinstance(prove(check.claim), Counterexample)


def test_the_translation_follows_python_semantics() -> None:
    """Floor division and modulo on negative numbers, min/max, early return,
    chained comparisons: evaluated on constants, the term is what Python
    computes."""
    src = (
        "def f(a, b):\n"
        "    q = a // b\n"
        "    if q < 0:\n"
        "        return min(q, a % b)\n"
        "    return max(q, 0 <= a < b)\n"
    )

    def py(a: int, b: int) -> int:
        q = a // b
        return min(q, a % b) if q < 0 else max(q, int(0 <= a < b))

    for a, b in [(7, 2), (-7, 2), (7, -2), (-7, -2), (1, 3)]:
        env = {"a": z3.IntVal(a), "b": z3.IntVal(b)}
        src_int = src.replace("0 <= a < b", "(1 if 0 <= a < b else 0)")
        got = translate(src_int, env)
        assert z3.simplify(got).as_long() == py(a, b), (a, b)


def test_a_loop_is_refused() -> None:
    src = (
        "def f(n):\n"
        "    t = 0\n"
        "    for i in range(n):\n"
        "        t = t + i\n"
        "    return t\n"
    )
    with pytest.raises(Untranslatable):
        translate(src, {"n": z3.Int("n")})
