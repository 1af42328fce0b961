"""A link checker for a built static site: every internal link and anchor."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if tag == "a" and name == "href" and value:
                self.links.append(value)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(site: Path) -> list[str]:
    """Every internal link of every page whose file or anchor does not exist,
    as ``page -> href``. MkDocs's ``404.html`` links from the site root (it
    is served for any missing path), so it is left out."""
    site = site.resolve()
    pages = {p: parse(p) for p in sorted(site.rglob("*.html"))}
    out: list[str] = []
    for path, page in pages.items():
        if path.name == "404.html":
            continue
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = (
                (path.parent / unquote(parts.path)).resolve() if parts.path else path
            )
            if target.is_dir():
                target = target / "index.html"
            if target.suffix != ".html":
                if not target.exists():
                    out.append(f"{path.relative_to(site)} -> {href}")
                continue
            found = pages.get(target)
            if found is None or (
                parts.fragment and unquote(parts.fragment) not in found.ids
            ):
                out.append(f"{path.relative_to(site)} -> {href}")
    return out
