"""The capability encoding's counterexample decoding, in spec terms.

A refuted check comes with a solver model; ``describe`` reads from it the
capabilities the step's parameters name (and the ones it changed), before and
after, as lines a reader can match against the spec's ``Cap`` records.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import rights_names

from ._smt import Model, model_value
from .enc_caps_state import SLOTS
from .induction import Params, State


def describe(model: Model, pre: State, post: State, a: Params) -> list[str]:
    """The capabilities a counterexample's parameters name, before and after."""
    caps: list[int] = []
    p = a.get("p")
    for key in ("h", "hp", "hb", *[f"h{i}" for i in range(SLOTS)]):
        if key in a and p is not None:
            c = int(model_value(model, pre["ht"][p][a[key]]))
            if c and c not in caps:
                caps.append(c)
    for key in ("c", *[f"c{i}" for i in range(SLOTS)]):
        if key in a:
            c = int(model_value(model, a[key]))
            if c and c not in caps:
                caps.append(c)
    nxt = int(model_value(model, pre["next_cap"]))
    for c in range(1, min(nxt, 6)):
        changed = any(
            model_value(model, pre[f][c]) != model_value(model, post[f][c])
            for f in ("live", "flight", "owner", "sock")
        )
        if changed and c not in caps:
            caps.append(c)
    lines: list[str] = []
    for c in caps:
        lines.append(_cap_line(model, pre, c, "before"))
        died = model_value(model, post["live"][c]) != model_value(model, pre["live"][c])
        sent = model_value(model, post["flight"][c]) and not model_value(
            model, pre["flight"][c]
        )
        if died or sent:
            lines.append(_cap_line(model, post, c, "after"))
        par = int(model_value(model, pre["parent"][c]))
        if par and par not in caps:
            lines.append(_cap_line(model, pre, par, "before"))
    if nxt not in caps and model_value(model, post["live"][nxt]):
        lines.append(_cap_line(model, post, nxt, "created"))
    return lines


def _cap_line(model: Model, s: State, c: int, when: str) -> str:
    live = model_value(model, s["live"][c])
    rights = rights_names(int(model_value(model, s["rights"][c])))
    parent = model_value(model, s["parent"][c])
    owner = model_value(model, s["owner"][c])
    where = f"held by process {owner}" if owner else "not in a handle table"
    if model_value(model, s["flight"][c]):
        where = "in flight"
    return (
        f"cap {c} ({when}): {'live' if live else 'dead'}, rights "
        f"{'|'.join(rights) or 'none'}, parent {parent or 'none'}, {where}"
    )
