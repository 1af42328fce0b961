"""``veridian_ipc.conformance`` exports its public API on purpose (``__all__``).

Every exported name exists, and is imported lazily from the module the package
says (``_HOMES``, the same as the imports type checkers read). The CLI (the
``cli`` package and ``conformance/command.py``) takes from the package only
exported names: a name in ``__all__`` (the very object, not a namesake from
another module), or a public name of an exported module (``linearizability``,
``mutants``). The tests may also reach into the modules the package declares
as its machinery, and the programs they run. Every module of the package is
one or the other, and importing the package loads none of them. The scan is
shown to catch a name that is not exported.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import veridian_ipc.cli
import veridian_ipc.conformance as conformance

PACKAGE = "veridian_ipc.conformance"
PACKAGE_DIR = Path(conformance.__file__).parent
CLI_DIR = PACKAGE_DIR.parent / "cli"
TESTS_DIR = Path(__file__).resolve().parent.parent

#: Programs of the package, run with ``python -m``.
PROGRAMS = frozenset(
    {
        "behaviour_survey",
        "linearizability",
        "schema_gen",
        "serve",
        "witness_search",
        "worker",
    }
)

#: The machinery behind the exported names, which the tests reach into.
MACHINERY = frozenset(
    {
        "behaviours",
        "behaviours_base",
        "behaviours_blocking",
        "behaviours_caps",
        "behaviours_catalogue",
        "behaviours_memory",
        "behaviours_quota",
        "behaviours_threads",
        "behaviours_messaging",
        "checker",
        "compare",
        "constants",
        "coverage",
        "crashes",
        "findings",
        "generate",
        "generate_context",
        "generate_flows_caps",
        "generate_flows_repeat",
        "generate_ops",
        "generate_plan",
        "generate_scenarios",
        "generate_setups",
        "inbound",
        "linearizability_explain",
        "linearizability_files",
        "linearizability_history",
        "linearizability_search",
        "machine",
        "monitors",
        "witnesses",
        "mutants_base",
        "mutants_blocking",
        "mutants_buffers",
        "mutants_campaign",
        "mutants_caps",
        "mutants_channels",
        "mutants_namespace",
        "mutants_ports",
        "mutants_posix",
        "mutants_quota",
        "mutants_threads",
        "mutants_travel",
        "mutants_tree",
        "mutants_waits",
        "outcomes",
        "reference_gen",
        "protocol",
        "renaming",
        "requests",
        "runner",
        "shrinking",
        "signatures",
        "surface",
        "targets",
        "tracefiles",
        "traces",
        "wire",
    }
)

#: (module, name): ``name`` taken from ``module`` of the package ("" for the
#: package itself); name "" for a module taken whole.
Taken = tuple[str, str]


def _relative(dotted: str) -> str | None:
    """``dotted`` relative to the package, or None if outside it."""
    if dotted == PACKAGE:
        return ""
    if dotted.startswith(PACKAGE + "."):
        return dotted.removeprefix(PACKAGE + ".").split(".")[0]
    return None


def names_taken(source: str, *, inside_package: bool = False) -> set[Taken]:
    """What ``source`` takes from the package: the names it imports from the
    package or one of its modules (relative imports count when the source is
    one of the package's modules), the modules it imports whole, and the
    modules and classes it names in strings (``"package.module:Class"``, a
    target, or ``"package.module"``, a program or a module to load)."""
    out: set[Taken] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                where = "" if inside_package and node.level == 1 else None
                module = node.module or ""
            else:
                where = _relative(node.module or "")
                module = where or ""
            if where is not None:
                out.update((module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                where = _relative(alias.name)
                if where:
                    out.add((where, ""))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            dotted, _, name = node.value.partition(":")
            where = _relative(dotted)
            plain = dotted.replace(".", "").isidentifier()
            if where and plain and (not name or name.isidentifier()):
                out.add((where, name))
    return out


def refused(
    taken: set[Taken],
    package: types.ModuleType,
    private: frozenset[str] = frozenset(),
) -> list[str]:
    """What of ``taken`` the package does not export, as ``module:name``.

    Allowed: a name in ``__all__`` (taken from a module, it must be that very
    object); a module in ``__all__`` taken whole, or a name in that module's
    own ``__all__``; anything of a module in ``private``."""
    exported = set(getattr(package, "__all__", ()))
    out: list[str] = []
    for module, name in sorted(taken):
        if module in private:
            continue
        if not module:
            ok = name in exported or name in private
        elif module in exported:
            sub = importlib.import_module(f"{package.__name__}.{module}")
            ok = not name or name in getattr(sub, "__all__", ())
        elif name in exported:
            sub = importlib.import_module(f"{package.__name__}.{module}")
            ok = getattr(package, name) is getattr(sub, name, None)
        else:
            ok = False
        if not ok:
            out.append(f"{module}:{name}")
    return out


def typing_imports(source: str) -> dict[str, str]:
    """Name -> module for the names imported under ``if TYPE_CHECKING:``
    (module "" for a module imported whole, ``from . import m``)."""
    out: dict[str, str] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom):
                out.update((a.name, stmt.module or "") for a in stmt.names)
    return out


def homes_disagree(
    source: str, homes: dict[str, str], exported: list[str]
) -> list[str]:
    """Where the typing imports, the lazy homes and ``__all__`` differ."""
    typed = typing_imports(source)
    names = set(typed) | set(homes) | set(exported)
    return sorted(
        n
        for n in names
        if typed.get(n) != homes.get(n) or n not in exported or exported.count(n) > 1
    )


def loaded_by(module: str) -> list[str]:
    """The package's modules, Hypothesis and Z3 that importing ``module``
    loads, in a fresh interpreter."""
    probe = (
        "import json, sys\n"
        f"import {module}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        f"'{module}.', 'veridian_ipc.conformance.', 'veridian_ipc.cli.', "
        "'hypothesis', 'z3')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_every_exported_name_exists() -> None:
    assert len(set(conformance.__all__)) == len(conformance.__all__)
    missing = [n for n in conformance.__all__ if not hasattr(conformance, n)]
    assert missing == []
    assert (
        conformance.run_conformance
        is importlib.import_module(f"{PACKAGE}.runner").run_conformance
    )
    assert isinstance(conformance.linearizability, types.ModuleType)


def test_lazy_homes_typing_imports_and_all_agree() -> None:
    source = (PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8")
    homes: dict[str, str] = conformance._HOMES
    assert homes_disagree(source, homes, conformance.__all__) == []
    for name, home in homes.items():
        value = getattr(conformance, name)
        expected = importlib.import_module(f"{PACKAGE}.{home or name}")
        assert value is (getattr(expected, name) if home else expected), name


@pytest.mark.parametrize(
    ("homes", "exported", "expected"),
    [
        ({"Report": "runner", "mutants": ""}, ["Report", "mutants"], []),
        ({"Report": "runner"}, ["Report", "mutants"], ["mutants"]),
        (
            {"Report": "linearizability", "mutants": ""},
            ["Report", "mutants"],
            ["Report"],
        ),
        ({"Report": "runner", "mutants": ""}, ["Report"], ["mutants"]),
        (
            {"Report": "runner", "mutants": ""},
            ["Report", "Report", "mutants"],
            ["Report"],
        ),
    ],
)
def test_homes_disagree_catches_a_drift(
    homes: dict[str, str], exported: list[str], expected: list[str]
) -> None:
    source = (
        "if TYPE_CHECKING:\n    from . import mutants\n    from .runner import Report\n"
    )
    assert typing_imports(source) == {"Report": "runner", "mutants": ""}
    assert homes_disagree(source, homes, exported) == expected


def test_importing_the_packages_loads_none_of_their_modules() -> None:
    # the programs (python -m ...) run modules not loaded yet, and a protocol
    # server starts without Hypothesis or the mutant catalogue
    assert loaded_by(PACKAGE) == []
    assert loaded_by("veridian_ipc.cli") == []
    # the probe sees what a module does load
    loaded = loaded_by(f"{PACKAGE}.runner")
    assert "hypothesis" in loaded
    assert f"{PACKAGE}.machine" in loaded


def test_every_module_is_exported_machinery_or_a_program() -> None:
    modules = {m.name for m in pkgutil.iter_modules(conformance.__path__)}
    modules.discard("vectors")  # data, not code
    exported = set(conformance.__all__) & modules
    assert sorted(modules - exported - MACHINERY - PROGRAMS) == []
    assert sorted((MACHINERY | PROGRAMS) - modules) == []
    doc = conformance.__doc__ or ""
    assert [m for m in sorted(MACHINERY | PROGRAMS) if f"``{m}``" not in doc] == []


def test_every_name_the_cli_uses_is_exported() -> None:
    used: set[Taken] = set()
    for path in sorted(CLI_DIR.glob("*.py")):
        used |= names_taken(path.read_text(encoding="utf-8"))
    command = (PACKAGE_DIR / "command.py").read_text(encoding="utf-8")
    used |= names_taken(command, inside_package=True)
    assert ("", "command") not in used  # named as a string, below
    assert ("command", "") in used
    assert ("runner", "run_conformance") in used
    assert refused(used, conformance) == []


def test_tests_take_only_exported_names_or_the_machinery() -> None:
    used: set[Taken] = set()
    for path in sorted(TESTS_DIR.rglob("*.py")):
        if path.resolve() != Path(__file__).resolve():
            used |= names_taken(path.read_text(encoding="utf-8"))
    assert ("linearizability", "check") in used, "the scan is broken"
    assert refused(used, conformance, MACHINERY | PROGRAMS) == []


P = PACKAGE  # the sources below import from it


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"from {P}.checker import SMALL_CONFIG", ["checker:SMALL_CONFIG"]),
        (f"from {P}.runner import settings_for", ["runner:settings_for"]),
        (f"from {P} import machine", [":machine"]),
        (f"import {P}.runner", ["runner:"]),
        (f'ARGV = ["-m", "{P}.serve"]', ["serve:"]),
        (f'T = "{P}.mutants:NoSuchMutant"', ["mutants:NoSuchMutant"]),
        # a namesake from another module is not the exported name
        (
            f"from {P}.linearizability_explain import Report",
            ["linearizability_explain:Report"],
        ),
        ("from .traces import minimize", ["traces:minimize"]),
        (f"from {P}.runner import Report, run_conformance", []),
        (f"from {P}.linearizability import Report, check", []),
        (f'T = "{P}.mutants:NoHandoff"', []),
        (f"from {P} import Report, mutants", []),
        ("from .runner import Report", []),
        ("from veridian_ipc.spec import RULES", []),
    ],
)
def test_scan_catches_an_unexported_name(source: str, expected: list[str]) -> None:
    assert refused(names_taken(source, inside_package=True), conformance) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"from {P}.checker import SMALL_CONFIG", []),
        (f"from {P} import machine", []),
        (f'ARGV = ["-m", "{P}.serve"]', []),
        (f"from {P}.nonesuch import thing", ["nonesuch:thing"]),
        (f"from {P} import nonesuch", [":nonesuch"]),
        ("from .nonesuch import thing", []),  # relative: only inside the package
    ],
)
def test_tests_may_reach_into_the_machinery_only(
    source: str, expected: list[str]
) -> None:
    private = MACHINERY | PROGRAMS
    assert refused(names_taken(source), conformance, private) == expected


def test_refused_sees_a_package_without_all() -> None:
    bare = types.ModuleType("bare")
    assert refused({("", "run_conformance")}, bare) == [":run_conformance"]


def test_the_cli_package_exports_its_entry() -> None:
    assert veridian_ipc.cli.__all__ == ["main"]
    assert callable(veridian_ipc.cli.main.main)
    assert refused({("", "main")}, veridian_ipc.cli) == []
    assert refused({("", "build_parser")}, veridian_ipc.cli) == [":build_parser"]
