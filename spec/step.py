"""The entry point: ``step(state, pid, op) -> (state', result)`` for every operation.

This is the whole system as one pure function (h11's sans-I/O stance): the
proofs, the conformance suite and the tests drive the spec only through it.
``step`` never raises for any input (ERR-TOTAL), checks the issuer first
(ERR-PRECEDENCE), then hands the operation to the rule that defines it: the
function registered (``@rule``) for the rule ID its record declares in the
operation registry (vocabulary/operations.py), so adding an operation adds no line
here. A failed operation returns the state it was given (ERR-ATOMIC).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Union, get_args, get_origin, get_type_hints

from veridian_ipc.vocabulary._registry import DEFINITIONS, rule
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.ids import RuleId
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.operations import OP_SPECS, OpSpec, RegistryError
from veridian_ipc.vocabulary.results import Err, Result
from veridian_ipc.vocabulary.rights import MANAGE, has
from veridian_ipc.vocabulary.syscalls import (
    OPERATIONS,
    Close,
    Drop,
    Kill,
    Operation,
    Resume,
    Send,
    SockClose,
)

from . import (
    blocking,
    buffers,  # noqa: F401  (each rule module registers its rules on import)
    caps,
    channels,
    filters,  # noqa: F401
    namespace,  # noqa: F401
    orphans,
    ports,
    processes,
    reclaim,
    sockets,  # noqa: F401
    timeouts,  # noqa: F401
)
from .state import KernelState, Kind
from .store import Step, fail

# -- ERR-TOTAL: argument types ------------------------------------------------------

Check = Callable[[object], bool]


def _check_for(tp: object) -> Check:
    """A predicate accepting exactly the values of the annotation ``tp``."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        alternatives = [_check_for(a) for a in get_args(tp)]
        return lambda v: any(c(v) for c in alternatives)
    if tp is type(None):
        return lambda v: v is None
    if tp is int:
        return lambda v: type(v) is int
    if tp in (bool, bytes, str):
        return lambda v: type(v) is tp
    if origin in (tuple, frozenset):
        item = _check_for(get_args(tp)[0])
        return lambda v: type(v) is origin and all(item(x) for x in v)  # type: ignore[attr-defined]
    if isinstance(tp, type) and is_dataclass(tp):
        return _record_check(tp)
    raise TypeError(f"no argument check for {tp!r}")  # a spec bug, at import


#: Read in place of a field that was never set (``object.__new__(Op)``); no
#: field check accepts it, so such a record is ill-typed.
_UNSET = object()


def _record_check(cls: type) -> Check:
    hints = get_type_hints(cls)
    checks = [(f.name, _check_for(hints[f.name])) for f in fields(cls)]
    return lambda v: type(v) is cls and all(c(getattr(v, n, _UNSET)) for n, c in checks)


_WELL_TYPED: dict[type, Check] = {cls: _record_check(cls) for cls in OPERATIONS}


@rule(RuleId.ERR_TOTAL)
def well_typed(op: object) -> bool:
    """Any input gets a result or an error, never an exception.

    ``step`` accepts any value as an operation. A value that is not one of the
    operation records, or a record whose fields do not have their declared types
    (an ``int`` field holding a ``bool`` or a ``str``, ``bytes`` holding a
    ``str``, a field never set, as in ``object.__new__(Inspect)``, ...), is
    refused with ``InvalidArgument`` and changes nothing.
    Every value of the right type is then handled by its rule: negative or huge
    numbers, unknown handles, empty or oversized data each get the error the
    rule documents. An exception escaping ``step`` is a bug in the spec.

    Errors, in precedence order:

    - ``InvalidArgument``: not an operation record, or a field of the wrong type.
    """
    check = _WELL_TYPED.get(type(op))
    return check is not None and check(op)


# -- dispatch -----------------------------------------------------------------------

ProcessRule = Callable[[KernelState, Pid, Operation], Step]


def _close(s: KernelState, pid: Pid, op: Close) -> Step:
    """``Close``: resolve a port or channel capability, check MANAGE, dispatch.

    Errors, in precedence order:

    - ``InvalidCapability``: not a live handle, or a buffer's.
    - ``InsufficientRights``: no MANAGE.
    - ``PortClosed``: PORT-CLOSE / CHAN-CLOSE.
    """
    found = caps.resolve(s, pid, op.handle)
    if isinstance(found, IpcError) or found[1].kind is Kind.BUFFER:
        return fail(s, IpcError.InvalidCapability)
    cap = found[1]
    if not has(cap.rights, MANAGE):
        return fail(s, IpcError.InsufficientRights)
    if cap.kind is Kind.PORT:
        return ports.close_port(s, cap.obj)
    return channels.close_channel(s, cap.obj)


#: Operations whose record names no single rule (``rule=None``): their dispatcher.
DISPATCHERS: dict[type, Callable[..., Step]] = {Close: _close}


def derive_dispatch(
    specs: list[OpSpec], dispatchers: dict[type, Callable[..., Step]]
) -> dict[type, Callable[..., Step]]:
    """Each operation's rule function: the definition of the rule its record names.

    An environment operation's rule takes ``(state, op)``, a process
    operation's ``(state, pid, op)``. Raises ``RegistryError``, naming the
    operation, when its rule has no definition, the definition does not take
    those arguments, or a record without a rule has no dispatcher.
    """
    table: dict[type, Callable[..., Step]] = {}
    for spec in specs:
        fn = dispatchers.get(spec.cls)
        if fn is None and spec.rule is not None:
            fn = DEFINITIONS.get(spec.rule)  # type: ignore[assignment]
        if not callable(fn):
            raise RegistryError(
                f"operation {spec.name}: no rule function"
                f" (rule {spec.rule}: define it with @rule, or add a dispatcher)"
            )
        arity = 2 if spec.environment else 3
        try:
            inspect.signature(fn).bind(*range(arity))
        except (TypeError, ValueError):
            raise RegistryError(
                f"operation {spec.name}: {fn.__qualname__} does not take"
                f" {arity} arguments"
            ) from None
        table[spec.cls] = fn
    extra = sorted(c.__name__ for c in dispatchers if c not in table)
    if extra:
        raise RegistryError(f"dispatchers for unknown operations: {', '.join(extra)}")
    return table


#: The rule function of every operation (derived: see ``derive_dispatch``).
_RULES: dict[type, Callable[..., Step]] = derive_dispatch(OP_SPECS, DISPATCHERS)

#: The operations that can take the last usable RECEIVE of a port away: they
#: destroy a capability held in a table or a message (Drop, Kill, SockClose's
#: discarded queue) or move one into a message (Send). After one succeeds, the
#: ports it left unreceivable are abandoned (spec/orphans.py, PORT-CLOSE).
#: Revoke cannot: the revoker keeps the ancestor, which holds every right its
#: descendants held (RIGHTS-DERIVE); nor can Unbind: a binding's capability
#: does not make a port receivable. INV-WAITERS checks on every step that no
#: port was missed.
MAY_ORPHAN: frozenset[type] = frozenset({Drop, Kill, Send, SockClose})


@rule(RuleId.ERR_PRECEDENCE)
def step(s: KernelState, pid: object, op: object) -> tuple[KernelState, Result]:
    """Apply one operation; when several errors apply, the first listed wins.

    Every operation checks, in this order, and returns the first error found:

    1. ERR-TOTAL: the operation and its fields are well typed.
    2. PROC-STATUS, for process operations: the issuer is a live process, and
       running unless the operation is ``Resume``. (Environment operations,
       ``Spawn``, ``SpawnThread``, ``Kill`` and ``AdvanceClock``, ignore
       ``pid``.)
    3. The rule's own checks, in the order its docstring lists them. The
       general pattern, after seL4's decode-then-perform: the capability
       (``InvalidCapability``), then the rights the operation needs on it
       (``InsufficientRights``, RIGHTS-REQUIRED), then the arguments' values,
       then the state of the objects. An ``InsufficientRights`` that compares
       an argument or an object with the capability (Derive's subset check,
       Unbind's binding to another port) is an argument or state check and
       comes in that place.

    Only then does anything change. Implementations are compared on which error
    they report, so this order is part of the contract. After the rule, the
    ports and channels with blocked senders and room serve them
    (PORT-SEND-BLOCK, spec/blocking.py), as part of the same step. An operation that
    succeeds and leaves a port nobody can receive from abandons that port as
    part of the same step (PORT-CLOSE, spec/orphans.py), and then destroys
    every object no capability can reach any more (CAP-RECLAIM,
    spec/reclaim.py).

    Errors, in precedence order:

    - ``InvalidArgument``: ERR-TOTAL.
    - ``NoSuchProcess``: PROC-STATUS.
    - ``ProcessBlocked``: PROC-STATUS.
    """
    s, r = apply_rule(s, pid, op)
    s, served = blocking.serve(s)  # PORT-SEND-BLOCK: room frees blocked senders
    if not isinstance(r, Err) or served:
        if type(op) in MAY_ORPHAN or served:
            s = orphans.reap(s)
        s = reclaim.reclaim(s)  # CAP-RECLAIM: unreachable objects are destroyed
    return s, r


def apply_rule(s: KernelState, pid: object, op: object) -> tuple[KernelState, Result]:
    """``step`` up to its rule's own effects, before the ports the operation
    left unreceivable are abandoned (spec/orphans.py). The proofs' agreement
    checks map the two parts to their encodings' transitions separately."""
    if not well_typed(op):
        return fail(s, IpcError.InvalidArgument)
    assert isinstance(op, Operation)
    if op.environment:  # Spawn, SpawnThread, Kill, AdvanceClock
        return _RULES[type(op)](s, op)
    err = processes.check_issuer(s, pid, op)
    if err is not None:
        return fail(s, err)
    assert type(pid) is int  # check_issuer found the process
    return _RULES[type(op)](s, Pid(pid), op)


@rule(RuleId.ERR_ATOMIC)
def atomic(before: KernelState, after: KernelState, result: Result, op: object) -> bool:
    """A failed operation leaves the state exactly as it was.

    Every rule performs all its checks before its first effect, so an ``Err``
    result comes with the state it was given: no capability half-moved, no
    message half-sent, no token taken from a rate limit, no handle number
    consumed. The single exception is ``Resume``, which may report the error of
    the receive it completes while returning the process to running
    (PORT-RESUME). This predicate states the property; tests, proofs and the
    conformance monitors check it on every step.
    """
    if isinstance(result, Err) and not isinstance(op, Resume):
        return after == before
    return True
