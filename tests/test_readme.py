"""The README's Python examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_examples() -> None:
    """Both tours are there: the spec's (``step``) and the model's
    (``System()``, whose printed results ``test_readme_example_runs`` checks)."""
    assert [("step(" in b, "System()" in b) for b in BLOCKS] == [
        (True, False),
        (False, True),
    ]


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Delivered(sender=1" in done.stdout
    if "System()" in code:  # the model's tour prints what each part moved
        for expected in ("b'hello'", "b'zero!'", "[b'a', b'b', b'c']", "b'datagram'"):
            assert expected in done.stdout
