"""The built site: MkDocs builds it with warnings as errors, every internal
link and rule anchor resolves, and (in headless chromium) the pages render
with their diagrams.

Building the site takes a while (the spec's small scopes are searched, then
MkDocs runs), so these tests are marked ``docs_site`` and ``slow``: the quick
and the default test runs skip them, and CI runs them after its
``veridian-ipc docs build --strict`` step on the site that step built
(``VERIDIAN_DOCS_SITE=build/docs/site pytest -m docs_site tests/docs``).
Without that variable the fixture builds the site itself."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.linkcheck import broken_links, parse
from veridian_ipc.docs.diagrams import have_graphviz
from veridian_ipc.docs.facts import anchors
from veridian_ipc.docs.site import build

ROOT = Path(__file__).resolve().parents[2]
#: Where the browser test leaves its screenshots (build/ is not committed).
SCREENSHOTS = ROOT / "build" / "docs" / "screenshots"

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("material") is None,
    reason="MkDocs Material (the docs extra) is not installed",
)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = os.environ.get("VERIDIAN_DOCS_SITE")
    if built:
        assert (Path(built) / "index.html").is_file(), f"no site in {built}"
        return Path(built).resolve()
    out = tmp_path_factory.mktemp("docs")
    assert build(out, strict=True) == 0
    return out / "site"


@pytest.mark.docs_site
@pytest.mark.slow
@needs_mkdocs
def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    assert broken_links(site) == []


@pytest.mark.docs_site
@pytest.mark.slow
@needs_mkdocs
def test_every_rule_and_invariant_anchor_exists(site: Path) -> None:
    for ident, target in anchors().items():
        page, _, frag = target.partition("#")
        html = site / page.replace(".md", ".html")
        assert frag in parse(html).ids, ident


def test_the_link_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#port-send">ok</a>'
        '<a href="b.html#nope">bad anchor</a><a href="c.html">missing</a>'
        '<a href="#top">self</a><a href="https://example.org/x">external</a>'
    )
    (tmp_path / "b.html").write_text('<h3 id="port-send">Send</h3>')
    assert broken_links(tmp_path) == ["a.html -> b.html#nope", "a.html -> c.html"]


def _dom(chromium: str, page: Path) -> str:
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _screenshot(chromium: str, page: Path, png: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
            "--window-size=1280,1600",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one


@pytest.mark.docs_site
@pytest.mark.slow
@needs_mkdocs
@pytest.mark.skipif(
    _chromium() is None, reason="chromium is not installed (apt-get install chromium)"
)
def test_pages_render_in_a_browser(site: Path) -> None:
    """Headless chromium renders the pages: the rule anchors are in the DOM
    the reader gets, and every lifecycle diagram is an SVG."""
    chromium = _chromium()
    assert chromium is not None
    ports = _dom(chromium, site / "spec" / "ports.html")
    for ident in ("port-create", "port-send", "port-handoff", "port-close"):
        assert f'id="{ident}"' in ports, ident
    assert 'href="caps.html#cap-handle"' in ports
    shots = {
        "ports.png": site / "spec" / "ports.html",
        "lifecycles.png": site / "reference" / "lifecycles.html",
        "traceability.png": site / "reference" / "traceability.html",
    }
    for name, page in shots.items():
        _screenshot(chromium, page, SCREENSHOTS / name)
    if not have_graphviz():
        pytest.skip(
            "Graphviz is not installed: the diagrams are Mermaid, drawn from a CDN"
        )
    lifecycles = _dom(chromium, site / "reference" / "lifecycles.html")
    for kind in (
        "process",
        "port",
        "channel",
        "buffer",
        "capability-location",
        "socket",
    ):
        start = lifecycles.index(f'id="diagram-{kind}"')
        assert "<svg" in lifecycles[start : start + 400], kind
