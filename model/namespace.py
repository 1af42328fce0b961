"""The namespace: bind, unbind, lookup, typed connect (NS-*).

Binding and looking up need the caller's namespace rights (``may_bind``,
``may_lookup``, given at spawn). A binding holds a capability derived from the
binder's with the published rights; every lookup derives from the binding's
with those rights, so the binder's revoke reaches all of them.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.names import MAX_U32
from veridian_ipc.vocabulary.results import Ok, Result
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, GRANT, MANAGE
from veridian_ipc.vocabulary.syscalls import Bind, Connect, Lookup, Unbind

from . import quotas
from .caps import destroy, install, new_cap
from .state import IN_BINDING, Binding, Cap, Port, Process, State
from .store import (
    E_INSUFFICIENT_RIGHTS,
    E_INVALID_ARGUMENT,
    E_INVALID_CAPABILITY,
    E_NAME_IN_USE,
    E_PORT_CLOSED,
    E_PORT_NOT_FOUND,
    E_TYPE_MISMATCH,
    OK_NONE,
)


def valid_name(st: State, name: str) -> bool:
    """A name is 1..max_name_length UTF-8 bytes without NUL."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return 0 < len(encoded) <= st.config.max_name_length and "\0" not in name


def bind(st: State, p: Process, op: Bind) -> Result:
    """NS-BIND: publish ``op.rights`` of a port capability (needs GRANT) under a
    free name.

    Errors, in precedence order: ``InsufficientRights`` (no ``may_bind``),
    ``InvalidCapability``, ``InsufficientRights`` (no GRANT),
    ``InvalidArgument``, ``InsufficientRights`` (rights not held),
    ``NameInUse``, ``PortClosed``.
    """
    if not p.may_bind:
        return E_INSUFFICIENT_RIGHTS
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Port:
        return E_INVALID_CAPABILITY
    if not cap.rights & GRANT:
        return E_INSUFFICIENT_RIGHTS
    if (
        not valid_name(st, op.name)
        or not 0 <= op.service_type <= MAX_U32
        or not 0 <= op.rights <= ALL_RIGHTS
    ):
        return E_INVALID_ARGUMENT
    if op.rights & ~cap.rights:
        return E_INSUFFICIENT_RIGHTS
    if op.name in st.namespace:
        return E_NAME_IN_USE
    if cap.obj.closed:
        return E_PORT_CLOSED
    publish(st, cap, op.rights, op.name, op.service_type)
    return OK_NONE


def publish(st: State, parent: Cap, rights: int, name: str, service_type: int) -> None:
    """Bind ``name`` to a new child of ``parent`` with ``rights``."""
    child = new_cap(parent.obj, rights, parent)
    child.where = IN_BINDING
    child.name = name
    st.namespace[name] = Binding(child, service_type)


def unbind_port(st: State, port: Port) -> None:
    """Remove every binding of ``port``, which is closing (NS-BIND, PORT-CLOSE)."""
    if st.namespace:
        for binding in [b for b in st.namespace.values() if b.cap.obj is port]:
            destroy(st, binding.cap)


def unbind(st: State, p: Process, op: Unbind) -> Result:
    """NS-UNBIND: remove a binding, by a MANAGE capability to the same port.

    Errors, in precedence order: ``InvalidCapability``, ``InsufficientRights``
    (no MANAGE), ``PortNotFound``, ``InsufficientRights`` (another port).
    """
    cap = p.handles.get(op.handle)
    if cap is None or type(cap.obj) is not Port:
        return E_INVALID_CAPABILITY
    if not cap.rights & MANAGE:
        return E_INSUFFICIENT_RIGHTS
    binding = st.namespace.get(op.name)
    if binding is None:
        return E_PORT_NOT_FOUND
    if binding.cap.obj is not cap.obj:
        return E_INSUFFICIENT_RIGHTS
    destroy(st, binding.cap)
    return OK_NONE


def lookup(st: State, p: Process, op: Lookup) -> Result:
    """NS-LOOKUP: a new handle derived from the binding's capability.

    Errors, in precedence order: ``InsufficientRights`` (no ``may_lookup``),
    ``InvalidArgument``, ``PortNotFound``.
    """
    if not p.may_lookup:
        return E_INSUFFICIENT_RIGHTS
    if not valid_name(st, op.name):
        return E_INVALID_ARGUMENT
    binding = st.namespace.get(op.name)
    if binding is None:
        return E_PORT_NOT_FOUND
    return quotas.check_handles(st, p) or Ok(take_binding(p, binding))


def take_binding(p: Process, binding: Binding) -> int:
    """Give ``p`` a new handle derived from ``binding``'s capability."""
    bc = binding.cap
    return install(p, new_cap(bc.obj, bc.rights, bc))


def connect(st: State, p: Process, op: Connect) -> Result:
    """NS-CONNECT: lookup that also checks the service type.

    Errors, in precedence order: ``InsufficientRights`` (no ``may_lookup``),
    ``InvalidArgument``, ``PortNotFound``, ``TypeMismatch``.
    """
    if not p.may_lookup:
        return E_INSUFFICIENT_RIGHTS
    if not valid_name(st, op.name) or not 0 <= op.service_type <= MAX_U32:
        return E_INVALID_ARGUMENT
    binding = st.namespace.get(op.name)
    if binding is None:
        return E_PORT_NOT_FOUND
    if binding.service_type != op.service_type:
        return E_TYPE_MISMATCH
    return quotas.check_handles(st, p) or Ok(take_binding(p, binding))
