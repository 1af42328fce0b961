"""Hypothesis's pool of constants, pinned to the spec's own literals.

Hypothesis (6.131 and later) draws a small share of its values from the
literals of every *local* module loaded in the process (numbers and strings in
the source). A conformance run would then explore differently depending on
which modules happen to be imported (the CLI, the test suite, a benchmark)
and on literals in code that has nothing to do with the IPC design: any edit
anywhere could change what a derandomized ``ci`` run generates, and whether a
mutant is killed. ``pinned_constants`` makes a run draw those values from the
spec's modules alone (its limits, sizes, names: the boundaries worth hitting),
the same in every process. The spec's modules are those of
``veridian_ipc.vocabulary`` (the names, limits and records it shares) and of
``veridian_ipc.spec`` (its rules), so moving a module between the two changes
nothing a run generates.

It reaches into Hypothesis's internals; if they are not there (another
version), it does nothing and Hypothesis behaves as it does by default.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import veridian_ipc.spec
import veridian_ipc.vocabulary

#: The packages whose modules' literals a run draws from.
SPEC_PACKAGES = (veridian_ipc.vocabulary, veridian_ipc.spec)


def _spec_constants(constants: type[Any], from_module: Any) -> Any:
    """The literals of every module of the spec's packages, as one ``Constants``."""
    out = constants()
    for package in SPEC_PACKAGES:
        infos = sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
        for info in infos:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            out |= from_module(module)
    return out


@contextmanager
def pinned_constants() -> Iterator[None]:
    """Within the block, Hypothesis's local constants are the spec's."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants, constants_from_module
    except ImportError:  # pragma: no cover (another Hypothesis)
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:  # pragma: no cover
        yield
        return
    pinned = _spec_constants(Constants, constants_from_module)
    providers._get_local_constants = lambda: pinned
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()
