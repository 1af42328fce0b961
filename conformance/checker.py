"""The lock-step checker: one operation to the spec and the target, then compare.

``Checker.apply(pid, op)`` takes an operation in the spec's numbering (the
symbolic names of traces), sends it to the target in the target's numbering
(``renaming``), and after **every step** checks, in this order:

1. the target's observation against the invariant monitors (``monitors``), and
   ERR-ATOMIC: a failed operation other than ``Resume`` leaves the target's
   observation exactly as it was;
2. for every spec state still consistent with the target so far (``outcomes``),
   every outcome the spec allows: the result (under the comparison ``Mode``)
   and the observation, up to a consistent renaming; the spec's own invariants
   hold in each (else the spec has a bug, reported as such).

A step that no outcome survives, a monitor that fires, or a renaming that is
not a bijection raises ``Divergence`` with what is needed for a trace. A
target that crashes, hangs or garbles the protocol raises ``TargetFailure``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

from veridian_ipc.generation.configs import SMALL
from veridian_ipc.spec import RULES, Config, InvId, RuleId, initial_state, violations
from veridian_ipc.spec.observe import observe
from veridian_ipc.spec.state import KernelState
from veridian_ipc.vocabulary.results import Data, Err, Result, encode_result
from veridian_ipc.vocabulary.syscalls import Operation, Resume, SpawnThread

from .compare import Mode, diff, results_agree
from .coverage import SHARED_ERROR_RULES, Coverage, tags
from .monitors import FreshIds, observation_violations
from .observation import declared_of, project
from .outcomes import Oracle, SpecOracle
from .renaming import Renaming, RenamingError
from .surface import STATIC_TAGS, rule_with_error
from .targets import Driver
from .wire import encode_op

#: Small limits, so that a short run reaches every limit (capacities, sizes):
#: the generation layer's one small configuration.
SMALL_CONFIG = SMALL

#: Spec states kept at most when outcomes branch.
MAX_CANDIDATES = 64


def _plain(value: Data) -> Data:
    """``value`` as JSON can hold it (what is not plain data becomes its repr),
    so that a trace can show whatever a broken target returned."""
    try:
        return json.loads(json.dumps(value, default=repr))
    except (TypeError, ValueError):  # keys JSON cannot hold, cycles
        return repr(value)


@dataclass
class StepRecord:
    """One step as the trace shows it (spec numbering throughout)."""

    pid: int
    op: Operation
    spec: Data
    target: Data
    rules: list[str] = field(default_factory=list)
    observation: Data = None
    #: The ``detail`` a target sent beside an error (kept, never compared).
    detail: str | None = None
    #: Where the spec's error came from (``check_of``), for an error result.
    check: Data = None
    #: The same for the target's error, where it differs from the spec's.
    target_check: Data = None

    def to_json(self) -> Data:
        """Plain data."""
        target = _plain(self.target)
        if self.detail is not None and isinstance(target, dict):
            target = {**target, "detail": self.detail}
        out = {
            "pid": self.pid,
            "op": encode_op(self.op),
            "spec": self.spec,
            "target": target,
            "rules": self.rules,
        }
        if self.check is not None:
            out["check"] = self.check
        if self.target_check is not None:
            out["target_check"] = self.target_check
        if self.observation is not None:
            out["observation"] = self.observation
        return out


def check_of(rule: RuleId, error: str) -> Data:
    """The check of ``rule``'s documented precedence list that ``error`` is.

    ``{"rule", "error", "position", "of"}``: ``position`` is 1-based in the
    rule's ``errors`` (its docstring's list, ERR-PRECEDENCE), ``of`` the list's
    length. An error listed more than once (e.g. ``InvalidCapability`` twice in
    PORT-SEND: once for the handle, once for a carried capability) is placed
    at its **first listed** position, with ``"ambiguous": true``. ``None``
    when the rule does not list the error.
    """
    entry = RULES.get(rule)
    if entry is None or error not in entry.errors:
        return None
    errors = list(entry.errors)
    out: dict[str, Data] = {
        "rule": rule.value,
        "error": error,
        "position": errors.index(error) + 1,
        "of": len(errors),
    }
    if errors.count(error) > 1:
        out["ambiguous"] = True
    return out


def check_text(check: Data) -> str:
    """``PORT-SEND check 11/11`` from a ``check_of`` answer."""
    assert isinstance(check, dict)
    return f"{check['rule']} check {check['position']}/{check['of']}"


def target_check(op_name: str, spec_check: Data, target: Data) -> Data:
    """Where the target's error sits, when it is not the spec's: in the spec's
    rule's list if it is there, else in the first of the operation's own
    rules and the shared ones (``coverage``) that lists it; ``None`` for a
    success or an error no rule documents."""
    if not isinstance(target, dict) or not isinstance(target.get("error"), str):
        return None
    error = target["error"]
    if isinstance(spec_check, dict):
        if spec_check["error"] == error:
            return None
        same = check_of(RuleId(spec_check["rule"]), error)
        if same is not None:
            return same
    rules = (*STATIC_TAGS.get(op_name, ()), *SHARED_ERROR_RULES)
    rule = rule_with_error(rules, error)
    return None if rule is None else check_of(rule, error)


def attribution(spec_check: Data, t_check: Data, target: Data) -> str:
    """The sentence a diverging error step adds to its message."""
    parts = []
    if isinstance(spec_check, dict):
        parts.append(
            f"spec stopped at {check_text(spec_check)} ({spec_check['error']})"
        )
    if isinstance(target, dict) and isinstance(target.get("error"), str):
        if isinstance(spec_check, dict) and target["error"] == spec_check["error"]:
            return "; ".join(parts)
        where = ""
        if isinstance(t_check, dict):
            same = (
                isinstance(spec_check, dict) and t_check["rule"] == spec_check["rule"]
            )
            where = (
                f" (check {t_check['position']}/{t_check['of']})"
                if same
                else f" ({check_text(t_check)})"
            )
        parts.append(f"target answered {target['error']}{where}")
    return "; ".join(parts)


def split_detail(result: Data) -> tuple[Data, str | None]:
    """A target's result without the ``detail`` an error may carry beside its
    name (protocol: kept in the trace, never compared), and that detail."""
    if isinstance(result, dict) and "error" in result and "detail" in result:
        detail = result["detail"]
        rest = {k: v for k, v in result.items() if k != "detail"}
        return rest, detail if isinstance(detail, str) else repr(detail)
    return result, None


class Divergence(Exception):
    """The target is not consistent with the spec at step ``step``."""

    def __init__(
        self,
        kind: str,
        message: str,
        step: int,
        steps: list[StepRecord],
        diff: list[Data] | None = None,
        invariants: list[str] | None = None,
    ) -> None:
        super().__init__(f"step {step}: {kind}: {message}")
        self.kind = kind
        self.message = message
        self.step = step
        self.steps = steps
        self.diff = diff or []
        self.invariants = invariants or []
        last = steps[-1] if steps and len(steps) == step else None
        #: The diverging step's checks (``StepRecord.check``), if it has them.
        self.check: Data = None if last is None else last.check
        self.target_check: Data = None if last is None else last.target_check

    def to_json(self) -> Data:
        """Plain data for the trace's ``divergence``."""
        return {
            "step": self.step,
            "kind": self.kind,
            "message": self.message,
            "invariants": self.invariants,
            "diff": _plain(self.diff),
            **({"check": self.check} if self.check is not None else {}),
            **(
                {"target_check": self.target_check}
                if self.target_check is not None
                else {}
            ),
        }


def _note_thread(
    ren: Renaming, spec_process: int, target_process: int, spec: Data, target: Data
) -> None:
    """After a ``SpawnThread`` that made a thread on both sides, tell the
    renaming whose tables the new threads use (PROC-THREAD)."""
    if isinstance(spec, dict) and isinstance(target, dict):
        s, t = spec.get("ok"), target.get("ok")
        if type(s) is int and type(t) is int:
            ren.note_thread(s, spec_process, t, target_process)


def _shown(value: object, width: int = 80) -> str:
    """``repr(value)``, clipped for a message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass
class Candidate:
    """A spec state consistent with everything the target has shown so far."""

    state: KernelState
    renaming: Renaming


class Checker:
    """Lock-step comparison of one target with the spec, step by step."""

    def __init__(
        self,
        driver: Driver,
        processes: int = 3,
        config: Config = SMALL_CONFIG,
        mode: Mode = Mode.EXACT,
        oracle: Oracle | None = None,
        coverage: Coverage | None = None,
    ) -> None:
        self.driver = driver
        self.processes = processes
        self.config = config
        self.mode = mode
        self.oracle: Oracle = oracle or SpecOracle()
        self.coverage = coverage if coverage is not None else Coverage()
        self.leniencies: Counter[tuple[str, str]] = Counter()
        self.steps: list[StepRecord] = []
        self.candidates: list[Candidate] = []
        self.target_obs: Data = None
        self.fresh = FreshIds()
        self.target_seconds = 0.0
        #: Keep the spec's observation after each step in the records (vectors).
        self.keep_observations = False

    @property
    def spec_state(self) -> KernelState:
        """The first spec state still consistent with the target."""
        return self.candidates[0].state

    def reset(self) -> None:
        """Start again from the initial state on both sides, and compare it."""
        self.steps = []
        self.fresh = FreshIds()
        t0 = time.perf_counter()
        self.driver.reset(self.processes, self.config)
        obs = self.driver.observe()
        self.target_seconds += time.perf_counter() - t0
        s = initial_state(processes=self.processes, config=self.config)
        ren = Renaming(self.processes)
        self.candidates = [Candidate(s, ren)]
        self.target_obs = obs
        spec_obs = project(observe(s), declared_of(self.driver))
        if not isinstance(obs, dict):
            raise Divergence(
                "observation",
                f"the initial observation is {_shown(obs)}, not an object",
                0,
                [],
                diff(spec_obs, obs),
            )
        problems = observation_violations(obs, self.fresh)
        try:
            ren.bind_observation(spec_obs, obs)
            translated = ren.observation_to_spec(obs)
        except Exception as exc:  # anything a malformed observation raises
            raise Divergence(
                "observation",
                f"the initial observation is malformed: {exc!r}",
                0,
                [],
                diff(spec_obs, obs),
            ) from None
        if translated != spec_obs or problems:
            raise Divergence(
                "observation",
                "the initial state differs",
                0,
                [],
                diff(spec_obs, translated),
                [p.value for p in problems],
            )

    def apply(self, pid: int, op: Operation) -> StepRecord:
        """One step on both sides; raises ``Divergence`` if they disagree."""
        index = len(self.steps) + 1
        c0 = self.candidates[0]
        tpid, top = c0.renaming.op_to_target(pid, op)
        t0 = time.perf_counter()
        t_res = self.driver.apply(tpid, top)
        t_obs = self.driver.observe()
        self.target_seconds += time.perf_counter() - t0
        t_res, detail = split_detail(t_res)
        problems = [p.value for p in observation_violations(t_obs, self.fresh)]
        failed = isinstance(t_res, dict) and "error" in t_res
        if failed and not isinstance(op, Resume) and t_obs != self.target_obs:
            problems.append("ERR-ATOMIC")
        first_failure: tuple[str, str, list[Data], Data] | None = None
        survivors: list[Candidate] = []
        record: StepRecord | None = None
        first_step: tuple[KernelState, int, Operation, Result, KernelState] | None
        first_step = None
        name = type(op).__name__
        for c in self.candidates:
            spid, sop = (pid, op) if c is c0 else c.renaming.op_to_spec(tpid, top)
            try:
                outcomes = self.oracle.outcomes(c.state, spid, sop)
            except Exception as exc:  # the spec must never raise (ERR-TOTAL)
                raise Divergence(
                    "spec",
                    f"the spec raised {exc!r} on {sop!r}: a spec bug",
                    index,
                    self.steps,
                ) from exc
            for s2, r in outcomes:
                ren = (
                    c.renaming
                    if len(outcomes) * len(self.candidates) == 1
                    else (c.renaming.copy())
                )
                spec_r = encode_result(r)
                broken = violations(s2)
                if broken:
                    raise Divergence(
                        "spec",
                        "the spec violates " + ", ".join(b.value for b in broken),
                        index,
                        self.steps,
                        invariants=[b.value for b in broken],
                    )
                if isinstance(sop, SpawnThread) and isinstance(top, SpawnThread):
                    _note_thread(ren, sop.process, top.process, spec_r, t_res)
                failure, translated = self._compare(
                    ren, name, spid, tpid, spec_r, t_res, s2, t_obs
                )
                if record is None:
                    record = StepRecord(spid, sop, spec_r, translated)
                    first_step = (c.state, spid, sop, r, s2)
                if failure is not None:
                    if first_failure is None:
                        first_failure = (*failure, translated)
                    continue
                survivors.append(Candidate(s2, ren))
                if len(survivors) == 1:
                    rules, path = tags(c.state, spid, sop, r, s2)
                    step = (c.state, spid, sop, r, s2)
                    self.coverage.add(rules, path, step, first=index == 1)
                    record = StepRecord(
                        spid, sop, spec_r, translated, [*map(str, rules)]
                    )
                    record.check = self._check(path)
                    if self.keep_observations:
                        record.observation = observe(s2)
        assert record is not None
        self.steps.append(record)
        if detail is not None:
            record.detail = detail
        if not survivors:
            assert first_failure is not None
            kind, message, d, translated = first_failure
            record.target = translated
            assert first_step is not None
            self._attribute(record, name, first_step, translated)
            said = attribution(record.check, record.target_check, translated)
            if kind == "result" and said:
                message += "; " + said
            raise Divergence(kind, message, index, self.steps, d, problems)
        if problems:
            raise Divergence(
                "invariant",
                "the target's observation violates " + ", ".join(problems),
                index,
                self.steps,
                invariants=problems,
            )
        self.candidates = survivors[:MAX_CANDIDATES]
        self.target_obs = t_obs
        return record

    @staticmethod
    def _check(path: tuple[RuleId, str] | None) -> Data:
        """The check of the spec's error path (``coverage.tags``), if any."""
        return None if path is None else check_of(*path)

    def _attribute(
        self,
        record: StepRecord,
        name: str,
        step: tuple[KernelState, int, Operation, Result, KernelState],
        target: Data,
    ) -> None:
        """Name, on a step no outcome survived, the rules and the check of the
        spec's own first outcome, and where the target's error sits."""
        rules, path = tags(*step)
        record.rules = [*map(str, rules)]
        record.check = self._check(path)
        if isinstance(step[3], Err) or isinstance(target, dict):
            record.target_check = target_check(name, record.check, target)

    def _compare(
        self,
        ren: Renaming,
        name: str,
        spid: int,
        tpid: int,
        spec_r: Data,
        t_res: Data,
        s2: KernelState,
        t_obs: Data,
    ) -> tuple[tuple[str, str, list[Data]] | None, Data]:
        """Compare one spec outcome with what the target showed."""
        try:
            translated = ren.unify_result(name, spid, tpid, spec_r, t_res)
        except RenamingError as exc:
            return ("renaming", str(exc), []), t_res
        except Exception as exc:  # anything a malformed result raises
            msg = f"{name}: malformed result {_shown(t_res)}: {exc!r}"
            return ("result", msg, diff(spec_r, t_res)), t_res
        ok, leniency = results_agree(self.mode, spec_r, translated)
        if not ok:
            msg = f"{name}: spec {spec_r}, target {translated}"
            return ("result", msg, diff(spec_r, translated)), translated
        spec_obs = project(observe(s2), declared_of(self.driver))
        try:
            ren.bind_observation(spec_obs, t_obs)
            t_tr = ren.observation_to_spec(t_obs)
        except Exception as exc:  # anything a malformed observation raises
            msg = f"after {name}: malformed observation: {exc!r}"
            return ("observation", msg, []), translated
        if t_tr != spec_obs:
            d = diff(spec_obs, t_tr)
            where = ", ".join(str(x["path"]) for x in d[:3])
            return ("observation", f"after {name}: differs at {where}", d), translated
        if leniency is not None:
            self.leniencies[leniency] += 1
        return None, translated

    def leniencies_json(self) -> list[Data]:
        """Leniencies used, as plain data."""
        return [
            {"spec": s, "target": t, "count": n}
            for (s, t), n in sorted(self.leniencies.items())
        ]


__all__ = [
    "SMALL_CONFIG",
    "Checker",
    "Divergence",
    "InvId",
    "StepRecord",
]
