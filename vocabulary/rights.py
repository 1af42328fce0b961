"""Rights: what a capability allows (group "rights").

Seed section "Port Rights" fixes four bits; their values are normative so that
the wire format matches the design. Shared buffers (seed "Zero-Copy Shared
Memory") need rights on memory the seed does not name; this spec adds ``READ``
and ``WRITE`` in the next free bits and reuses ``MANAGE`` and ``GRANT`` for
buffers (precedent: Zircon's per-handle ``ZX_RIGHT_READ`` / ``ZX_RIGHT_WRITE``
on VMOs, seL4's frame capability rights ``CanRead`` / ``CanWrite``).

Rights live in the state as plain ``int`` bit masks; ``Rights`` names the bits.
"""

from __future__ import annotations

from enum import IntFlag

from ._registry import rule
from .ids import RuleId


@rule(RuleId.RIGHTS_BITS)
class Rights(IntFlag):
    """The right bits: SEND 0x01, RECEIVE 0x02, MANAGE 0x04, GRANT 0x08 (seed
    "Port Rights"), READ 0x10 and WRITE 0x20 (added for shared buffers).

    A port or channel capability may carry only SEND, RECEIVE, MANAGE and GRANT;
    a buffer capability only READ, WRITE, MANAGE and GRANT. A rights mask with any
    other bit set is ``InvalidArgument``; a mask with bits the object kind does
    not use is simply not a subset of any capability's rights.
    """

    SEND = 0x01
    RECEIVE = 0x02
    MANAGE = 0x04
    GRANT = 0x08
    READ = 0x10
    WRITE = 0x20


SEND = int(Rights.SEND)
RECEIVE = int(Rights.RECEIVE)
MANAGE = int(Rights.MANAGE)
GRANT = int(Rights.GRANT)
READ = int(Rights.READ)
WRITE = int(Rights.WRITE)

#: Every defined bit.
ALL_RIGHTS = SEND | RECEIVE | MANAGE | GRANT | READ | WRITE
#: Rights a freshly created port or channel capability carries.
PORT_RIGHTS = SEND | RECEIVE | MANAGE | GRANT
#: Rights a freshly created buffer capability carries.
BUFFER_RIGHTS = READ | WRITE | MANAGE | GRANT


def is_subset(rights: int, of: int) -> bool:
    """True when every bit of ``rights`` is also in ``of``."""
    return rights & ~of == 0


def has(rights: int, needed: int) -> bool:
    """True when ``rights`` includes every bit of ``needed``."""
    return rights & needed == needed


def rights_names(rights: int) -> list[str]:
    """The names of the bits set in ``rights``, in bit order (for display)."""
    return [r.name for r in Rights if r.name is not None and rights & int(r)]


@rule(RuleId.RIGHTS_REQUIRED)
def required_rights() -> dict[str, int]:
    """Each operation checks the rights of this table on each capability it
    acts through: one right per capability, except the buffer of
    ``TransferBuffer``, which needs MANAGE and GRANT together.

    The table (rights -> operation, and the capability field when it is not
    ``handle``), normative for every implementation:

    - SEND: ``Send``, ``ChannelSend``, ``ChannelSendBatch``, ``TransferBuffer``
      (its ``port``).
    - RECEIVE: ``Receive``, ``ChannelReceive``, ``ChannelReceiveBatch``.
    - MANAGE: ``Close``, ``SetFilter``, ``Unbind``.
    - MANAGE and GRANT: ``TransferBuffer`` (its ``handle``, the buffer).
    - GRANT: ``Bind``, and every capability carried by a message (MSG-TRANSFER).
    - READ / WRITE: MapBuffer read-only / writable; WriteBuffer needs a
      writable mapping.
    - none: Derive (attenuation is always allowed), Drop, Revoke (the holder
      of a capability controls what was derived from it, as in seL4),
      Inspect, Lookup, Connect.

    Why two rights for a transfer (seed "Zero-Copy Shared Memory": *transfer
    ownership without copying*): giving a buffer away destroys every other
    capability to it, in every process, which is modifying the object
    (MANAGE, seed "Port Rights": *can modify*), and hands a capability to
    another process, which is sharing it (GRANT: *can share capability*).
    Either alone would let a holder do what the other right withholds: with
    GRANT only, any holder of a shareable read-only capability could take the
    memory from its owner; with MANAGE only, a capability marked not to be
    shared could leave the process. Zircon's precedent for the sharing half:
    ``zx_channel_write`` needs ``ZX_RIGHT_TRANSFER`` on every handle it moves
    (and ``ZX_RIGHT_WRITE`` on the channel it writes to).

    A missing right is ``InsufficientRights``; it is checked after the handle is
    found valid and before any argument or object state is looked at (so a
    caller without the right learns nothing about the object, e.g. whether a
    name is bound). Of an operation with two capabilities (``TransferBuffer``),
    each capability's handle and rights are checked in turn, before anything
    else.

    Returns the right(s) each operation needs on its ``handle``.
    """
    return {
        "Send": SEND,
        "ChannelSend": SEND,
        "ChannelSendBatch": SEND,
        "Receive": RECEIVE,
        "ChannelReceive": RECEIVE,
        "ChannelReceiveBatch": RECEIVE,
        "Close": MANAGE,
        "SetFilter": MANAGE,
        "Unbind": MANAGE,
        "Bind": GRANT,
        "TransferBuffer": MANAGE | GRANT,
    }
