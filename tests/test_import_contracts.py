"""The import contracts protect whole packages: a new module is covered unlisted.

pyproject.toml's ``[tool.importlinter]`` contracts name packages, not modules:
the layers (cli above {conformance, proofs, model}, above the console,
above the generation layer, above spec, above the vocabulary), the model limited to the
vocabulary, the proofs kept off the conformance suite, the spec and the
vocabulary kept pure. Each case copies the packages into a temporary
``veridian_ipc`` namespace, adds modules the repository does not have, and runs
``lint-imports`` with the project's own contracts on the copy: a forbidden
import through a brand-new module must break exactly the contracts it
violates, and the unmodified copy must keep them all (so each case can fail
both ways).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"

LINT = (
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())"
)

_CONTRACTS: list[dict[str, object]] = tomllib.loads(PYPROJECT.read_text())["tool"][
    "importlinter"
]["contracts"]


def _named(**fields: object) -> str:
    """The name of the one contract whose fields include ``fields``."""
    (name,) = (
        str(c["name"])
        for c in _CONTRACTS
        if all(c.get(k) == v for k, v in fields.items())
    )
    return name


LAYERS = _named(type="layers")
MODEL = _named(type="forbidden", source_modules=["veridian_ipc.model"])
PROOFS = _named(type="forbidden", source_modules=["veridian_ipc.proofs"])
XPROC = _named(type="forbidden", source_modules=["veridian_ipc.xproc"])
PURE = _named(
    type="forbidden",
    source_modules=["veridian_ipc.spec", "veridian_ipc.vocabulary"],
)
VOCABULARY = _named(type="forbidden", source_modules=["veridian_ipc.vocabulary"])
NO_CACHE = ("--no-cache",)
_STATUS = re.compile(r"^(?P<name>.+?) ?(?P<status>KEPT|BROKEN)$", re.MULTILINE)


def _only_python(folder: str, entries: list[str]) -> set[str]:
    return {
        e
        for e in entries
        if e == "__pycache__"
        or (not e.endswith(".py") and not (Path(folder) / e).is_dir())
    }


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The ten packages (per pyproject's package-dir) under ``tmp_path/veridian_ipc``,
    with pyproject.toml next to them."""
    dirs = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    assert len(dirs) == 10
    for package, folder in dirs.items():
        target = tmp_path.joinpath(*package.split("."))
        shutil.copytree(ROOT / folder, target, ignore=_only_python)
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    return tmp_path


def lint(root: Path) -> dict[str, str]:
    """Run ``lint-imports`` on the copy at ``root``: each contract's status."""
    # wide enough that no contract name is wrapped
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LINT,
            "--config",
            str(root / "pyproject.toml"),
            *NO_CACHE,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    statuses = {m["name"]: m["status"] for m in _STATUS.finditer(done.stdout)}
    every = {str(c["name"]) for c in _CONTRACTS}
    assert set(statuses) == every, done.stdout + done.stderr
    assert done.returncode == (1 if "BROKEN" in statuses.values() else 0)
    return statuses


def _add(root: Path, module: str, source: str) -> None:
    root.joinpath(*module.split(".")).with_suffix(".py").write_text(source)


def _spec_quotas_used_by_the_model(root: Path) -> None:
    _add(root, "veridian_ipc.spec.planted_limits", '"""Limits."""\n\nLIMIT = 8\n')
    _add(
        root,
        "veridian_ipc.model.planted_limits",
        "from veridian_ipc.spec.planted_limits import LIMIT\n",
    )


def _vocabulary_imports_the_spec(root: Path) -> None:
    _add(root, "veridian_ipc.vocabulary.leak", "from veridian_ipc.spec import step\n")


def _spec_imports_hypothesis(root: Path) -> None:
    _add(root, "veridian_ipc.spec.planted_import", "import hypothesis\n")


def _vocabulary_imports_the_model(root: Path) -> None:
    _add(root, "veridian_ipc.vocabulary.up", "import veridian_ipc.model.kernel\n")


def _proofs_import_the_conformance_suite(root: Path) -> None:
    _add(root, "veridian_ipc.proofs.leak", "import veridian_ipc.conformance.checker\n")


def _generation_imports_the_proofs(root: Path) -> None:
    _add(root, "veridian_ipc.generation.up", "import veridian_ipc.proofs.agreement\n")


def _model_imports_the_generation_layer(root: Path) -> None:
    _add(root, "veridian_ipc.model.draws", "import veridian_ipc.generation.configs\n")


def _console_imports_the_conformance_suite(root: Path) -> None:
    _add(root, "veridian_ipc.console.up", "import veridian_ipc.conformance.progress\n")


def _xproc_imports_the_model(root: Path) -> None:
    _add(root, "veridian_ipc.xproc.side", "import veridian_ipc.model.kernel\n")


def _nothing(root: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        (_nothing, set()),
        (_spec_quotas_used_by_the_model, {MODEL}),
        (_vocabulary_imports_the_spec, {LAYERS, VOCABULARY}),
        (_spec_imports_hypothesis, {PURE}),
        (_vocabulary_imports_the_model, {LAYERS}),
        (_proofs_import_the_conformance_suite, {PROOFS}),
        (_generation_imports_the_proofs, {LAYERS}),
        (_model_imports_the_generation_layer, {MODEL}),
        (_console_imports_the_conformance_suite, {LAYERS}),
        (_xproc_imports_the_model, {XPROC}),
    ],
)
def test_a_forbidden_import_breaks_exactly_its_contracts(
    copy: Path, change: Callable[[Path], None], broken: set[str]
) -> None:
    change(copy)
    statuses = lint(copy)
    assert {name for name, s in statuses.items() if s == "BROKEN"} == broken


def test_the_model_may_import_the_vocabulary(copy: Path) -> None:
    _add(copy, "veridian_ipc.vocabulary.quotas", "LIMIT = 8\n")
    _add(
        copy,
        "veridian_ipc.model.quotas",
        "from veridian_ipc.vocabulary.quotas import LIMIT\n",
    )
    assert set(lint(copy).values()) == {"KEPT"}


def spec_modules_loaded_by(module: str) -> list[str]:
    """The spec's modules a fresh interpreter has loaded after importing ``module``."""
    code = (
        f"import sys, {module}; "
        "print(*sorted(m for m in sys.modules if m.split('.')[:2] == "
        "['veridian_ipc', 'spec']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_importing_the_model_or_the_vocabulary_loads_no_spec_module() -> None:
    assert spec_modules_loaded_by("veridian_ipc.model") == []
    assert spec_modules_loaded_by("veridian_ipc.vocabulary") == []
    # the probe sees the spec when it is loaded
    assert "veridian_ipc.spec.step" in spec_modules_loaded_by("veridian_ipc.spec")
