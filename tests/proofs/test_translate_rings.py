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

from veridian_ipc.proofs._smt import Proved, prove
from veridian_ipc.proofs.helper_equivalences import (
    DRIFTS,
    EQUIVALENCES,
    SOURCES,
    drifted,
    equivalence_checks,
    slot_mod_lemmas,
)
from veridian_ipc.proofs.translate import (
    ERROR,
    RAISES,
    Seq,
    Untranslatable,
    proved_equal,
    translate,
)

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


def test_the_ring_slot_lookup_is_an_equivalence_part() -> None:
    """``RingSlots._slot`` is translated, proved equal to the encoding's
    ``offset``, and its drift (the read index added, not subtracted) is
    refuted; the remainder lemma it assumes is a check of its own."""
    name = "storage.RingSlots._slot"
    assert name in {eq.name for eq in EQUIVALENCES}
    (eq,) = [e for e in EQUIVALENCES if e.name == name]
    assert proved_equal(eq, SOURCES[name])
    assert not proved_equal(eq, drifted(name))
    lemmas = [c for c in equivalence_checks() if "/ring-mod/" in c.name]
    assert len(lemmas) == len(slot_mod_lemmas()) == 6
    assert all(isinstance(prove(c.claim), Proved) for c in lemmas)


@pytest.mark.parametrize("i", [-5, -3, -1, 0, 2, 3, 6, 9])
def test_an_element_and_a_raise_follow_python(i: int) -> None:
    """``xs[i]`` is its position from 1 (negative counted from the end),
    ``IndexError`` out of range; an explicit ``raise`` raises; ``+=`` adds."""
    src = (
        "def f(xs, i):\n"
        "    if i > 7:\n"
        "        raise ValueError(i)\n"
        "    i += 0\n"
        "    return xs[i]\n"
    )
    xs = ("a", "b", "c")
    got = translate(src, {"xs": Seq(z3.IntVal(len(xs))), "i": z3.IntVal(i)})
    assert isinstance(got, dict)
    raised = bool(z3.is_true(z3.simplify(got[RAISES])))
    try:
        if i > 7:
            raise ValueError(i)
        want: int | None = xs.index(xs[i]) + 1
    except (IndexError, ValueError):
        want = None
    assert raised == (want is None)
    if want is not None:
        assert z3.simplify(got["value"]) == z3.IntVal(want)
