"""Declared observation: how much of the state a target can show, and projection.

A target says in its handshake what it **observes** (the ``observes`` of
``hello``; in process, a class attribute ``observes``; ``conform --observes``
overrides either):

- ``"all"`` (the default): the whole of ``spec.observe.observe``'s format;
- ``"none"``: nothing; only results are compared (a black box). The target is
  then never asked for an observation;
- a list of **paths** of the observation (``OBSERVATION_FIELDS`` of
  ``spec/observe.py`` documents every one; ``*`` stands for a map's key, ``[]``
  for a list's item): ``"ports"``, ``"ports.*.capacity"``,
  ``"processes.*.handles.*.rights"``, ... A path stands for everything below
  it, and the map keys above it (reporting ``ports.*.capacity`` reports which
  ports exist). A path written ``-PATH`` is **left out**: the list means the
  union of its plain paths (everything, when it has none) minus its ``-``
  paths, so ``["-ports.*.filter.tokens", "-ports.*.waiters"]`` is "all but the
  filters' tokens and the waiter lists". An unknown path is refused
  (``ObservesError``).

The suite then compares only the declared part: ``project`` cuts both the
spec's observation and the target's down to it before they are compared (a
target that sends more than it declared is fine; one that leaves out a
declared field diverges). The spec's invariants are checked on the spec's
state whatever the target observes; the invariant monitors over the target's
observation check what it shows (a monitor that lacks a field skips).
``not_compared`` names, for the report, the parts left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from veridian_ipc.spec.observe import OBSERVATION_FIELDS
from veridian_ipc.vocabulary.results import Data

#: Every documented path of the observation, in the order they are documented.
PATHS: tuple[str, ...] = tuple(OBSERVATION_FIELDS)
#: The paths nothing is documented below: what a declaration is made of.
LEAVES: tuple[str, ...] = tuple(
    p for p in PATHS if not any(q.startswith(p + ".") for q in PATHS)
)
#: The observation's top-level sections.
SECTIONS: tuple[str, ...] = tuple(p for p in PATHS if "." not in p)
#: The words ``observes`` accepts besides a list.
ALL, NONE = "all", "none"


class ObservesError(ValueError):
    """An ``observes`` declaration that is not ``"all"``, ``"none"`` or a list
    of known observation paths."""


def _under(path: str) -> frozenset[str]:
    """The leaves at or below ``path``."""
    return frozenset(q for q in LEAVES if q == path or q.startswith(path + "."))


@dataclass(frozen=True)
class Observes:
    """What a target observes: the set of leaf paths it reports."""

    leaves: frozenset[str]

    @property
    def everything(self) -> bool:
        """Whether the whole observation is compared."""
        return len(self.leaves) == len(LEAVES)

    @property
    def nothing(self) -> bool:
        """Whether only results are compared."""
        return not self.leaves

    @property
    def sections(self) -> tuple[str, ...]:
        """The top-level sections of which something is reported."""
        return tuple(s for s in SECTIONS if _under(s) & self.leaves)

    def to_json(self) -> Data:
        """``"all"``, ``"none"`` or the shortest list of paths that says it."""
        if self.everything:
            return ALL
        if self.nothing:
            return NONE
        return _cover(self.leaves)

    def not_compared(self) -> list[str]:
        """The paths left out, topmost first (empty when all is compared)."""
        return _cover(frozenset(LEAVES) - self.leaves)


EVERYTHING = Observes(frozenset(LEAVES))
RESULTS_ONLY = Observes(frozenset())


def _cover(leaves: frozenset[str]) -> list[str]:
    """The topmost documented paths whose leaves are all in ``leaves``."""
    out: list[str] = []
    for p in PATHS:
        if any(p.startswith(q + ".") for q in out):
            continue
        if _under(p) <= leaves:
            out.append(p)
    return out


def parse_observes(value: object) -> Observes:
    """The declaration ``value``: ``"all"``, ``"none"``, a list of paths (see
    the module's docstring), or, as the command line writes it, the paths
    separated by commas. ``ObservesError`` says what is wrong otherwise."""
    if isinstance(value, Observes):
        return value
    if value is None or value == ALL:
        return EVERYTHING
    if value == NONE:
        return RESULTS_ONLY
    if isinstance(value, str):
        items: list[object] = [p.strip() for p in value.split(",")]
    elif isinstance(value, list | tuple | frozenset | set):
        items = list(value)
    else:
        raise ObservesError(
            f'observes must be "all", "none" or a list of paths, not {value!r:.80}'
        )
    if not items or items == [""]:
        raise ObservesError('observes names no path (say "none" for results only)')
    keep: set[str] = set()
    drop: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise ObservesError(f"an observation path is a string, not {item!r:.60}")
        path = item.removeprefix("-")
        if path not in OBSERVATION_FIELDS:
            raise ObservesError(
                f"unknown observation path {path!r:.60} (known: "
                f"{', '.join(SECTIONS)} and the paths below them, e.g. "
                "ports.*.capacity, ports.*.filter.tokens)"
            )
        (drop if item.startswith("-") else keep).update(_under(path))
    chosen = (keep or set(LEAVES)) - drop
    return Observes(frozenset(chosen))


def observes_of(cls: object, claimed: object = None) -> Observes:
    """A target class's declaration: ``claimed`` if given, else its
    ``observes`` attribute (default ``"all"``)."""
    return parse_observes(
        claimed if claimed is not None else getattr(cls, "observes", ALL)
    )


def declared_of(driver: object) -> Observes:
    """What a driver's target observes (``"all"`` for a driver that does not say)."""
    declared = getattr(driver, "observes", EVERYTHING)
    return declared if isinstance(declared, Observes) else parse_observes(declared)


# -- projection ---------------------------------------------------------------------


@cache
def _children(prefix: str) -> tuple[str, ...]:
    """The next path segments documented below ``prefix`` ("" is the root)."""
    start = prefix + "." if prefix else ""
    out: list[str] = []
    for p in PATHS:
        if p.startswith(start):
            seg = p[len(start) :].split(".", 1)[0]
            if seg not in out:
                out.append(seg)
    return tuple(out)


def _join(prefix: str, seg: str) -> str:
    return f"{prefix}.{seg}" if prefix else seg


@cache
def _reach(prefix: str) -> frozenset[str]:
    """The leaves at or below ``prefix``, any depth ("" is the root)."""
    return frozenset(LEAVES) if not prefix else _under(prefix)


def project(obs: Data, declared: Observes) -> Data:
    """``obs`` cut down to ``declared``: map keys are kept, record fields not
    declared are left out, and a value not of the documented shape (``null``
    where a filter may be, a malformed part) is kept as it is, so that it is
    still compared."""
    if declared.everything:
        return obs
    if declared.nothing:
        return {}
    return _project(obs, "", declared.leaves)


def _project(value: Data, prefix: str, leaves: frozenset[str]) -> Data:
    if _reach(prefix) <= leaves:
        return value
    kids = _children(prefix)
    if kids == ("*",):
        if not isinstance(value, dict):
            return value
        inner = _join(prefix, "*")
        return {k: _project(v, inner, leaves) for k, v in value.items()}
    if kids == ("[]",):
        if not isinstance(value, list):
            return value
        inner = _join(prefix, "[]")
        return [_project(v, inner, leaves) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[object, Data] = {}
    for seg in kids:
        path = _join(prefix, seg)
        if seg in value and _reach(path) & leaves:
            out[seg] = _project(value[seg], path, leaves)
    return out


def report_line(observes: Data, not_compared: list[str]) -> str:
    """The report's line on what was not compared (a ``Report``'s
    ``observes`` and ``not_compared``); empty when everything was."""
    if not not_compared:
        return ""
    if observes == NONE:
        return "results only: no observation compared"
    return "partial: not compared: " + ", ".join(not_compared)


__all__ = [
    "ALL",
    "EVERYTHING",
    "LEAVES",
    "NONE",
    "PATHS",
    "RESULTS_ONLY",
    "SECTIONS",
    "Observes",
    "ObservesError",
    "declared_of",
    "observes_of",
    "parse_observes",
    "project",
    "report_line",
]
