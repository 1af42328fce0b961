"""Run the CrossHair contracts, bounded, and report per function.

``python -m crosshair check --report_all --per_condition_timeout=N MODULE`` runs
in a subprocess per module (CrossHair patches the interpreter while it works);
its lines ``FILE:LINE: info|error: MESSAGE`` are mapped back to the
``check_*`` function they belong to. Verdicts: ``confirmed`` (proved over all
paths), ``no counterexample`` (none found within the bound), ``refuted`` (a
counterexample; for the seeded module that is the expected outcome),
``error`` (CrossHair failed to run).
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import time
from dataclasses import dataclass

from . import contracts, contracts_seeded

_LINE = re.compile(r"^(.*?):(\d+): (info|error): (.*)$")

CONTRACT_MODULE = "veridian_ipc.proofs.contracts"
SEEDED_MODULE = "veridian_ipc.proofs.contracts_seeded"


@dataclass(frozen=True, slots=True)
class ContractResult:
    """The outcome of one contract."""

    function: str
    verdict: str
    seconds: float
    message: str
    seeded: bool = False

    @property
    def ok(self) -> bool:
        """A real contract holds (or nothing falsifies it within the bound); a
        seeded one is refuted."""
        if self.seeded:
            return self.verdict == "refuted"
        return self.verdict in ("confirmed", "no counterexample")


def _functions(module: str, names: tuple[str, ...]) -> list[tuple[int, str]]:
    mod = importlib.import_module(module)
    out = [(inspect.getsourcelines(getattr(mod, n))[1], n) for n in names]
    return sorted(out)


def _owner(line: int, starts: list[tuple[int, str]]) -> str | None:
    owner = None
    for start, name in starts:
        if start <= line:
            owner = name
    return owner


def start(module: str, timeout: float) -> subprocess.Popen[str]:
    """Start CrossHair on ``module`` in the background."""
    cmd = [
        sys.executable,
        "-m",
        "crosshair",
        "check",
        "--report_all",
        f"--per_condition_timeout={timeout}",
        module,
    ]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def collect(
    proc: subprocess.Popen[str],
    module: str,
    names: tuple[str, ...],
    seconds: float,
    seeded: bool,
) -> list[ContractResult]:
    """Wait for ``proc`` and turn its report into one result per function."""
    out, err = proc.communicate()
    starts = _functions(module, names)
    verdicts: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        fn = _owner(int(m.group(2)), starts)
        if fn is None:
            continue
        kind, msg = m.group(3), m.group(4)
        if kind == "error":
            verdicts[fn] = ("refuted", msg)
        elif fn not in verdicts:
            confirmed = msg.startswith("Confirmed")
            verdicts[fn] = ("confirmed" if confirmed else "no counterexample", msg)
    per = seconds / max(1, len(names))
    results = []
    for name in names:
        verdict, msg = verdicts.get(name, ("error", err.strip()[-300:] or "no report"))
        results.append(ContractResult(name, verdict, per, msg, seeded))
    return results


def run_contracts(timeout: float = 2.0) -> list[ContractResult]:
    """Every contract and the seeded bug, bounded by ``timeout`` per condition."""
    t0 = time.perf_counter()
    main = start(CONTRACT_MODULE, timeout)
    seeded = start(SEEDED_MODULE, timeout)
    s_res = collect(
        seeded, SEEDED_MODULE, contracts_seeded.SEEDED, time.perf_counter() - t0, True
    )
    m_res = collect(
        main, CONTRACT_MODULE, contracts.CONTRACTS, time.perf_counter() - t0, False
    )
    return [*m_res, *s_res]
