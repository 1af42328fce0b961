"""veridian_ipc.cli: the ``veridian-ipc`` command (a thin layer over the packages).

Its public entry is ``main`` (``__all__``), the module of the command:
``veridian_ipc.cli.main:main`` is the console script, and
``python -m veridian_ipc.cli.main`` runs the same. ``main`` prints the rule
index itself (``veridian-ipc spec``); every other subcommand lives with the
package it drives and is registered from there, loaded only when it is run
(``commands.COMMANDS``: ``prove`` and ``check`` from
``veridian_ipc.proofs.command``, ``conform`` and ``replay`` from
``veridian_ipc.conformance.command``, the model's own, and ``docs`` from
``veridian_ipc.docs.command``), so ``--help`` and ``spec`` need no optional
dependency. The CLI holds no logic of its own: bad usage, or a subcommand
whose extra is not installed, is a one-line message and exit status 2.

``__version__`` is the installed distribution's version.

The package imports its module when ``main`` is first used, not before, so
that ``python -m veridian_ipc.cli.main`` runs a module that is not loaded yet.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import main

try:
    #: The installed distribution's version (``veridian-ipc --version``); the
    #: single source is ``[project] version`` in pyproject.toml.
    __version__ = version("veridian-ipc")
except PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> object:
    """Import ``main`` on first use (PEP 562)."""
    if name != "main":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.main")


__all__ = ["main"]
