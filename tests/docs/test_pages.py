"""The generated pages: every rule anchored, named, typed, sourced and traced."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from veridian_ipc.docs import explore, facts, pages_reference, pages_rules, text
from veridian_ipc.docs.diagrams import to_dot, to_mermaid
from veridian_ipc.proofs.explore_scopes import SCOPES
from veridian_ipc.spec import RULES, RuleId, initial_state, step
from veridian_ipc.vocabulary.operations import OP_SPECS, OPS_BY_NAME


@pytest.fixture(scope="module")
def chapter_pages() -> dict[str, str]:
    return {c.page: pages_rules.chapter_page(c) for c in facts.chapters()}


def _section(pages: dict[str, str], rid: RuleId) -> str:
    """The Markdown of one rule's section (up to the next heading)."""
    marker = f"{{#{rid.value.lower()}}}"
    (page,) = [p for p in pages.values() if marker in p]
    start = page.rfind("\n", 0, page.index(marker)) + 1
    body = page[start:].split("\n", 1)[1]
    nxt = re.search(r"^#{1,3} ", body, re.MULTILINE)
    end = len(page) if nxt is None else len(page) - len(body) + nxt.start()
    return page[start:end].removeprefix("### ")


def test_chapters_follow_the_reading_order() -> None:
    names = [c.name for c in facts.chapters()]
    assert names[:4] == ["names", "errors", "rights", "state"]
    assert names.index("caps") < names.index("ports") < names.index("sockets")
    assert {e.id for c in facts.chapters() for e in c.rules} == {
        r.value for r in RuleId
    }


def test_every_rule_has_one_anchor_a_heading_and_its_parts(
    chapter_pages: dict[str, str],
) -> None:
    everything = "\n".join(chapter_pages.values())
    for rid in RuleId:
        assert everything.count(f"{{#{rid.value.lower()}}}") == 1, rid
        section = _section(chapter_pages, rid)
        ops = facts.operations_of(rid)
        for op in ops:
            assert f"`{text.signature(op)}`" in section.splitlines()[0], rid
            assert "**Result**: `Ok(" in section, rid
            for f in op.fields:
                assert f"| `{f.name}` |" in section, (rid, f.name)
        assert "**Seed**:" in section, rid
        assert "**Traceability**" in section, rid
        assert '??? note "Code: ' in section, rid
        for name in RULES[rid].errors:
            assert f"`{name}`" in section, (rid, name)


def test_derive_reads_as_an_operation(chapter_pages: dict[str, str]) -> None:
    section = _section(chapter_pages, RuleId.RIGHTS_DERIVE)
    assert section.splitlines()[0] == "`Derive(handle, rights)` {#rights-derive}"
    assert "| `handle` | `Handle` |" in section
    assert "**Result**: `Ok(Handle)`." in section
    assert '"Port Rights"' in section


def test_rule_ids_in_prose_become_relative_links() -> None:
    page = "spec/ports.md"
    out = text.link_ids("see CAP-HANDLE and PORT-SEND, not `PORT-SEND`", page)
    assert out == (
        "see [CAP-HANDLE](caps.md#cap-handle) and [PORT-SEND](#port-send),"
        " not `PORT-SEND`"
    )
    assert text.link_ids("NOT-A-RULE", page) == "NOT-A-RULE"
    assert "(../spec/ports.md#port-send)" in text.link_ids(
        "PORT-SEND", "reference/x.md"
    )


def _replay(
    scope_name: str, steps: list[explore.Step]
) -> Iterator[tuple[object, object]]:
    scope = SCOPES[scope_name]
    s = initial_state(scope.processes, scope.config)  # the setup is in the steps
    for st in steps:
        s, result = step(s, st.pid, st.op)
        yield result, st.result


def test_worked_examples_are_what_the_spec_returns() -> None:
    """Each example replays, step by step, to the results the page prints,
    and its last step is dispatched to (or always exercises) its rule."""
    found = explore.search()
    assert len(found.ok) >= 30
    for table in (found.ok, found.error):
        for rid, (scope_name, steps) in table.items():
            for got, printed in _replay(scope_name, steps):
                assert got == printed, rid
            last = steps[-1].op
            spec = OPS_BY_NAME[type(last).__name__]
            seen = {r.value for r in explore.SEEN_IN}
            assert (
                rid
                in {r.value for r in (*facts.operations_of_op(spec), *spec.also)} | seen
            )
            own = RULES[RuleId(rid)].errors
            if table is found.error and own:
                assert steps[-1].result.error.name in own  # type: ignore[union-attr]


def test_every_operation_rule_has_a_successful_example() -> None:
    found = explore.search()
    dispatched = {r.value for op in OP_SPECS for r in facts.operations_of_op(op)}
    missing = sorted(dispatched - set(found.ok))
    # these need states the small scopes do not reach (a spawned process,
    # a capability inspected, a connect by service type, a read or unmap)
    assert set(missing) <= {
        "PROC-SPAWN",
        "CAP-INSPECT",
        "NS-CONNECT",
        "BUF-UNMAP",
        "BUF-READ",
    }, missing


def test_a_hand_off_example_wakes_the_waiting_receiver() -> None:
    _, steps = explore.search().ok[RuleId.PORT_HANDOFF.value]
    assert type(steps[-1].op).__name__ in ("Send", "SockSend")
    assert any(
        type(st.op).__name__ == "Receive" and "BLOCKED" in text.result_text(st.result)
        for st in steps
    )


def test_lifecycles_are_found_by_the_spec() -> None:
    t = explore.search().transitions
    assert "Receive" in t["process"][("running", "waiting (receive)")]
    assert "Resume" in t["process"][("woken (result held for Resume)", "running")]
    assert "CreatePort" in t["port"][(None, "open")]
    assert (
        "Send"
        in t["capability location"][("at a handle", "in flight (queued message)")]
    )
    for kind in explore.PHASES:
        assert t[kind], kind


def test_diagram_sources() -> None:
    edges: dict[tuple[str | None, str | None], set[str]] = {
        (None, "open"): {"CreatePort"},
        ("open", "closed"): {"Close", "Drop"},
        ("closed", None): {"Kill"},
    }
    mermaid = to_mermaid(edges)
    assert mermaid.splitlines()[0] == "stateDiagram-v2"
    assert "[*] --> s0 : CreatePort" in mermaid
    assert "s0 --> s1 : Close, Drop" in mermaid
    assert "s1 --> [*] : Kill" in mermaid
    dot = to_dot("port", edges)
    assert 'start -> s0 [label="CreatePort"];' in dot
    assert 's1 -> gone [label="Kill"];' in dot


def test_matrix_marks_gaps() -> None:
    trace = {
        r.value: facts.Trace(proofs=["P"], behaviours=["B"], mutants=["M"])
        for r in RuleId
    }
    full = pages_reference.matrix_page(trace)
    assert "- no proof: none" in full
    trace[RuleId.PORT_SEND.value] = facts.Trace()
    gappy = pages_reference.matrix_page(trace)
    row = next(line for line in gappy.splitlines() if "[PORT-SEND]" in line)
    assert row.count("**gap**") == 5
    assert "- no proof: [PORT-SEND]" in gappy


def test_traceability_reads_the_registries() -> None:
    t = facts.traceability()
    assert "PortCapacityPlusOne" in t["PORT-SEND"].mutants
    assert "Send" in t["PORT-SEND"].operations
    assert t["PORT-SEND"].proofs
    assert "trace-port-capacity-plus-one.json" in t["PORT-SEND"].vectors


def test_proof_links_prefer_a_per_rule_coverage_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("veridian_ipc.proofs.coverage")
    fake.rule_coverage = lambda: {"PORT-SEND": ["OB-1"]}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "veridian_ipc.proofs.coverage", fake)
    assert facts.proof_links() == {"PORT-SEND": ["OB-1"]}
    monkeypatch.setitem(
        sys.modules, "veridian_ipc.proofs.coverage", types.ModuleType("x")
    )
    assert "PORT-SEND" in facts.proof_links()


def test_every_rule_cites_a_seed_section_or_says_why_not(
    chapter_pages: dict[str, str],
) -> None:
    for rid in RuleId:
        sections, _ = facts.seed_sections(rid)
        section = _section(chapter_pages, rid)
        if sections:
            assert all(f'"{s}"' in section for s in sections), rid
        else:
            assert "the seed has no such call" in section, rid
    assert facts.seed_sections(RuleId.PORT_SEND)[1] == "seed map"


def test_docs_build_without_mkdocs_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from veridian_ipc.cli.main import main
    from veridian_ipc.docs import site

    monkeypatch.setattr(site, "mkdocs_installed", lambda: False)
    assert main(["docs", "build", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "veridian-ipc docs: needs the 'docs' extra (MkDocs and its Material"
        " theme): pip install 'veridian-ipc[docs]'"
    ]
    assert not (tmp_path / "src").exists()


def test_docs_generate_writes_every_page(tmp_path: Path) -> None:
    from veridian_ipc.docs import site

    written = site.generate(tmp_path, use_graphviz=False)
    names = {p.relative_to(tmp_path / "src").as_posix() for p in written}
    assert {c.page for c in facts.chapters()} <= names
    assert {"index.md", "reference/traceability.md", "conformance/PROTOCOL.md"} <= names
    lifecycles = (tmp_path / "src" / "reference" / "lifecycles.md").read_text()
    assert "```mermaid\nstateDiagram-v2" in lifecycles  # without Graphviz
    config = (tmp_path / "mkdocs.yml").read_text()
    assert "!!python/name:pymdownx.superfences.fence_code_format" in config
