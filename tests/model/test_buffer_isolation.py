"""Buffer isolation (issue 8, item 11): once a mapping ends, no view taken
before it ended, nor any view derived from one, reaches the buffer's memory.

For each way a mapping ends (unmap, drop, revoke, transfer, kill), a process
keeps derived views (a slice, ``memoryview(v)``, ``v.cast("B")``, a slice of a
slice) past the end; then writes through them are not seen by the buffer's
holders, and the holders' writes are not seen through them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from veridian_ipc.model import Mapping, Process, SharedBuffer, System
from veridian_ipc.vocabulary.rights import BUFFER_RIGHTS, READ, WRITE

if TYPE_CHECKING:
    from veridian_ipc.model.memory import Memory

SIZE = 64


def derived(v: memoryview) -> list[memoryview]:
    """Views derived from ``v`` that its release does not release."""
    s = v[8:16]
    return [s, memoryview(v)[8:16], v.cast("B")[8:16], s[0:8], memoryview(s)]


def isolated(stale: list[memoryview], holder: Mapping) -> bool:
    """Writes through ``stale`` and through ``holder`` do not see each other."""
    for i, s in enumerate(stale):
        s[0] = 0xA0 + i
        if holder.read(8, 1) == bytes([0xA0 + i]):
            return False
        holder.write(8, bytes([0x50 + i]))
        if s[0] == 0x50 + i:
            return False
    return True


def fresh() -> tuple[System, Process, SharedBuffer]:
    sys = System()
    a = sys.spawn()
    return sys, a, a.create_buffer(SIZE)


def stale_after(end: Callable[[SharedBuffer, SharedBuffer], Mapping]) -> bool:
    """Map a derived capability, keep derived views, end the mapping with
    ``end(buf, child)`` (which returns a live mapping of the buffer's holder)."""
    _, _, buf = fresh()
    child = buf.derive(READ | WRITE)
    m = child.map()
    v = m.view()
    v[8:16] = b"original"
    stale = derived(v)
    holder = end(buf, child)
    with pytest.raises(ValueError, match="released"):
        v[0]
    assert holder.read(8, 8) == b"original"  # the contents moved, intact
    return isolated(stale, holder)


def test_unmap_cuts_off_derived_views() -> None:
    _, _, buf = fresh()
    m = buf.map()
    v = m.view()
    stale = derived(v)
    m.unmap()
    assert isolated(stale, buf.map())


def test_drop_cuts_off_derived_views() -> None:
    def end(buf: SharedBuffer, child: SharedBuffer) -> Mapping:
        child.drop()
        return buf.map()

    assert stale_after(end)


def test_revoke_cuts_off_derived_views() -> None:
    def end(buf: SharedBuffer, child: SharedBuffer) -> Mapping:
        assert buf.revoke() == 1
        assert not child.alive
        return buf.map()

    assert stale_after(end)


def test_transfer_cuts_off_derived_views() -> None:
    sys, a, buf = fresh()
    b = sys.spawn()
    inbox = b.create_port()
    inbox.bind("inbox")
    m = buf.map()
    v = m.view()
    v[8:16] = b"original"
    stale = derived(v)
    ro = buf.derive(READ).map(writable=False).view()
    stale_ro = [ro[8:16]]
    buf.transfer(a.namespace.lookup("inbox"))
    (received,) = inbox.receive_nowait().caps
    assert isinstance(received, SharedBuffer)
    theirs = received.map()
    assert theirs.read(8, 8) == b"original"
    assert isolated(stale, theirs)
    theirs.write(8, b"new data")
    assert bytes(stale_ro[0]) != b"new data"


def test_kill_cuts_off_derived_views() -> None:
    sys, a, buf = fresh()
    b = sys.spawn()
    inbox = b.create_port()
    inbox.bind("inbox")
    a.namespace.lookup("inbox").send(b"", caps=[buf.derive(BUFFER_RIGHTS)])
    (theirs,) = inbox.receive_nowait().caps
    assert isinstance(theirs, SharedBuffer)
    stale = derived(theirs.map().view())
    b.kill()
    assert isolated(stale, buf.map())


def test_views_stay_zero_copy_without_stale_derived_views() -> None:
    """The common case: nothing moves, every live view shares the memory."""
    _, _, buf = fresh()
    one, two = buf.map(), buf.map()
    v1, v2 = one.view(), two.view()
    mem = _memory(buf)
    store = mem.store
    v1[0] = 7
    assert v2[0] == 7
    extra = one.view(4, 8)
    extra.release()  # released by its holder: no derived view is left
    one.unmap()
    assert mem.store is store  # nothing moved
    v2[1] = 9
    assert two.read(0, 2) == b"\x07\x09"


def test_a_move_releases_the_other_live_views() -> None:
    """Documented: when stale views force a move, the buffer's other views are
    released (not left silently on the old memory); new views work."""
    _, _, buf = fresh()
    one, two = buf.map(), buf.map()
    kept = one.view()[0:4]
    v2 = two.view()
    one.unmap()
    with pytest.raises(ValueError, match="released"):
        v2[0]
    v2 = two.view()
    v2[0] = 3
    assert two.read(0, 1) == b"\x03"
    assert kept[0] == 0


def test_a_view_exported_further_is_cut_off_too() -> None:
    """A view exported by another object (release raises BufferError)."""
    import pickle

    _, _, buf = fresh()
    m = buf.map()
    wrapped = pickle.PickleBuffer(m.view())
    m.unmap()
    stale = [memoryview(wrapped)[8:16]]
    assert isolated(stale, buf.map())


def test_the_isolation_check_fails_on_a_seeded_bug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the move disabled, stale views still alias the memory, and
    ``isolated`` says so."""
    from veridian_ipc.model.memory import Memory

    monkeypatch.setattr(Memory, "move", lambda self: None)
    _, _, buf = fresh()
    m = buf.map()
    stale = derived(m.view())
    m.unmap()
    assert not isolated(stale, buf.map())


def _memory(buf: SharedBuffer) -> Memory:
    from veridian_ipc.model.memory import Memory

    obj = buf.process._kp.handles[buf.handle].obj
    mem = obj.mem  # type: ignore[attr-defined]
    assert isinstance(mem, Memory)
    return mem
