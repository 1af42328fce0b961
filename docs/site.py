"""Write the site's pages and configuration, and run MkDocs on them.

``generate(out)`` writes into ``out``:

- ``src/``: every page (``index.md`` from ``pages/``, the chapters under
  ``spec/``, the reference pages under ``reference/``, the conformance
  protocol and operation reference under ``conformance/``, copied from the
  conformance package where they are committed);
- ``mkdocs.yml``: the Material theme, the navigation in the spec's reading
  order, and the Markdown extensions the pages use (anchors, folded code,
  tables, Mermaid when Graphviz is absent).

``build(out, strict=True)`` then runs ``mkdocs build`` (warnings are errors
with ``strict``) into ``out/site``; ``serve`` runs ``mkdocs serve``. MkDocs is
the ``docs`` extra: ``MkDocsMissing`` says so in one line when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import veridian_ipc.conformance as conformance_pkg

from .diagrams import have_graphviz
from .facts import chapters
from .pages_reference import (
    errors_page,
    formats_page,
    invariants_page,
    lifecycles_page,
    limits_page,
    matrix_page,
    register_page,
    rights_page,
    seed_map_page,
)
from .pages_rules import chapter_page

#: The build directory's default, relative to the current directory.
DEFAULT_OUT = Path("build/docs")

_PAGES = Path(__file__).resolve().parent / "pages"
_CONFORMANCE = Path(next(iter(conformance_pkg.__path__)))


class MkDocsMissing(RuntimeError):
    """MkDocs (the ``docs`` extra) is not installed."""


def reference_pages(use_graphviz: bool) -> dict[str, Callable[[], str]]:
    """Reference page path -> its generator, in navigation order."""
    schemas = {
        "Traces and vectors": _CONFORMANCE / "trace.schema.json",
        "Protocol messages": _CONFORMANCE / "protocol.schema.json",
        "Operation arguments and values": _CONFORMANCE / "operations.schema.json",
    }
    return {
        "reference/errors.md": errors_page,
        "reference/limits.md": limits_page,
        "reference/rights.md": rights_page,
        "reference/invariants.md": invariants_page,
        "reference/lifecycles.md": lambda: lifecycles_page(use_graphviz),
        "reference/traceability.md": matrix_page,
        "reference/seed-map.md": seed_map_page,
        "reference/seed-register.md": register_page,
        "reference/formats.md": lambda: formats_page(schemas),
    }


_TITLES = {
    "reference/errors.md": "Errors",
    "reference/limits.md": "Limits and configuration",
    "reference/rights.md": "Rights",
    "reference/invariants.md": "Invariants",
    "reference/lifecycles.md": "Object lifecycles",
    "reference/traceability.md": "Traceability matrix",
    "reference/seed-map.md": "Seed map",
    "reference/seed-register.md": "Seed register",
    "reference/formats.md": "Trace, vector and protocol formats",
}


def config(use_graphviz: bool) -> dict[str, object]:
    """The ``mkdocs.yml`` contents (written as JSON, which YAML reads)."""
    spec_nav = [{f"{i}. {c.name}": c.page} for i, c in enumerate(chapters(), 1)]
    fences: list[object] = []
    if not use_graphviz:
        fences = [
            {
                "name": "mermaid",
                "class": "mermaid",
                "format": "!!python/name:pymdownx.superfences.fence_code_format",
            }
        ]
    return {
        "site_name": "VeridianOS IPC reference model",
        "site_description": "The executable spec of the VeridianOS IPC design,"
        " generated from the code.",
        "docs_dir": "src",
        "site_dir": "site",
        "use_directory_urls": False,
        "strict": True,
        "theme": {
            "name": "material",
            "features": ["navigation.sections", "toc.follow", "content.code.copy"],
        },
        "markdown_extensions": [
            "attr_list",
            "admonition",
            "tables",
            "md_in_html",
            "pymdownx.details",
            {"pymdownx.superfences": {"custom_fences": fences}},
            {"toc": {"permalink": True}},
        ],
        "validation": {
            "links": {
                "not_found": "warn",
                "anchors": "warn",
                "unrecognized_links": "warn",
            }
        },
        "nav": [
            {"Home": "index.md"},
            {"The spec": spec_nav},
            {"Reference": [{t: p} for p, t in _TITLES.items()]},
            {
                "Conformance": [
                    {"Protocol": "conformance/PROTOCOL.md"},
                    {"Operations": "conformance/OPERATIONS.md"},
                ]
            },
        ],
    }


def generate(out: Path, *, use_graphviz: bool | None = None) -> list[Path]:
    """Write every page and ``mkdocs.yml`` under ``out``; the pages written."""
    graphviz = have_graphviz() if use_graphviz is None else use_graphviz
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for page in sorted(_PAGES.glob("*.md")):
        write(page.name, page.read_text(encoding="utf-8"))
    for chapter in chapters():
        write(chapter.page, chapter_page(chapter))
    for rel, make in reference_pages(graphviz).items():
        write(rel, make())
    for name in ("PROTOCOL.md", "OPERATIONS.md"):
        write(f"conformance/{name}", (_CONFORMANCE / name).read_text(encoding="utf-8"))
    yml = out / "mkdocs.yml"
    yml.write_text(
        "# generated by veridian-ipc docs build: do not edit\n"
        + json.dumps(config(graphviz), indent=2).replace(
            '"!!python/name:pymdownx.superfences.fence_code_format"',
            "!!python/name:pymdownx.superfences.fence_code_format",
        )
        + "\n",
        encoding="utf-8",
    )
    return written


def mkdocs_installed() -> bool:
    """MkDocs and its Material theme can be imported."""
    try:
        return all(
            importlib.util.find_spec(m) is not None for m in ("mkdocs", "material")
        )
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False


def _require_mkdocs() -> None:
    if not mkdocs_installed():
        raise MkDocsMissing(
            "veridian-ipc docs: needs the 'docs' extra (MkDocs and its Material"
            " theme): pip install 'veridian-ipc[docs]'"
        )


def _mkdocs(args: list[str]) -> int:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", *args]
    return subprocess.run(command, check=False, env=env).returncode


def build(out: Path, *, strict: bool = True) -> int:
    """Generate the pages and build the site into ``out/site``; mkdocs's status."""
    _require_mkdocs()
    generate(out)
    args = ["build", "--quiet", "--clean", "-f", str(out / "mkdocs.yml")]
    return _mkdocs([*args, "--strict"] if strict else args)


def serve(out: Path, address: str) -> int:
    """Generate the pages and serve the site at ``address`` until interrupted."""
    _require_mkdocs()
    generate(out)
    return _mkdocs(["serve", "-f", str(out / "mkdocs.yml"), "-a", address])
