"""Applying a seeded bug to the spec at run time, and taking it back.

The spec's modules import each other's functions by name (``ports`` calls its
own ``check_transfer``, imported from ``messages``) and ``step`` keeps a
dispatch table of rule functions. Replacing a function therefore means
replacing every reference to it: ``patched`` swaps the original for the
mutant in the globals of every ``veridian_ipc.spec`` module and in ``step``'s
dispatch table, and restores them all on exit. The spec's source is never
touched; code outside the spec (the proofs' own readers of the state) keeps
the originals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import veridian_ipc.spec.step  # noqa: F401  (its dispatch table is patched too)


def _spec_modules() -> list[ModuleType]:
    return [
        m
        for name, m in sorted(sys.modules.items())
        if (name == "veridian_ipc.spec" or name.startswith("veridian_ipc.spec."))
        and m is not None
    ]


@contextmanager
def patched(module: ModuleType, name: str, new: Callable[..., Any]) -> Iterator[None]:
    """Within the block, ``module.name`` is ``new`` wherever the spec uses it."""
    old = getattr(module, name)
    undo: list[tuple[dict[Any, Any], Any, Any]] = []
    for m in _spec_modules():
        for key, value in list(vars(m).items()):
            if value is old:
                undo.append((vars(m), key, old))
                vars(m)[key] = new
    table: dict[Any, Any] = sys.modules["veridian_ipc.spec.step"]._RULES
    for key, value in list(table.items()):
        if value is old:
            undo.append((table, key, old))
            table[key] = new
    try:
        yield
    finally:
        for where, key, value in undo:
            where[key] = value


__all__ = ["patched"]
