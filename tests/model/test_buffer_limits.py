"""The model never raises where the spec answers (issue 8, item 8).

Buffers get memory on first write or view, small ones in ordinary memory, so
the host's memory-map count is no limit; a buffer of the largest allowed size
costs nothing until used; and if the host really cannot allocate, the model
answers ``OutOfMemory`` and changes nothing.
"""

from __future__ import annotations

import mmap

import pytest

from veridian_ipc.model import IpcException, System
from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import Config, Err, IpcError, Ok, initial_state, step
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelSend,
    CreateBuffer,
    CreateChannel,
    MapBuffer,
    Operation,
    ReadBuffer,
    Unmap,
    WriteBuffer,
)

GIB = 1 << 30


def test_a_hundred_thousand_small_buffers_created_mapped_written() -> None:
    """Was ``OSError(ENOMEM)`` after about 65,000 (one mmap each)."""
    k = Kernel(1)
    n = 100_000
    mapping = 0
    for i in range(n):
        h = k.apply(1, CreateBuffer(64))
        assert isinstance(h, Ok), (i, h)
        m = k.apply(1, MapBuffer(h.value, True))  # type: ignore[arg-type]
        assert isinstance(m, Ok), (i, m)
        mapping = m.value  # type: ignore[assignment]
        assert k.apply(1, WriteBuffer(mapping, 60, i.to_bytes(4, "little"))) == Ok(None)
    assert k.apply(1, ReadBuffer(mapping, 60, 4)) == Ok((n - 1).to_bytes(4, "little"))
    assert k.statistics().buffers == n


def _lockstep(ops: list[Operation], config: Config) -> list[object]:
    """Apply ``ops`` to the spec and the model; the results must agree."""
    s = initial_state(1, config)
    k = Kernel(1, config)
    out: list[object] = []
    for op in ops:
        s, want = step(s, 1, op)
        got = k.apply(1, op)
        assert got == want, (op, got, want)
        out.append(got)
    return out


def test_the_largest_buffer_and_ring_agree_with_the_spec() -> None:
    cfg = Config(max_channel_capacity=1 << 16, max_channel_message=1 << 14)
    ops: list[Operation] = [
        CreateBuffer(GIB),
        MapBuffer(1, True),
        ReadBuffer(1, GIB - 4, 4),
        WriteBuffer(1, GIB - 2, b"\0\0"),
        WriteBuffer(1, 0, b""),
        CreateBuffer(GIB + 1),
        CreateBuffer(2**45),
        CreateChannel(1 << 16, 1 << 14),
        ChannelSend(2, b"x"),
        ChannelReceive(2),
        Unmap(1),
    ]
    out = _lockstep(ops, cfg)
    assert out[2] == Ok(b"\0" * 4)
    assert out[5] == Err(IpcError.OutOfMemory)


def test_a_gib_buffer_allocates_nothing_until_written() -> None:
    k = Kernel(1)
    assert k.apply(1, CreateBuffer(GIB)) == Ok(1)
    assert k.apply(1, MapBuffer(1, True)) == Ok(1)
    assert k.apply(1, ReadBuffer(1, GIB - 3, 3)) == Ok(b"\0\0\0")
    from veridian_ipc.model.memory import Memory

    buf = k.state.objects[1]
    mem = buf.mem  # type: ignore[attr-defined]
    assert isinstance(mem, Memory)
    assert mem.store is None
    assert k.apply(1, WriteBuffer(1, GIB - 1, b"\0")) == Ok(None)
    assert mem.store is None  # zeros into untouched memory need none
    assert k.apply(1, WriteBuffer(1, GIB - 1, b"\1")) == Ok(None)
    store: object = mem.store
    assert isinstance(store, mmap.mmap)
    assert k.apply(1, ReadBuffer(1, GIB - 2, 2)) == Ok(b"\0\1")


def test_small_buffers_use_no_memory_map() -> None:
    from veridian_ipc.model.memory import SMALL, allocate

    assert isinstance(allocate(SMALL), bytearray)
    assert isinstance(allocate(SMALL + 1), mmap.mmap)


def test_host_exhaustion_is_out_of_memory_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from veridian_ipc.model import memory

    def no_memory(size: int) -> None:
        return None

    k = Kernel(1)
    assert k.apply(1, CreateBuffer(4096)) == Ok(1)
    assert k.apply(1, MapBuffer(1, True)) == Ok(1)
    before = k.observe()
    monkeypatch.setattr(memory, "allocate", no_memory)
    assert k.apply(1, WriteBuffer(1, 0, b"x")) == Err(IpcError.OutOfMemory)
    assert k.observe() == before
    assert k.apply(1, ReadBuffer(1, 0, 1)) == Ok(b"\0")
    monkeypatch.undo()
    assert k.apply(1, WriteBuffer(1, 0, b"x")) == Ok(None)
    assert k.apply(1, ReadBuffer(1, 0, 1)) == Ok(b"x")


def test_a_view_the_host_cannot_back_is_out_of_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from veridian_ipc.model import memory

    p = System().spawn()
    m = p.create_buffer(4096).map()
    monkeypatch.setattr(memory, "allocate", lambda size: None)
    with pytest.raises(IpcException) as e:
        m.view()
    assert e.value.error is IpcError.OutOfMemory


@pytest.mark.parametrize("error", [MemoryError(), OSError(12, "ENOMEM")])
def test_allocate_answers_none_when_the_host_refuses(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    from veridian_ipc.model import memory
    from veridian_ipc.model.memory import SMALL, allocate

    def refuse(*args: object) -> object:
        raise error

    monkeypatch.setattr(mmap, "mmap", refuse)
    monkeypatch.setattr(memory, "bytearray", refuse, raising=False)
    assert allocate(SMALL) is None
    assert allocate(SMALL + 1) is None
