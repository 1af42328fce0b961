"""``veridian_ipc.proofs`` exports its public API on purpose (``__all__``).

Every exported name exists; every name the CLI takes from the proofs (an
import from one of its modules, or a module named for the CLI to load) is
exported, and so is every name the proof tests import from the package. The
scan itself is shown to catch a name that is not exported.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

import veridian_ipc.cli.main
import veridian_ipc.proofs as proofs

PACKAGE = "veridian_ipc.proofs"
CLI_DIR = Path(veridian_ipc.cli.main.__file__).parent
TESTS_DIR = Path(__file__).parent


def _ours(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def names_taken(source: str) -> set[str]:
    """The names ``source`` takes from the proofs package: imported from it or
    from one of its modules, or a module of it named in a string."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and _ours(node.module or ""):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and _ours(str(node.value)):
            out.add(str(node.value).removeprefix(PACKAGE + ".").split(".")[0])
    return out


def unexported(names: set[str], package: types.ModuleType) -> list[str]:
    """The names of ``names`` that ``package`` does not export."""
    exported = set(getattr(package, "__all__", ()))
    return sorted(n for n in names if n not in exported)


def test_every_exported_name_exists() -> None:
    assert len(set(proofs.__all__)) == len(proofs.__all__)
    missing = [n for n in proofs.__all__ if not hasattr(proofs, n)]
    assert missing == []


def test_every_name_the_cli_uses_is_exported() -> None:
    used: set[str] = set()
    for path in sorted(CLI_DIR.glob("*.py")):
        used |= names_taken(path.read_text(encoding="utf-8"))
    assert used, "the CLI takes nothing from the proofs: the scan is broken"
    assert unexported(used, proofs) == []
    # the exported name is the very object the CLI imports
    assert proofs.coverage is proofs.obligations.coverage
    assert proofs.command.register is not None


def test_tests_import_only_exported_names_from_the_package() -> None:
    used: set[str] = set()
    for path in sorted(TESTS_DIR.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
                used.update(alias.name for alias in node.names)
    assert used
    assert unexported(used, proofs) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from veridian_ipc.proofs.faithful import Part\n", ["Part"]),
        ("from veridian_ipc.proofs import _smt\n", ["_smt"]),
        ('MODULES = ("veridian_ipc.proofs.precedence",)\n', ["precedence"]),
        ("from veridian_ipc.proofs.obligations import coverage\n", []),
        ("from veridian_ipc.spec import RULES\n", []),
    ],
)
def test_scan_catches_an_unexported_name(source: str, expected: list[str]) -> None:
    assert unexported(names_taken(source), proofs) == expected


def test_unexported_sees_a_package_without_all() -> None:
    bare = types.ModuleType("bare")
    assert unexported({"coverage"}, bare) == ["coverage"]
