"""The namespace (group "namespace"): well-known names for ports.

Seed sections "Port Creation and Binding" and "Capability Integration":
``namespace.bind(name, port.capability)``, ``namespace.lookup(name)``, and a
typed ``connect`` that fails with ``TypeMismatch`` when the bound port's service
type is not the one asked for.

Decisions:

- *What a binding holds.* Binding a name stores a **new capability derived
  from** the binder's, with the same rights; each lookup gives the caller a new
  capability derived from the binding's. So the binder controls everything the
  name handed out: revoking its own capability (RIGHTS-REVOKE) removes the
  binding and every capability obtained through it. To publish less authority,
  derive first (e.g. SEND only) and bind the derived handle.
- *Who may bind.* Binding makes authority available to any process, so it needs
  GRANT on the capability (the same right that guards passing it in a message).
  Only ports are bound (the seed binds ports).
- *Rebinding.* A bound name is never silently replaced: ``Bind`` on a bound name
  fails with ``NameInUse``; unbind it first.
- *Who may unbind.* Whoever holds MANAGE on the bound port (authority comes from
  capabilities, not from who bound it).
- *A binding dies with its port* (NS-BIND). Closing a port (PORT-CLOSE, or the
  close that follows the loss of its last RECEIVE capability) removes every
  binding of it, exactly as ``Unbind`` would: a later ``Lookup``/``Connect``
  gets ``PortNotFound`` and the name can be bound again; a closed port cannot
  be bound (``PortClosed``). So a name never leads to a dead port
  (INV-NAMESPACE-LIVE). Precedent: Mach's bootstrap server drops a
  registration once its port's receive right dies (the registration holds a
  send right, which becomes a dead name). A binder that dies while another
  process still holds RECEIVE leaves the binding in place: the service lives
  on, and the binding's capability moves up the derivation tree (CAP-DROP).
- *Names* are non-empty strings of at most ``Config.max_name_length`` UTF-8 bytes
  without NUL.
"""

from __future__ import annotations

from dataclasses import replace

from veridian_ipc.vocabulary._registry import rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import MAX_U32, CapId, ObjId, Pid
from veridian_ipc.vocabulary.results import Ok
from veridian_ipc.vocabulary.rights import GRANT, MANAGE
from veridian_ipc.vocabulary.syscalls import Bind, Connect, Lookup, Unbind

from . import quotas
from .caps import authorize, destroy, new_cap, new_handle
from .state import Binding, InBinding, KernelState, Kind
from .store import Step, fail, port


def valid_name(s: KernelState, name: str) -> bool:
    """A name is 1..max_name_length UTF-8 bytes, without NUL."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are not text
        return False
    return 0 < len(encoded) <= s.config.max_name_length and "\0" not in name


@rule(RuleId.NS_BIND)
def bind(s: KernelState, pid: Pid, op: Bind) -> Step:
    """Publish a port under a name, with a given service type.

    The binding holds a new capability derived from ``op.handle``'s, with the
    same rights; the caller keeps its handle. Result: ``None``.

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no GRANT.
    - ``InvalidArgument``: an invalid name, or ``service_type`` outside
      0..2**32-1.
    - ``NameInUse``: the name is bound.
    - ``PortClosed``: the port is closed (a binding dies with its port, so a
      closed port is never published).
    """
    found = authorize(s, pid, op.handle, Kind.PORT, GRANT)
    if isinstance(found, IpcError):
        return fail(s, found)
    cap_id, cap = found
    if not valid_name(s, op.name) or not 0 <= op.service_type <= MAX_U32:
        return fail(s, IpcError.InvalidArgument)
    if op.name in s.namespace:
        return fail(s, IpcError.NameInUse)
    if port(s, cap.obj).closed:
        return fail(s, IpcError.PortClosed)
    return publish(s, cap_id, cap.rights, op.name, op.service_type), Ok(None)


def publish(
    s: KernelState, parent: CapId, rights: int, name: str, service_type: int
) -> KernelState:
    """Bind ``name`` to a new child of capability ``parent`` with ``rights``."""
    pc = s.caps[parent]
    s, child = new_cap(s, pc.obj, pc.kind, rights, parent, InBinding(name))
    return replace(s, namespace=s.namespace.set(name, Binding(child, service_type)))


def unbind_port(s: KernelState, obj: ObjId) -> KernelState:
    """Remove every binding of port ``obj`` (its port is closing, PORT-CLOSE).

    Each binding's capability is destroyed as by ``Unbind``: capabilities
    earlier lookups derived from it move up to its parent (CAP-DROP)."""
    for name in sorted(s.namespace):
        cap_id = s.namespace[name].cap
        if s.caps[cap_id].obj == obj:
            s = destroy(s, cap_id)
    return s


@rule(RuleId.NS_UNBIND)
def unbind(s: KernelState, pid: Pid, op: Unbind) -> Step:
    """Remove a binding; capabilities already looked up stay valid.

    The binding's capability is destroyed; capabilities derived from it by
    earlier lookups move up to its parent (CAP-DROP), so the binder can still
    revoke them. Result: ``None``.

    MANAGE is checked on the handle before the name is looked at
    (RIGHTS-REQUIRED: rights before any argument or object state), so a
    caller without MANAGE learns nothing about which names are bound; only
    then is the binding compared with the handle's port (seL4's
    decode-then-perform order: the capability and its rights, then the
    objects it is used on).

    Errors, in precedence order:

    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no MANAGE.
    - ``PortNotFound``: the name is not bound.
    - ``InsufficientRights``: the name is bound to another port.
    """
    found = authorize(s, pid, op.handle, Kind.PORT, MANAGE)
    if isinstance(found, IpcError):
        return fail(s, found)
    _, cap = found
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    if s.caps[binding.cap].obj != cap.obj:
        return fail(s, IpcError.InsufficientRights)
    return destroy(s, binding.cap), Ok(None)


@rule(RuleId.NS_LOOKUP)
def lookup(s: KernelState, pid: Pid, op: Lookup) -> Step:
    """A new handle to the port bound to ``name``, with the binding's rights.

    The new capability is derived from the binding's (so revoking the binder's
    capability reaches it). Result: the handle.

    Errors, in precedence order:

    - ``InvalidArgument``: an invalid name.
    - ``PortNotFound``: the name is not bound.
    - ``OutOfMemory``: the caller's handle quota is spent (spec/quotas.py).
    """
    if not valid_name(s, op.name):
        return fail(s, IpcError.InvalidArgument)
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    return take_binding(s, pid, binding)


def take_binding(s: KernelState, pid: Pid, binding: Binding) -> Step:
    """Give ``pid`` a new handle derived from ``binding``'s capability."""
    if (err := quotas.check_handles(s, pid)) is not None:
        return fail(s, err)
    bc = s.caps[binding.cap]
    s, handle = new_handle(s, pid, bc.obj, bc.kind, bc.rights, binding.cap)
    return s, Ok(handle)


@rule(RuleId.NS_CONNECT)
def connect(s: KernelState, pid: Pid, op: Connect) -> Step:
    """Typed lookup: the binding's service type must be ``service_type``.

    Seed ``connect<T: Service>``: *if cap.service_type() != T::SERVICE_ID return
    TypeMismatch*. On a mismatch no handle is created. Result: the handle.

    Errors, in precedence order:

    - ``InvalidArgument``: an invalid name, or ``service_type`` outside
      0..2**32-1.
    - ``PortNotFound``: the name is not bound.
    - ``TypeMismatch``: the binding has another service type.
    - ``OutOfMemory``: the caller's handle quota is spent (spec/quotas.py).
    """
    if not valid_name(s, op.name) or not 0 <= op.service_type <= MAX_U32:
        return fail(s, IpcError.InvalidArgument)
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    if binding.service_type != op.service_type:
        return fail(s, IpcError.TypeMismatch)
    return take_binding(s, pid, binding)
