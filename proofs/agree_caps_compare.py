"""The capability part's comparison of an abstract post-state with the spec's.

Whole arrays first (one solver call); on a difference, entry by entry on the
ids in use, to say where. A dead node's fields and a dead process's counters
are moot. Verdicts are memoised on the compared terms: many explored
transitions lead to the same projected post-state.
"""

from __future__ import annotations

from veridian_ipc.spec import KernelState

from ._smt import value
from .agree_caps_project import NAME_IDS, cap_state
from .faithful import Pair, differences, nested_pairs, pairs
from .induction import State


def compare(post: State, before: KernelState, after: KernelState) -> list[str]:
    """Whole arrays first (one solver call); on a difference, entry by entry on
    the ids in use, to say where."""
    want = cap_state(after)
    if all(post[f].eq(want[f]) for f in _COMPARED):
        return []  # the same terms (a failed step on an unchanged state)
    caps = list(range(max(before.next_cap, after.next_cap) + 2))
    pids = sorted(int(p) for p in after.processes)
    procs = after.processes.values()
    handles = list(range(max([p.next_handle for p in procs] + [1]) + 2))
    maps = list(range(max([p.next_mapping for p in procs] + [1]) + 2))
    live = sorted(int(c) for c in after.caps)
    key = (
        tuple(post[f].get_id() for f in _COMPARED),
        tuple(want[f].get_id() for f in _COMPARED),
        *(tuple(x) for x in (caps, pids, handles, maps, live)),
    )
    known = _COMPARISONS.get(key)
    if known is not None:
        return list(known[0])
    found = _differ(post, want, caps, pids, handles, maps, live)
    if len(_COMPARISONS) >= 20_000:
        _COMPARISONS.clear()
    _COMPARISONS[key] = (found, post, want)  # kept alive: ids not reused
    return list(found)


#: ``compare``'s verdicts, by the compared terms' ids and the ids in use
#: (many explored transitions lead to the same projected post-state).
_COMPARISONS: dict[tuple[object, ...], tuple[list[str], State, State]] = {}


def _differ(
    post: State,
    want: State,
    caps: list[int],
    pids: list[int],
    handles: list[int],
    maps: list[int],
    live: list[int],
) -> list[str]:
    """The differences of ``post`` from ``want`` (see ``compare``)."""
    whole = (
        "live",
        "owner",
        "flight",
        "sock",
        "sown",
        "anc",
        "bnd",
        "ht",
        "mp",
        "dead",
    )
    compared: list[Pair] = [(f, post[f], want[f]) for f in whole]
    for f in ("rights", "parent", "obj", "kind"):  # a dead node's fields are moot
        compared += pairs(f, post[f], want[f], live)
    for f in ("nh", "nm"):  # a dead process's counters are moot
        compared += pairs(f, post[f], want[f], pids)
    compared += [(f, post[f], want[f]) for f in ("next_cap", "next_obj")]
    if not differences(compared):
        return []
    for f in ("live", "owner", "flight", "sock", "sown"):
        compared += pairs(f, post[f], want[f], caps)
    compared += nested_pairs("anc", post["anc"], want["anc"], caps, caps)
    compared += pairs("bnd", post["bnd"], want["bnd"], sorted(NAME_IDS.values()))
    compared += nested_pairs("ht", post["ht"], want["ht"], pids, handles)
    compared += nested_pairs("mp", post["mp"], want["mp"], pids, maps)
    objs = range(int(value(want["next_obj"])) + 2)
    compared += pairs("dead", post["dead"], want["dead"], objs)
    compared = [p for p in compared if p[0] not in whole]
    return differences(compared) or ["arrays differ outside the ids in use"]


#: Every field ``compare`` looks at.
_COMPARED = (
    *("live", "owner", "flight", "sock", "sown", "anc", "bnd", "ht", "mp"),
    *("rights", "parent", "obj", "kind", "nh", "nm", "next_cap", "next_obj"),
    "dead",
)
