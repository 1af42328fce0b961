"""The ``docs`` subcommand of ``veridian-ipc``: the documentation site.

    veridian-ipc docs build [--out DIR] [--strict]   generate and build the site
    veridian-ipc docs serve [--out DIR] [--address HOST:PORT]
    veridian-ipc docs generate [--out DIR]           the Markdown pages only

Every page is generated from the code (see ``veridian_ipc.docs``) into
``DIR/src`` with ``DIR/mkdocs.yml``; ``build`` writes the site to
``DIR/site`` (open ``DIR/site/index.html``). ``build`` and ``serve`` need the
``docs`` extra (MkDocs with the Material theme); ``generate`` does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .site import DEFAULT_OUT, MkDocsMissing, build, generate, serve


def register(subparsers: Any) -> None:
    """Add the ``docs`` subcommand."""
    p = subparsers.add_parser(
        "docs",
        help="build or serve the documentation site (generated from the code)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "action",
        choices=["build", "serve", "generate"],
        help="build the site, serve it while you read, or write the pages only",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help="the build directory: pages in DIR/src, the site in DIR/site"
        " (default %(default)s)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="with build: fail on any MkDocs warning (a broken link or anchor)",
    )
    p.add_argument(
        "--address",
        default="127.0.0.1:8000",
        metavar="HOST:PORT",
        help="with serve: where to listen (default %(default)s)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run one docs action; 0 on success, 1 when MkDocs fails, 2 on misuse."""
    out: Path = args.out
    try:
        if args.action == "generate":
            pages = generate(out)
            print(f"veridian-ipc docs: {len(pages)} pages written to {out / 'src'}")
            return 0
        if args.action == "serve":
            return serve(out, args.address)
        status = build(out, strict=args.strict)
    except MkDocsMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"veridian-ipc docs: {exc}", file=sys.stderr)
        return 2
    if status == 0:
        print(f"veridian-ipc docs: site built in {out / 'site'} (open index.html)")
    else:
        print(f"veridian-ipc docs: mkdocs failed (status {status})", file=sys.stderr)
    return 0 if status == 0 else 1
