"""Every package exports its public API on purpose: each name of ``__all__`` exists.

The six packages (the vocabulary, the spec, the model, the proofs, the
conformance suite and the CLI) each name their public API in ``__all__``; a
name listed there that the package does not define is a broken promise to its
importers (``from veridian_ipc.spec import *`` fails on it). A package without
``__all__`` fails. The check is shown to fail on fakes.

The spec re-exports the vocabulary names its readers need; those must be the
vocabulary's own objects, not copies (one name, one definition).
"""

from __future__ import annotations

import importlib
import types

import pytest

import veridian_ipc.spec as spec
import veridian_ipc.vocabulary as vocabulary

PACKAGES = (
    "veridian_ipc.vocabulary",
    "veridian_ipc.spec",
    "veridian_ipc.model",
    "veridian_ipc.proofs",
    "veridian_ipc.conformance",
    "veridian_ipc.cli",
)


#: Packages whose ``__all__`` is being added (issue 9): skipped while they have
#: none, checked as soon as they have one.
def export_problems(package: types.ModuleType) -> list[str]:
    """What is wrong with ``package``'s ``__all__``: missing, not a list or
    tuple of strings, a name twice, or a name the package does not define."""
    exported = getattr(package, "__all__", None)
    if exported is None:
        return ["no __all__"]
    if not isinstance(exported, list | tuple) or not all(
        isinstance(n, str) for n in exported
    ):
        return ["__all__ is not a list of names"]
    problems = [
        f"{n} listed twice" for n in sorted(set(exported)) if exported.count(n) > 1
    ]
    problems += [f"{n} does not exist" for n in exported if not hasattr(package, n)]
    return problems


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    package = importlib.import_module(name)
    assert export_problems(package) == []


def test_the_spec_reexports_the_vocabularys_own_objects() -> None:
    shared = sorted(set(spec.__all__) & set(vocabulary.__all__))
    assert {"IpcError", "Ok", "Err", "Rights", "RuleId", "encode_result"} <= set(shared)
    assert [n for n in shared if getattr(spec, n) is not getattr(vocabulary, n)] == []


def _fake(name: str, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    vars(module).update(attrs)
    return module


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (_fake("bare", step=1), ["no __all__"]),
        (_fake("ok", __all__=["step"], step=1), []),
        (_fake("ghost", __all__=["step", "gone"], step=1), ["gone does not exist"]),
        (_fake("twice", __all__=["step", "step"], step=1), ["step listed twice"]),
        (_fake("str", __all__="step", step=1), ["__all__ is not a list of names"]),
        (_fake("objs", __all__=[1], step=1), ["__all__ is not a list of names"]),
    ],
)
def test_the_check_fails_on_a_bad_all(
    package: types.ModuleType, expected: list[str]
) -> None:
    assert export_problems(package) == expected
