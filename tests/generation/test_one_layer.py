"""One generation layer: the old generators are gone and their users import
the shared one (``veridian_ipc.generation``).

``leftovers(root)`` lists what breaks the rule in a source tree: an old
generator module still present, a user that no longer imports the layer, a
conformance ``generate_*`` module that defines generators again instead of
re-exporting them, or a test that draws operations with its own strategies.
It is empty for the repository and names each planted breach of a copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

#: Old generator modules, deleted.
GONE = ("proofs/scenarios.py",)
#: Users that must draw through the layer.
USERS = (
    "proofs/spec_campaign.py",
    "proofs/__init__.py",
    "conformance/machine.py",
    "conformance/checker.py",
    "tests/model/test_lockstep.py",
    "tests/spec/test_properties.py",
    "tests/proofs/test_agreement.py",
    "tests/proofs/test_precedence.py",
)
#: What an operation generator of its own looks like in a test or a module.
OWN_GENERATOR = re.compile(
    r"^\s*(def (random_op|op_for|one_of_live|live_or|random_run)\b"
    r"|import random\b|operations = st\.one_of)",
    re.MULTILINE,
)
LAYER = re.compile(r"\bveridian_ipc\.generation\b")


def leftovers(root: Path) -> list[str]:
    out = [f"{p}: still exists" for p in GONE if (root / p).exists()]
    for p in USERS:
        text = (root / p).read_text()
        if not LAYER.search(text):
            out.append(f"{p}: does not import veridian_ipc.generation")
        if OWN_GENERATOR.search(text):
            out.append(f"{p}: draws operations of its own")
    out.extend(
        f"conformance/{path.name}: defines generators again"
        for path in sorted((root / "conformance").glob("generate_*.py"))
        if re.search(r"^(def|class) ", path.read_text(), re.MULTILINE)
    )
    return out


def test_the_old_generators_are_gone_and_users_import_the_layer() -> None:
    assert leftovers(ROOT) == []


def test_planted_breaches_are_named(tmp_path: Path) -> None:
    for p in (
        *USERS,
        *(f"conformance/{x.name}" for x in ROOT.glob("conformance/generate_*.py")),
    ):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / p, tmp_path / p)
    assert leftovers(tmp_path) == []
    (tmp_path / "proofs/scenarios.py").write_text("def random_run(): ...\n")
    lockstep = tmp_path / "tests/model/test_lockstep.py"
    lockstep.write_text("import random\n\ndef random_op(rnd, obs, pid): ...\n")
    ops = tmp_path / "conformance/generate_ops.py"
    ops.write_text(ops.read_text() + "\n\ndef _spawn(g): ...\ndef ill_typed(g): ...\n")
    assert leftovers(tmp_path) == [
        "proofs/scenarios.py: still exists",
        "tests/model/test_lockstep.py: does not import veridian_ipc.generation",
        "tests/model/test_lockstep.py: draws operations of its own",
        "conformance/generate_ops.py: defines generators again",
    ]
