"""CrossHair contracts on the spec's pure helpers (CrossHair's ``*_ch`` pattern).

Each ``check_*`` function calls spec functions and states what must hold as a
``post: _`` condition; ``crosshair check`` searches symbolically for arguments
that falsify it. Rights are plain ints compared against constants (building an
``enum.Flag`` from a symbolic int makes CrossHair abort, see STYLE 4.6).
``contracts_seeded`` holds the seeded-bug case that shows the search finds a
planted bug.
"""

from __future__ import annotations

from veridian_ipc.spec import IpcError
from veridian_ipc.spec.buffers import in_bounds
from veridian_ipc.spec.filters import check_filter, refill, take_token
from veridian_ipc.spec.messages import check_limits
from veridian_ipc.spec.sockets import errno_of
from veridian_ipc.spec.state import Filter
from veridian_ipc.vocabulary.errors import ERRNO_VALUES
from veridian_ipc.vocabulary.names import MAX_INLINE_DATA, MAX_MESSAGE_CAPS
from veridian_ipc.vocabulary.rights import ALL_RIGHTS, has, is_subset
from veridian_ipc.vocabulary.syscalls import RateLimit


def check_subset_is_attenuation(child: int, parent: int) -> bool:
    """RIGHTS-DERIVE: a subset has no bit its parent lacks, and is its own and
    its parent's intersection.

    post: _
    """
    if not is_subset(child, parent):
        return True
    return child & parent == child and has(parent, child)


def check_subset_transitive(a: int, b: int, c: int) -> bool:
    """INV-RIGHTS-MONOTONE: a subset of a subset is a subset (ancestors).

    post: _
    """
    if not (0 <= a <= ALL_RIGHTS and 0 <= b <= ALL_RIGHTS and 0 <= c <= ALL_RIGHTS):
        return True
    if is_subset(a, b) and is_subset(b, c):
        return is_subset(a, c)
    return True


def check_limits_accepts_only_small(
    msg_type: int, flags: int, size: int, ncaps: int
) -> bool:
    """MSG-LIMITS: an accepted message has at most 64 bytes and 4 capabilities.

    post: _
    """
    if not (0 <= size <= 80 and 0 <= ncaps <= 6):
        return True
    caps = tuple(range(1, ncaps + 1))
    err = check_limits(msg_type, flags, bytes(size), caps, 0)
    if err is None:
        return size <= MAX_INLINE_DATA and ncaps <= MAX_MESSAGE_CAPS
    return err in (IpcError.MessageTooLarge, IpcError.InvalidMessage)


def check_in_bounds_stays_inside(size: int, offset: int, length: int) -> bool:
    """BUF-READ / BUF-WRITE: an in-bounds range lies inside ``[0, size)``.

    post: _
    """
    if in_bounds(size, offset, length):
        return offset >= 0 and offset + length <= size and length >= 0
    return True


def _bucket(
    burst: int, per: int, period: int, tokens: int, stamp: int, now: int
) -> Filter | None:
    """A rate-limited filter with a valid bucket at ``now``, from bounded
    arguments (None: the arguments are outside the searched domain)."""
    if not (1 <= burst <= 50 and 1 <= per <= 50 and 1 <= period <= 50):
        return None
    if not (0 <= tokens <= burst and stamp <= now):
        return None
    return Filter(None, None, RateLimit(burst, per, period), tokens, stamp)


def check_refill_keeps_bucket_bound(
    burst: int, per: int, period: int, tokens: int, stamp: int, now: int
) -> bool:
    """INV-BUCKET-BOUND / FILTER-RATE: refill keeps ``0 <= tokens <= burst`` and
    never moves the stamp past ``now`` or backwards.

    post: _
    """
    f = _bucket(burst, per, period, tokens, stamp, now)
    if f is None:
        return True
    g = refill(f, now)
    return 0 <= g.tokens <= burst and stamp <= g.stamp <= now


def check_take_token_takes_one(
    burst: int, per: int, period: int, tokens: int, stamp: int, now: int
) -> bool:
    """FILTER-RATE: an admitted message takes exactly one token from the
    refilled bucket; a refused one finds it empty.

    post: _
    """
    f = _bucket(burst, per, period, tokens, stamp, now)
    if f is None:
        return True
    got = take_token(f, now)
    full = refill(f, now)
    if isinstance(got, IpcError):
        return got is IpcError.RateLimited and full.tokens == 0
    return got.tokens == full.tokens - 1 and got.tokens >= 0


def check_filter_admits_only_allowed(
    allowed: int, max_size: int, t: int, size: int
) -> bool:
    """FILTER-CHECK: a message that passes has an allowed type and fits.

    post: _
    """
    if not (0 <= max_size <= MAX_INLINE_DATA):
        return True
    f = Filter(frozenset({allowed}), max_size, None, 0, 0)
    if check_filter(f, t, size) is None:
        return t == allowed and size <= max_size
    return True


def check_errno_total(code: int) -> bool:
    """POSIX-ERRNO: every error has a defined errno.

    post: _
    """
    if code not in {int(e) for e in IpcError}:
        return True
    return errno_of(IpcError(code)) in ERRNO_VALUES.values()


#: The contracts ``veridian-ipc prove`` runs, in order.
CONTRACTS = (
    "check_subset_is_attenuation",
    "check_subset_transitive",
    "check_limits_accepts_only_small",
    "check_in_bounds_stays_inside",
    "check_refill_keeps_bucket_bound",
    "check_take_token_takes_one",
    "check_filter_admits_only_allowed",
    "check_errno_total",
)
