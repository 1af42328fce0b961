"""The namespace (group "namespace"): well-known names for ports.

Seed sections "Port Creation and Binding" and "Capability Integration":
``namespace.bind(name, port.capability)``, ``namespace.lookup(name)``, and a
typed ``connect`` that fails with ``TypeMismatch`` when the bound port's service
type is not the one asked for.

Decisions:

- *Who may bind and look up* (seed "Capability Integration": every IPC
  operation requires a capability; the seed's namespace calls name none). The
  namespace is not ambient authority: each process holds two namespace rights,
  ``may_bind`` (publish a name: ``Bind``, ``SockBind``) and ``may_lookup``
  (resolve one: ``Lookup``, ``Connect``, ``SockConnect``), fixed when it is
  created (PROC-SPAWN, whose ``Spawn`` may withhold either). A process without
  them gets ``InsufficientRights`` before anything else it names is looked at,
  so it learns nothing about which names are bound, and it cannot squat a name.
  Precedent: Zircon/Fuchsia give each process its namespace as handles at
  creation, and a process given none can resolve nothing; Mach's bootstrap port
  is likewise handed to a task by its creator, which may hand a restricted
  one. The precedent is followed partly: the authority here is a per-process
  right, not a handle, so it cannot be passed in a message or attenuated later
  (a process keeps what it was spawned with), and there is one namespace, not
  one per process. ``Unbind`` needs no namespace right: withdrawing a binding
  of a port is an act on the port, guarded by MANAGE.
- *Which rights a lookup gives* (seed "Port Creation and Binding" binds
  ``port.capability``, the creator's full capability). ``Bind`` publishes an
  explicit rights mask, ``rights``, SEND only unless the binder asks for more;
  every ``Lookup``/``Connect`` gets exactly the published rights. So the
  seed's own example hands clients SEND, never RECEIVE or MANAGE (a client can
  neither drain nor close the server's port) unless the binder explicitly
  published them. Precedent: Mach's ``bootstrap_register``/``bootstrap_look_up``
  hand clients send rights only; the receive right stays with the server.
  Publishing a right the binder's capability lacks is ``InsufficientRights``
  (rights are never amplified, as RIGHTS-DERIVE).
- *What a binding holds.* Binding a name stores a **new capability derived
  from** the binder's, with the published rights; each lookup gives the caller
  a new capability derived from the binding's. So the binder controls
  everything the name handed out: revoking its own capability (RIGHTS-REVOKE)
  removes the binding and every capability obtained through it.
- *Publishing needs GRANT* on the capability as well (the same right that
  guards passing it in a message): binding makes authority available to other
  processes. Only ports are bound (the seed binds ports).
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
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, GRANT, MANAGE, is_subset
from veridian_ipc.vocabulary.syscalls import Bind, Connect, Lookup, Unbind

from . import quotas
from .caps import authorize, destroy, new_cap, new_handle
from .state import Binding, InBinding, KernelState, Kind
from .store import Step, fail, port
from .tasks import table_of


def valid_name(s: KernelState, name: str) -> bool:
    """A name is 1..max_name_length UTF-8 bytes, without NUL."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are not text
        return False
    return 0 < len(encoded) <= s.config.max_name_length and "\0" not in name


@rule(RuleId.NS_BIND)
def bind(s: KernelState, pid: Pid, op: Bind) -> Step:
    """Publish a port under a name, with a service type and the rights lookups
    get.

    Needs the caller's namespace right ``may_bind`` (given at PROC-SPAWN) and
    GRANT on the handle. The binding holds a new capability derived from
    ``op.handle``'s with exactly ``op.rights`` (SEND only by default: the
    seed's ``bind(name, port.capability)`` gives clients SEND, as Mach's
    bootstrap hands out send rights only); the caller keeps its handle.
    Result: ``None``.

    Errors, in precedence order:

    - ``InsufficientRights``: the caller may not bind (no ``may_bind``).
    - ``InvalidCapability``: CAP-HANDLE (a port capability is needed).
    - ``InsufficientRights``: no GRANT.
    - ``InvalidArgument``: an invalid name, ``service_type`` outside
      0..2**32-1, or ``rights`` with a bit outside the six rights.
    - ``InsufficientRights``: ``rights`` is not a subset of the handle's.
    - ``NameInUse``: the name is bound.
    - ``PortClosed``: the port is closed (a binding dies with its port, so a
      closed port is never published).
    """
    if not table_of(s, pid).may_bind:
        return fail(s, IpcError.InsufficientRights)
    found = authorize(s, pid, op.handle, Kind.PORT, GRANT)
    if isinstance(found, IpcError):
        return fail(s, found)
    cap_id, cap = found
    if (
        not valid_name(s, op.name)
        or not 0 <= op.service_type <= MAX_U32
        or not 0 <= op.rights <= ALL_RIGHTS
    ):
        return fail(s, IpcError.InvalidArgument)
    if not is_subset(op.rights, cap.rights):
        return fail(s, IpcError.InsufficientRights)
    if op.name in s.namespace:
        return fail(s, IpcError.NameInUse)
    if port(s, cap.obj).closed:
        return fail(s, IpcError.PortClosed)
    return publish(s, cap_id, op.rights, op.name, op.service_type), Ok(None)


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

    Needs the caller's namespace right ``may_lookup`` (given at PROC-SPAWN,
    see the module's decisions: Fuchsia's per-process namespace). The new
    capability has exactly the rights the binder published (NS-BIND: never
    RECEIVE or MANAGE unless published) and is derived from the binding's (so
    revoking the binder's capability reaches it). Result: the handle.

    Errors, in precedence order:

    - ``InsufficientRights``: the caller may not look up (no ``may_lookup``).
    - ``InvalidArgument``: an invalid name.
    - ``PortNotFound``: the name is not bound.
    - ``OutOfMemory``: the caller's handle quota is spent (spec/quotas.py).
    """
    if not table_of(s, pid).may_lookup:
        return fail(s, IpcError.InsufficientRights)
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
    TypeMismatch*. On a mismatch no handle is created. Like ``Lookup`` it needs
    ``may_lookup`` and gives exactly the published rights. Result: the handle.

    Errors, in precedence order:

    - ``InsufficientRights``: the caller may not look up (no ``may_lookup``).
    - ``InvalidArgument``: an invalid name, or ``service_type`` outside
      0..2**32-1.
    - ``PortNotFound``: the name is not bound.
    - ``TypeMismatch``: the binding has another service type.
    - ``OutOfMemory``: the caller's handle quota is spent (spec/quotas.py).
    """
    if not table_of(s, pid).may_lookup:
        return fail(s, IpcError.InsufficientRights)
    if not valid_name(s, op.name) or not 0 <= op.service_type <= MAX_U32:
        return fail(s, IpcError.InvalidArgument)
    binding = s.namespace.get(op.name)
    if binding is None:
        return fail(s, IpcError.PortNotFound)
    if binding.service_type != op.service_type:
        return fail(s, IpcError.TypeMismatch)
    return take_binding(s, pid, binding)
