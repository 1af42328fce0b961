"""Packaging: every package listed, the licence and metadata, package data
declared, and what a user gets from the built wheel and sdist."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_dir_is_listed() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found: set[str] = set()
    for name, rel in cfg["package-dir"].items():
        for init in (ROOT / rel).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / rel).parts
            found.add(".".join((name, *parts)))
    assert found == listed


def test_each_package_is_typed() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for rel in cfg["package-dir"].values():
        assert (ROOT / rel / "py.typed").exists(), rel


# -- what a user installs ------------------------------------------------------------

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_licence_and_metadata() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    assert any(
        c.startswith("Programming Language :: Python :: 3.11")
        for c in project["classifiers"]
    )
    assert project["urls"]
    extras = project["optional-dependencies"]
    assert {"proofs", "conformance", "docs"} <= set(extras)


def test_version_is_the_distribution_version() -> None:
    from veridian_ipc.cli import __version__

    assert __version__ == PYPROJECT["project"]["version"]


def test_data_directories_are_declared_as_package_data() -> None:
    """The vectors and the site's pages are data of their packages, and
    setuptools takes only the declared data (no directory is mistaken for an
    undeclared package, which is what its 'would be ignored' warning was)."""
    cfg = PYPROJECT["tool"]["setuptools"]
    assert cfg["include-package-data"] is False
    data = cfg["package-data"]
    assert "vectors/*.json" in data["veridian_ipc.conformance"]
    assert "pages/*.md" in data["veridian_ipc.docs"]
    assert list((ROOT / "conformance" / "vectors").glob("*.json"))


def _run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, timeout=900
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sdist and the wheel, built from the sdist as ``python -m build``
    does; the build's output (for its warnings)."""
    out = tmp_path_factory.mktemp("dist")
    done = _run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout + done.stderr


@pytest.mark.slow
def test_build_has_no_packaging_warning(dist: tuple[Path, str]) -> None:
    _, log = dist
    assert "would be ignored" not in log
    assert "Cannot find any files" not in log


@pytest.mark.slow
def test_sdist_carries_what_the_tests_need(dist: tuple[Path, str]) -> None:
    out, _ = dist
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in (
        "LICENSE",
        "tests/conftest.py",
        "tests/docs/test_pages.py",
        "tests/conformance/fakes/_common.py",
        "examples/c-target/src/main.c",
        "conformance/vectors/vector-spec-1.json",
        "docs/pages/index.md",
    ):
        assert needed in names, needed
    assert not any("__pycache__" in n for n in names)
    assert "examples/c-target/veridian-c-target" not in names


README_MODEL = re.findall(
    r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S
)


@pytest.mark.slow
def test_wheel_without_extras_runs_the_readme_commands(
    dist: tuple[Path, str], tmp_path: Path
) -> None:
    """A fresh venv, the wheel without any extra, outside the repository:
    ``--help``, ``spec`` and the README's examples work; ``prove`` and
    ``conform`` name their extra in one line and exit 2."""
    out, _ = dist
    (wheel,) = out.glob("*.whl")
    env = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", env, cwd=tmp_path).returncode == 0
    py, cli = env / "bin" / "python", env / "bin" / "veridian-ipc"
    done = _run(py, "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    done = _run(cli, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "conform" in done.stdout
    done = _run(cli, "spec", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PORT-SEND" in done.stdout
    for code in README_MODEL:
        done = _run(py, "-c", code, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Delivered(sender=1" in done.stdout
    for argv, extra in ((["prove"], "proofs"), (["conform"], "conformance")):
        done = _run(cli, *argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"veridian-ipc {argv[0]}: needs the '{extra}' extra (missing module"
            " hypothesis):"  # the first import of either (generation, conformance)
            f" pip install 'veridian-ipc[{extra}]'"
        ]
