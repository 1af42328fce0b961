"""Step properties of the namespace's authority (NS-BIND, NS-LOOKUP).

Two claims of the namespace's decisions (spec/namespace.py), stated over one
transition and read from the states alone:

- *published rights*: a binding holds exactly the rights its ``Bind``
  published, keeps them while it exists, and every ``Lookup``/``Connect``
  gives exactly the binding's rights; so a lookup never yields RECEIVE or
  MANAGE (or anything) that the binder did not publish;
- *namespace authority*: a name is bound (``Bind``, ``SockBind``) only by a
  process holding ``may_bind``, and resolved (``Lookup``, ``Connect``,
  ``SockConnect``) only by one holding ``may_lookup``.
"""

from __future__ import annotations

from veridian_ipc.spec.tasks import table_of
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import Handle

from .step_properties_base import Transition, ok


def published_rights(t: Transition) -> str | None:
    """NS-BIND / NS-LOOKUP: bindings hold what was published, lookups get it."""
    op, pre, post = t.op, t.pre, t.post
    for name, b in post.namespace.items():
        old = pre.namespace.get(name)
        same = old is not None and old.cap == b.cap
        if same and pre.caps[b.cap].rights != post.caps[b.cap].rights:
            return f"binding {name!r} changed its rights"
    if not ok(t):
        return None
    if isinstance(op, sc.Bind):
        got = post.caps[post.namespace[op.name].cap].rights
        if got != op.rights:
            return f"Bind published {got:#x}, not the {op.rights:#x} asked for"
    if isinstance(op, sc.Lookup | sc.Connect):
        bound = pre.namespace[op.name]
        value = t.result.value  # type: ignore[union-attr]
        assert isinstance(value, int)
        made = post.caps[table_of(post, t.pid).handles[Handle(value)]]
        if made.rights != pre.caps[bound.cap].rights:
            return (
                f"{type(op).__name__} gave {made.rights:#x}, the binding"
                f" publishes {pre.caps[bound.cap].rights:#x}"
            )
    return None


#: The namespace authority each operation needs.
_NEEDS: dict[type, str] = {
    sc.Bind: "may_bind",
    sc.SockBind: "may_bind",
    sc.Lookup: "may_lookup",
    sc.Connect: "may_lookup",
    sc.SockConnect: "may_lookup",
}


def namespace_authority(t: Transition) -> str | None:
    """NS-BIND / NS-LOOKUP: only a process with the authority binds or looks up."""
    need = _NEEDS.get(type(t.op))
    if need is None or not ok(t):
        return None
    if not getattr(table_of(t.pre, t.pid), need):
        return f"{type(t.op).__name__} succeeded without {need}"
    return None


__all__ = ["namespace_authority", "published_rights"]
