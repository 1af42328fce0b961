"""The translation reaches ``take_token`` and the ring arithmetic.

``translate`` inlines a helper the translated one calls, turns a
``Filter | IpcError`` result into a record with an error field, and
translates a sequence to its length, slices clipped as Python clips them.
``helper_equivalences`` then proves ``filters.take_token``,
``channels.push`` and ``channels.pop`` equal to the hand encodings; a drifted
copy of each is refuted (``test_translate``'s parametrised control).
"""

from __future__ import annotations

import pytest
import z3

from veridian_ipc.proofs.helper_equivalences import DRIFTS, EQUIVALENCES
from veridian_ipc.proofs.translate import ERROR, Seq, Untranslatable, translate

NEW = {"filters.take_token", "channels.push", "channels.pop"}


def test_the_new_helpers_are_equivalence_parts_with_a_drift() -> None:
    assert {eq.name for eq in EQUIVALENCES} >= NEW
    assert set(DRIFTS) >= NEW


def _length(v: object) -> int:
    assert isinstance(v, Seq)
    out = z3.simplify(v.length)
    assert isinstance(out, z3.IntNumRef)
    return int(out.as_long())


@pytest.mark.parametrize("n", [-5, -2, 0, 2, 3, 7])
def test_slices_and_lengths_follow_python(n: int) -> None:
    src = (
        "def f(xs, ys, n):\n"
        "    head = xs[:n]\n"
        "    return (head + ys, xs[n:], len(xs))\n"
    )
    xs, ys = (1, 2, 3, 4), (5,)
    env = {"xs": Seq(z3.IntVal(len(xs))), "ys": Seq(z3.IntVal(1)), "n": z3.IntVal(n)}
    got = translate(src, env)
    assert isinstance(got, dict)
    assert _length(got["0"]) == len(xs[:n] + ys)
    assert _length(got["1"]) == len(xs[n:])
    assert z3.simplify(got["2"]) == z3.IntVal(len(xs))


def test_a_called_helper_is_inlined_and_an_error_is_a_field() -> None:
    helper = "def double(r):\n    return replace(r, v=r.v * 2)\n"
    src = (
        "def f(r):\n"
        "    r = double(r)\n"
        "    if r.v > 4:\n"
        "        return IpcError.RateLimited\n"
        "    return r\n"
    )
    for v, err in [(1, 0), (3, 16)]:
        got = translate(src, {"r.v": z3.IntVal(v)}, {"double": helper})
        assert isinstance(got, dict)
        assert z3.simplify(got[ERROR]) == z3.IntVal(err)
        if not err:
            assert z3.simplify(got["v"]) == z3.IntVal(2 * v)


def test_what_is_not_translated_is_refused() -> None:
    with pytest.raises(Untranslatable):
        translate("def f(xs):\n    return xs[::2]\n", {"xs": Seq(z3.IntVal(3))})
    with pytest.raises(Untranslatable):
        translate("def f(x):\n    return g(x)\n", {"x": z3.IntVal(1)})
