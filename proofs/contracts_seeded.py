"""The seeded-bug contract: CrossHair must find the planted bug.

``derive_rights_seeded`` is RIGHTS-DERIVE's rights computation with the bug
seen in the prototype: the derived rights are ``requested | parent`` instead of
the requested subset. The contract is the one RIGHTS-DERIVE promises
(INV-RIGHTS-MONOTONE: never more than asked for, never more than the parent);
the run fails unless CrossHair reports a counterexample for it.
"""

from __future__ import annotations

from veridian_ipc.vocabulary.rights import ALL_RIGHTS, GRANT, is_subset


def derive_rights_seeded(requested: int, parent: int) -> int:
    """The planted bug: the parent's GRANT leaks into the derived rights."""
    return requested | (parent & GRANT)


def check_derive_seeded_preserves_request(requested: int, parent: int) -> bool:
    """RIGHTS-DERIVE with the seeded bug: derived rights must equal the request.

    post: _
    """
    if not (0 <= requested <= ALL_RIGHTS and 0 <= parent <= ALL_RIGHTS):
        return True
    if not is_subset(requested, parent):
        return True
    return derive_rights_seeded(requested, parent) == requested


SEEDED = ("check_derive_seeded_preserves_request",)
