"""The subcommands that live in other packages, loaded only when chosen.

``veridian-ipc --help`` and ``veridian-ipc spec`` must work right after
``pip install veridian-ipc``, without the optional dependencies, and fast:
the proofs need Z3 and CrossHair (the ``proofs`` extra), the conformance
suite Hypothesis and rich (the ``conformance`` extra), the documentation
site MkDocs (the ``docs`` extra). So the command line knows each
subcommand's name, one-line help, module and extra from ``COMMANDS`` below,
and imports a module only when one of its subcommands is run. The other
subcommands appear in ``--help`` as placeholders with the same help line.

When the chosen subcommand's module cannot be imported because an optional
dependency is missing, the user gets one line naming the extra to install
(``missing_extra_message``), and exit status 2. ``tests/test_cli.py`` checks
that this table names exactly the subcommands each module registers, with
the help it gives them, so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The top-level modules of each extra's dependencies.
EXTRA_MODULES: dict[str, str] = {
    "z3": "proofs",
    "crosshair": "proofs",
    "hypothesis": "conformance",
    "rich": "conformance",
    "mkdocs": "docs",
    "material": "docs",
}


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand registered by ``module.register(subparsers)``."""

    name: str
    module: str
    help: str
    #: The extra that brings every dependency of the subcommand, when one
    #: does (the site draws on the proofs and the suite: ``docs`` has them).
    extra: str | None = None


COMMANDS: tuple[Command, ...] = (
    Command(
        "prove",
        "veridian_ipc.proofs.command",
        "prove the Z3 obligations and run the CrossHair contracts",
        extra="proofs",
    ),
    Command(
        "check",
        "veridian_ipc.proofs.command",
        "search every state of the spec in small scopes (invariants, step properties)",
        extra="proofs",
    ),
    Command(
        "conform",
        "veridian_ipc.conformance.command",
        "check a target against the spec, step by step",
    ),
    Command(
        "replay",
        "veridian_ipc.conformance.command",
        "re-run trace or vector files against a target",
    ),
    Command(
        "model-timings",
        "veridian_ipc.model.command",
        "quick timings of the model's hot paths",
    ),
    Command(
        "docs",
        "veridian_ipc.docs.command",
        "build or serve the documentation site (generated from the code)",
        extra="docs",
    ),
)


def modules() -> tuple[str, ...]:
    """The command modules, each once, in ``COMMANDS`` order."""
    return tuple(dict.fromkeys(c.module for c in COMMANDS))


def missing_extra_message(command: str, missing: str | None) -> str | None:
    """The one line telling a user which extra ``command`` needs, when the
    module ``missing`` belongs to one; None when it belongs to none (a bug,
    which should stay a traceback)."""
    top = (missing or "").split(".")[0]
    extra = EXTRA_MODULES.get(top)
    if extra is None:
        return None
    whole = next((c.extra for c in COMMANDS if c.name == command and c.extra), None)
    extra = whole or extra
    return (
        f"veridian-ipc {command}: needs the '{extra}' extra (missing module"
        f" {top}): pip install 'veridian-ipc[{extra}]'"
    )
