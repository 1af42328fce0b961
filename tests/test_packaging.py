"""Every package directory is listed in pyproject, else the wheel misses it."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
