"""The ``veridian-ipc`` command: ``--help``, ``spec``, lazy subcommands, help text."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import subprocess
import sys

import pytest

from veridian_ipc.cli import __version__
from veridian_ipc.cli.commands import COMMANDS, missing_extra_message, modules
from veridian_ipc.cli.help_texts import option_name, options
from veridian_ipc.cli.main import build_parser, main
from veridian_ipc.spec import GROUPS, RULES, IpcError, RuleId, errno_of


def test_help_lists_spec(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "spec" in capsys.readouterr().out


def test_spec_index_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec"]) == 0
    out = capsys.readouterr().out
    for rid in RuleId:
        assert rid.value in out
    for _, title in GROUPS:
        assert title in out


def test_spec_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--json"]) == 0
    index = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in index["rules"]} == {r.value for r in RuleId}
    send = next(r for r in index["rules"] if r["id"] == "PORT-SEND")
    assert send["group"] == "ports"
    assert send["errors"][:2] == [
        IpcError.InvalidCapability.value,
        IpcError.InsufficientRights.value,
    ]
    assert send["errors"][-2:] == [  # the queued-bytes quota last (spec/quotas.py)
        IpcError.PortFull.value,
        IpcError.OutOfMemory.value,
    ]
    assert send["error_names"] == list(RULES[RuleId.PORT_SEND].errors)
    assert send["errors"] == [IpcError[n].value for n in send["error_names"]]
    assert index["errors"] == [
        {"code": e.value, "name": e.name, "errno": errno_of(e)} for e in IpcError
    ]


def test_console_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "veridian_ipc.cli.main", "spec"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "PORT-HANDOFF" in out


def test_spec_markdown_has_every_rule_and_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["spec", "--markdown"]) == 0
    out = capsys.readouterr().out
    for rid in RuleId:
        assert f"### {rid.value}" in out
    for e in IpcError:
        assert f"| {e.value} | {e.name} |" in out
    assert "Errors, in precedence order:" in out


def test_spec_json_marks_proof_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """Each rule and invariant lists the obligations covering it; the index
    lists those no obligation covers yet."""
    from veridian_ipc.proofs.obligations import OBLIGATIONS

    assert main(["spec", "--json"]) == 0
    index = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in index["rules"] + index["invariants"]}
    for ob in OBLIGATIONS:
        for covered in ob.covers:
            assert ob.id in by_id[covered.value]["proved_by"]
    assert index["unproved"] == sorted(
        k for k, r in by_id.items() if not r["proved_by"]
    )


# -- the first hour: lazy subcommands, missing extras, help text -------------------

#: Modules of the optional extras, made unimportable in a child interpreter.
EXTRAS_ABSENT = ("z3", "crosshair", "hypothesis", "rich", "mkdocs", "material")


def _child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (its own ``sys.modules``)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


def _without_extras(argv: list[str]) -> str:
    """Code running ``main(argv)`` as if no extra were installed."""
    return (
        "import sys\n"
        f"for name in {EXTRAS_ABSENT!r}:\n"
        "    sys.modules[name] = None  # an import of it raises ModuleNotFoundError\n"
        "from veridian_ipc.cli.main import main\n"
        f"sys.exit(main({argv!r}))\n"
    )


def test_help_imports_neither_z3_nor_hypothesis() -> None:
    """``--help`` lists every subcommand without importing the proofs' or the
    conformance suite's dependencies (it is fast)."""
    done = _child(
        "import sys, contextlib, io\n"
        "from veridian_ipc.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('z3', 'hypothesis', 'crosshair', 'rich',"
        " 'mkdocs') if m in sys.modules)\n"
        "print(heavy)\n"
        "print(out.getvalue())\n"
    )
    assert done.returncode == 0, done.stderr
    first, _, help_text = done.stdout.partition("\n")
    assert first == "[]"
    for command in COMMANDS:
        assert command.name in help_text
    assert "spec" in help_text


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["prove"], "proofs"),
        (["check"], "proofs"),
        (["conform", "--profile", "ci"], "conformance"),
        (["replay", "x.json", "--target", "m:C"], "conformance"),
        (["docs", "build"], "docs"),
    ],
)
def test_missing_extra_is_one_line_and_status_2(argv: list[str], extra: str) -> None:
    done = _child(_without_extras(argv))
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'veridian-ipc[{extra}]'" in lines[0]
    assert "Traceback" not in done.stderr


def test_spec_and_help_work_without_any_extra() -> None:
    done = _child(_without_extras(["spec"]))
    assert done.returncode == 0, done.stderr
    assert "PORT-SEND" in done.stdout
    done = _child(_without_extras(["--help"]))
    assert done.returncode == 0, done.stderr
    assert "conform" in done.stdout


def test_missing_extra_message_names_the_extra() -> None:
    assert missing_extra_message("prove", "z3.z3core") == (
        "veridian-ipc prove: needs the 'proofs' extra (missing module z3):"
        " pip install 'veridian-ipc[proofs]'"
    )
    assert missing_extra_message("conform", "hypothesis") is not None
    assert missing_extra_message("conform", "veridian_ipc.nothing") is None
    assert missing_extra_message("conform", None) is None


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_lazy_table_matches_what_the_modules_register() -> None:
    """``commands.COMMANDS`` names exactly the subcommands each module
    registers, with the help line the module gives (the placeholders shown by
    ``--help`` cannot drift from the real subcommands)."""
    for module_name in modules():
        module = importlib.import_module(module_name)
        probe = argparse.ArgumentParser()
        sub = probe.add_subparsers()
        module.register(sub)
        registered = {a.dest: a.help for a in sub._choices_actions}
        listed = {c.name: c.help for c in COMMANDS if c.module == module_name}
        assert registered == listed, module_name


def test_every_option_has_help() -> None:
    parser = build_parser(None)
    missing = [
        f"{name} {option_name(action)}"
        for name, action in options(_subparsers(parser))
        if not action.help
    ]
    assert missing == []


def test_option_help_check_catches_a_bare_option() -> None:
    """The walk finds an option declared without help (the check can fail)."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    p = sub.add_parser("x")
    p.add_argument("--bare")
    found = [option_name(a) for _, a in options(_subparsers(parser)) if not a.help]
    assert found == ["--bare"]


def test_help_never_cuts_a_word(capsys: pytest.CaptureFixture[str]) -> None:
    """``conform --help`` wraps between words: the comma-separated list of
    groups stays whole."""
    with pytest.raises(SystemExit):
        main(["conform", "--help"])
    out = capsys.readouterr().out
    groups = next(
        a
        for a in options(_subparsers(build_parser(None)))
        if option_name(a[1]) == "--groups"
    )
    listed = str(groups[1].help).split(" of ", 1)[1].split()[0]
    assert listed in out.replace("\n", " ")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"veridian-ipc {__version__}"
    assert __version__ == importlib.metadata.version("veridian-ipc")
