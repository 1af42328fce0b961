"""Help for the options their subcommand's module registers without any.

Every option of ``veridian-ipc`` has a help line (``tests/test_cli.py`` walks
the parser and fails on one without). Most are written where the option is
declared; ``MISSING_HELP`` supplies the few that are not, keyed by subcommand
and option, and is applied only where the declaration has none, so help
written at the declaration always wins.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping

#: (subcommand, first option string or positional name) -> help.
MISSING_HELP: dict[tuple[str, str], str] = {
    ("conform", "--profile"): "how many examples of how many steps: ci"
    " (derandomized, for CI), dev or deep (default %(default)s)",
    ("conform", "--mode"): "how errors are compared: exact, by family, or"
    " only success against failure (%(choices)s; default %(default)s)",
    ("conform", "--max-examples"): "the number of generated examples,"
    " overriding the profile's",
    ("conform", "--trace-dir"): "where the 1-minimal trace of each divergence"
    " is written (default %(default)s)",
    ("conform", "--oracle"): "what gives the expected results: the spec, or"
    " the spec allowing a batch to stop part-way (%(choices)s)",
    ("replay", "traces"): "trace or vector files (JSON) to re-run",
    ("replay", "--target"): "package.module:Class, or a command line speaking"
    " the protocol",
    ("replay", "--mode"): "how errors are compared (default: the mode each"
    " file records; %(choices)s)",
    ("replay", "--timeout"): "seconds per step (default %(default)s)",
}


def option_name(action: argparse.Action) -> str:
    """An option's first option string, or a positional's name."""
    return action.option_strings[0] if action.option_strings else action.dest


def options(
    subparsers: Mapping[str, argparse.ArgumentParser],
) -> Iterator[tuple[str, argparse.Action]]:
    """Every (subcommand, action) pair but ``--help``."""
    for name, parser in subparsers.items():
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                yield name, action


def add_missing_help(subparsers: Mapping[str, argparse.ArgumentParser]) -> None:
    """Give each option without help its ``MISSING_HELP`` line, if any."""
    for name, action in options(subparsers):
        if action.help is None:
            action.help = MISSING_HELP.get((name, option_name(action)))
