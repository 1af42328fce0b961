"""Hypothesis's pinned pool of constants comes from the vocabulary and the spec.

``constants.pinned_constants`` draws the literals of every module of
``veridian_ipc.vocabulary`` and ``veridian_ipc.spec``: the limits and names
that moved to the vocabulary (``names.MAX_INLINE_DATA`` ...) stay in the pool,
so what a derandomized ``ci`` run generates did not change with the move.
"""

from __future__ import annotations

import pkgutil
import types

import pytest

import veridian_ipc.spec
import veridian_ipc.vocabulary
from veridian_ipc.conformance import constants


def _modules(*packages: types.ModuleType) -> set[str]:
    return {
        f"{p.__name__}.{info.name}"
        for p in packages
        for info in pkgutil.iter_modules(p.__path__)
    }


def _pooled() -> set[str]:
    """The modules whose literals the pool is drawn from."""
    pool: set[str] = constants._spec_constants(set, lambda m: {m.__name__})
    return pool


def test_the_pool_is_drawn_from_every_vocabulary_and_spec_module() -> None:
    pooled = _pooled()
    assert pooled == _modules(veridian_ipc.vocabulary, veridian_ipc.spec)
    assert {"veridian_ipc.vocabulary.names", "veridian_ipc.spec.step"} <= pooled


def test_a_pool_without_the_vocabulary_is_noticed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(constants, "SPEC_PACKAGES", (veridian_ipc.spec,))
    pooled = _pooled()
    assert pooled != _modules(veridian_ipc.vocabulary, veridian_ipc.spec)
    assert "veridian_ipc.vocabulary.names" not in pooled
