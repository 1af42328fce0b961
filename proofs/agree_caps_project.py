"""The capability encoding's view of a spec state (``cap_state``).

The derivation tree, handle tables, holders and mappings of ``enc_caps``, with
ghosts empty, ``anc`` the closure of the spec's parent links and ``dead`` the
object ids no longer in the object table (CAP-RECLAIM). Built once per state
(cached): the agreement pass projects each explored state as a pre-state, a
post-state and for its invariant.
"""

from __future__ import annotations

from functools import lru_cache

from veridian_ipc.generation.context import VALID_NAMES
from veridian_ipc.spec import KernelState
from veridian_ipc.spec.state import AtHandle, InFlight, InSocket
from veridian_ipc.vocabulary.names import ObjId

from ._smt import (
    IntVal,
    bool_array,
    int_array,
    nested_bool_array,
    nested_int_array,
    rights_array,
)
from .enc_caps_state import KIND_CODES
from .induction import State

#: Namespace names as the encoding's integer names: every valid name the
#: generation layer draws (``VALID_NAMES``), from 1 (0: no valid name).
NAME_IDS = {
    n: i
    for i, n in enumerate(
        dict.fromkeys(("a", "b", "c", "d", "n", "m", "s", *VALID_NAMES)), 1
    )
}


@lru_cache(maxsize=4096)
def cap_state(s: KernelState) -> State:
    """The capability encoding's view of ``s`` (ghosts empty)."""
    caps = dict(s.caps.items())
    anc: dict[int, set[int]] = {}
    for cid, c in caps.items():
        cur = c.parent
        while cur is not None:
            anc.setdefault(int(cur), set()).add(int(cid))
            cur = caps[cur].parent
    owner = {
        int(c): int(cp.at.pid) for c, cp in caps.items() if isinstance(cp.at, AtHandle)
    }
    return {
        "live": bool_array({int(c) for c in caps}),
        "rights": rights_array({int(c): cp.rights for c, cp in caps.items()}),
        "parent": int_array(0, {int(c): int(cp.parent or 0) for c, cp in caps.items()}),
        "obj": int_array(0, {int(c): int(cp.obj) for c, cp in caps.items()}),
        "kind": int_array(
            0,
            {int(c): KIND_CODES[cp.kind.value] for c, cp in caps.items()},
        ),
        "ht": nested_int_array(
            0,
            {
                int(p): {int(h): int(c) for h, c in pr.handles.items()}
                for p, pr in s.processes.items()
            },
        ),
        "nh": int_array(1, {int(p): pr.next_handle for p, pr in s.processes.items()}),
        "owner": int_array(0, owner),
        "flight": bool_array(
            {int(c) for c, cp in caps.items() if isinstance(cp.at, InFlight)}
        ),
        "bnd": int_array(0, {NAME_IDS[n]: int(b.cap) for n, b in s.namespace.items()}),
        "sock": bool_array(
            {int(c) for c, cp in caps.items() if isinstance(cp.at, InSocket)}
        ),
        "sown": bool_array(
            {
                int(c)
                for c, cp in caps.items()
                if isinstance(cp.at, InSocket) and not cp.at.peer
            }
        ),
        "mp": nested_int_array(
            0,
            {
                int(p): {int(m): int(mp.cap) for m, mp in pr.mappings.items()}
                for p, pr in s.processes.items()
            },
        ),
        "nm": int_array(1, {int(p): pr.next_mapping for p, pr in s.processes.items()}),
        "next_cap": IntVal(s.next_cap),
        "next_obj": IntVal(s.next_obj),
        "anc": nested_bool_array(anc),
        "gone": bool_array(set()),
        "spent": nested_bool_array({}),
        "dead": bool_array(
            {o for o in range(1, s.next_obj) if ObjId(o) not in s.objects}
        ),
    }
