"""veridian_ipc.vocabulary: the words every implementation of the design shares.

The vocabulary is the bottom layer of the project. It holds the names, records
and enums that the executable spec, the fast model, the proofs and the
conformance suite all speak, and nothing that decides what an operation does:

1. ``names``      identifier types, fixed limits, configuration (``Config``)
2. ``errors``     the complete error enum and its errno table (ERR-ENUM)
3. ``rights``     the rights bits and which operation needs which (RIGHTS-BITS,
   RIGHTS-REQUIRED)
4. ``ids``        the stable rule and invariant IDs and their groups
5. ``results``    what an operation returns: ``Ok``, ``Err``, ``Delivered`` ...
6. ``operations`` the operation registry: each operation described once
7. ``syscalls``   the operation records themselves, one per system call
8. ``_registry``  the ``@rule`` and ``@invariant`` decorators and the registry
   they fill

*What is not vocabulary*: any rule's logic. How a ``Send`` checks its rights,
which error wins when two apply, what the state looks like and how it changes
are the spec's (``veridian_ipc.spec``); the model and other implementations
implement them on their own and are compared with the spec by the conformance
suite, so the model may import this package and nothing of the spec (an
import-linter contract in pyproject.toml, checked by ``lint-imports``).

*Why a package of its own*, rather than a subpackage of ``spec``: importing a
subpackage runs its parent's ``__init__`` first, and ``spec/__init__.py`` loads
the whole spec; and import-linter cannot forbid a package while allowing one of
its subpackages without listing the other modules one by one, a list a new
module silently escapes. As a sibling package, the layers are whole packages:
cli above {conformance, proofs, model}, those above spec, spec above the
vocabulary.

The rule registry (``_registry.RULES``) is filled as the modules that define
the rules are imported, most of them in the spec; read it through
``veridian_ipc.spec``, which loads them all. It is therefore not exported here.
``veridian_ipc.spec`` re-exports the vocabulary names it has always exported
(``IpcError``, ``Ok``, ``Rights`` ...), so readers of the spec need one import.
"""

from __future__ import annotations

from . import errors, ids, names, operations, results, rights, syscalls
from .errors import IpcError
from .ids import GROUPS, InvId, RuleId, group_of
from .names import Config
from .operations import OP_SPECS, Operation, OpSpec, RegistryError
from .results import (
    BLOCKED,
    Blocked,
    CapInfo,
    Delivered,
    Err,
    Ok,
    Result,
    encode_result,
    encode_value,
)
from .rights import Rights
from .syscalls import OPERATIONS

__all__ = [
    "BLOCKED",
    "GROUPS",
    "OPERATIONS",
    "OP_SPECS",
    "Blocked",
    "CapInfo",
    "Config",
    "Delivered",
    "Err",
    "InvId",
    "IpcError",
    "Ok",
    "OpSpec",
    "Operation",
    "RegistryError",
    "Result",
    "Rights",
    "RuleId",
    "encode_result",
    "encode_value",
    "errors",
    "group_of",
    "ids",
    "names",
    "operations",
    "results",
    "rights",
    "syscalls",
]
