"""The ``veridian-ipc`` command: ``spec`` prints the rule index.

The other subcommands live with the package they drive: each module named in
``commands.COMMANDS`` has ``register(subparsers)``, which adds its subcommands
with ``set_defaults(run=callable)``; ``run(args) -> int`` is the exit status.
Only the module of the subcommand being run is imported (``build_parser``);
the others appear in ``--help`` from the table. The CLI holds no logic of
its own.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from typing import Any

from veridian_ipc.cli import __version__
from veridian_ipc.cli.commands import COMMANDS, missing_extra_message, modules
from veridian_ipc.cli.help_texts import add_missing_help
from veridian_ipc.spec import GROUPS, INVARIANTS, RULES, IpcError, RuleId, errno_of

PROG = "veridian-ipc"

PREAMBLE = [IpcError.InvalidArgument, IpcError.NoSuchProcess, IpcError.ProcessBlocked]


def proof_coverage() -> dict[str, list[str]] | None:
    """Rule/invariant ID -> the proof obligations covering it, or None when the
    proofs' dependencies (the ``proofs`` extra) are not installed."""
    try:
        from veridian_ipc.proofs.obligations import coverage
    except ImportError:
        return None
    return coverage()


def rule_coverage(measure: bool = False) -> dict[str, dict[str, Any]] | None:
    """Rule ID -> its coverage row (``veridian_ipc.proofs.coverage_table``: proofs,
    exhaustive check, tests, gaps), or None without the proofs' dependencies."""
    try:
        from veridian_ipc.proofs.coverage_table import rule_coverage as rows
    except ImportError:
        return None
    return {r["id"]: r for r in rows(measure)}


def rule_index(measure: bool = False) -> dict[str, Any]:
    """The rule index as plain data (the ``--json`` output); ``measure`` also
    counts the exhaustive check's states per scope (a few seconds)."""
    proved = proof_coverage()
    covered = rule_coverage(measure)
    order = {g: i for i, (g, _) in enumerate(GROUPS)}
    position = {r.value: i for i, r in enumerate(RuleId)}
    rules = sorted(RULES.values(), key=lambda e: (order[e.group], position[e.id]))
    return {
        "rules": [
            {
                "id": e.id,
                "group": e.group,
                "summary": e.summary,
                "errors": [IpcError[n].value for n in e.errors],
                "error_names": list(e.errors),
                "defined_in": f"{e.module}.{e.qualname}",
                "proved_by": None if proved is None else proved[e.id],
                "coverage": None if covered is None else covered[e.id],
            }
            for e in rules
        ],
        "preamble": [e.value for e in PREAMBLE],
        "groups": [{"id": g, "title": t} for g, t in GROUPS],
        "invariants": [
            {
                "id": e.id,
                "summary": e.summary,
                "defined_in": f"{e.module}.{e.qualname}",
                "proved_by": None if proved is None else proved[e.id],
            }
            for e in INVARIANTS.values()
        ],
        "unproved": None
        if proved is None
        else sorted(k for k, v in proved.items() if not v),
        "errors": [
            {"code": e.value, "name": e.name, "errno": errno_of(e)} for e in IpcError
        ],
    }


def catalogue_markdown() -> str:
    """The whole rule catalogue as Markdown: every rule's prose, in reading
    order, then the invariants and the error table (the documentation site's
    source)."""
    index = rule_index(measure=True)
    titles = dict(GROUPS)
    out = ["# VeridianOS IPC: rule catalogue", ""]
    current = None
    for r in index["rules"]:
        if r["group"] != current:
            current = r["group"]
            out += [f"## {titles[current]}", ""]
        entry = RULES[RuleId(r["id"])]
        out += [f"### {r['id']}", "", f"`{r['defined_in']}`", "", entry.doc, ""]
        if r["coverage"] is not None:
            out += _coverage_markdown(r["coverage"])
        elif r["proved_by"] is not None:
            proofs = ", ".join(r["proved_by"]) or "none yet"
            out += [f"Proof obligations: {proofs}.", ""]
    out += ["## Invariants", ""]
    for inv in index["invariants"]:
        out += [f"- **{inv['id']}** (`{inv['defined_in']}`): {inv['summary']}"]
    out += ["", "## Errors", "", "| code | name | errno |", "|---|---|---|"]
    for e in index["errors"]:
        out.append(f"| {e['code']} | {e['name']} | {e['errno']} |")
    return "\n".join(out) + "\n"


def _coverage_markdown(c: dict[str, Any]) -> list[str]:
    """One rule's coverage: proofs, exhaustive check, tests, gaps."""
    proofs = [
        p["obligation"]
        + (f" (part of {p['theorem']})" if p["theorem"] else "")
        + (" (by construction)" if p["by_construction"] else "")
        + (" (error order only)" if p["error_order_only"] else "")
        for p in c["proofs"]
    ]
    scopes = [
        f"{s['scope']} (depth {s['depth']}, {s['states']} states)"
        if s["states"] is not None
        else f"{s['scope']} (depth {s['depth']})"
        for s in c["scopes"]
    ]
    lines = [
        f"- Proofs: {', '.join(proofs) or 'none'}.",
        f"- Exhaustive check: step properties "
        f"{', '.join(c['step_properties']) or 'none'}; scopes "
        f"{', '.join(scopes) or 'none'}.",
    ]
    if c["exercised_by"]:
        lines.append(
            f"- Exercised (effect not stated) by: {', '.join(c['exercised_by'])}."
        )
    if c["tests"] is not None:
        lines.append(f"- Tests: {', '.join(f'`{t}`' for t in c['tests']) or 'none'}.")
    lines.append(f"- Gaps: {'; '.join(c['gaps']) or 'none'}.")
    return ["Coverage:", "", *lines, ""]


def _print_index(as_json: bool, markdown: bool = False) -> None:
    if markdown:
        sys.stdout.write(catalogue_markdown())
        return
    index = rule_index()
    if as_json:
        json.dump(index, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    titles = dict(GROUPS)
    current = None
    for r in index["rules"]:
        if r["group"] != current:
            current = r["group"]
            print(f"\n## {titles[current]} ({current})")
        errors = ", ".join(r["error_names"])
        mark = _marks(r["coverage"])
        print(f"{mark}{r['id']:<20} {r['summary']}")
        if errors:
            print(f"{'':<{len(mark) + 20}}   errors: {errors}")
    if index["unproved"] is not None:
        print(
            "\nP: a proof obligation states the rule's effect (veridian-ipc "
            "prove; p: by construction, o: its error order only); E: a step "
            "property of the exhaustive check names it (veridian-ipc check)."
        )
        print("Not covered by any obligation yet: " + ", ".join(index["unproved"]))
        no_effect = [
            r["id"]
            for r in index["rules"]
            if "no proof obligation states its effect" in r["coverage"]["gaps"]
        ]
        print("No proof of its effect: " + ", ".join(no_effect))


def _marks(c: dict[str, Any] | None) -> str:
    """The index's two-letter mark: proof (P, p, o) and exhaustive check (E)."""
    if c is None:
        return ""
    effect = [p for p in c["proofs"] if not p["error_order_only"]]
    if any(not p["by_construction"] for p in effect):
        proof = "P"
    elif effect:
        proof = "p"
    else:
        proof = "o" if c["proofs"] else " "
    return proof + ("E " if c["step_properties"] and c["scopes"] else "  ")


def _run_spec(args: argparse.Namespace) -> int:
    _print_index(args.json, args.markdown)
    return 0


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps descriptions as written and wraps option help between words only
    (a comma-separated list or ``--observes=-PATH`` is never cut in two)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        text = " ".join(text.split())
        return textwrap.wrap(
            text, width, break_long_words=False, break_on_hyphens=False
        ) or [""]


class MissingExtra(Exception):
    """The chosen subcommand needs an optional dependency that is missing."""


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is not an
    option: the top-level parser takes no option with a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _load(module_name: str, command: str) -> Any:
    """Import a command module; ``MissingExtra`` when an optional dependency
    of it is not installed."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        message = missing_extra_message(command, exc.name)
        if message is None:
            raise
        raise MissingExtra(message) from None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the module of the subcommand it names is
    imported and registers its subcommands; every other lazy subcommand is a
    placeholder with its help line (``commands.COMMANDS``). Without ``argv``
    (None) every module is loaded (those whose extra is missing stay
    placeholders)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The VeridianOS IPC reference model: spec, proofs, conformance.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_spec = sub.add_parser(
        "spec",
        help="print the rule index (ID, group, summary)",
        formatter_class=HelpFormatter,
    )
    fmt = p_spec.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument(
        "--markdown",
        action="store_true",
        help="the full catalogue, rule prose included",
    )
    p_spec.set_defaults(run=_run_spec)
    chosen = None if argv is None else _chosen(argv)
    for module_name in modules():
        names = [c for c in COMMANDS if c.module == module_name]
        if argv is None or chosen in {c.name for c in names}:
            try:
                module = _load(module_name, chosen or names[0].name)
            except MissingExtra:
                if argv is not None:
                    raise
            else:
                module.register(sub)
                continue
        for c in names:
            placeholder = sub.add_parser(c.name, help=c.help, add_help=False)
            placeholder.set_defaults(run=None)
    for subparser in sub.choices.values():
        declared: object = subparser.formatter_class
        if isinstance(declared, type) and issubclass(HelpFormatter, declared):
            subparser.formatter_class = HelpFormatter
    add_missing_help(sub.choices)
    return parser


#: Exit status of a usage error (argparse's, and a missing extra).
USAGE = 2
#: Exit status after Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED = 130
#: Exit status after SIGTERM (128 + SIGTERM).
TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived: unwind (running every ``finally``) and exit."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit status. Ctrl-C (SIGINT) and SIGTERM end it
    with a one-line message and status 130 or 143, after the subcommand has
    released what it started (a conformance target's processes) on its way
    out."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(words).parse_args(words)
        status: int = args.run(args)
    except MissingExtra as exc:
        print(exc, file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Terminated:
        print(f"{PROG}: terminated", file=sys.stderr)
        return TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return status


if __name__ == "__main__":
    sys.exit(main())
