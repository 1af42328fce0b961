"""Limits the machine cannot honour are refused when a ``Config`` is made, and
the spec's own storage never costs more than what it holds (issue 8)."""

from __future__ import annotations

import dataclasses
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st
from immutables import Map

from veridian_ipc.spec import (
    Config,
    Err,
    IpcError,
    KernelState,
    Ok,
    initial_state,
    step,
)
from veridian_ipc.spec.state import Buffer, Channel
from veridian_ipc.spec.storage import CHUNK, read_bytes, write_bytes
from veridian_ipc.vocabulary.names import CONFIG_BOUNDS, MAX_CHANNEL_BYTES
from veridian_ipc.vocabulary.syscalls import (
    ChannelReceive,
    ChannelSend,
    CreateBuffer,
    CreateChannel,
    MapBuffer,
    ReadBuffer,
    WriteBuffer,
)

MIB = 1 << 20


@pytest.mark.parametrize("name", sorted(CONFIG_BOUNDS))
def test_each_field_is_bounded_and_the_error_names_field_and_bound(name: str) -> None:
    bound = CONFIG_BOUNDS[name]
    other = {"max_channel_capacity": "max_channel_message"}
    other |= {v: k for k, v in other.items()}
    extra = {other[name]: 1} if name in other else {}
    Config(**{name: bound, **extra})  # the bound itself is accepted
    with pytest.raises(ValueError, match=rf"Config\.{name} .*{bound}"):
        Config(**{name: bound + 1})
    with pytest.raises(ValueError, match=rf"Config\.{name}"):
        Config(**{name: 0})


@pytest.mark.parametrize("bad", [True, 1.0, "8", None])
def test_fields_must_be_ints_not_bools(bad: object) -> None:
    for f in dataclasses.fields(Config):
        with pytest.raises(ValueError, match=rf"Config\.{f.name} must be an int"):
            Config(**{f.name: bad})  # type: ignore[arg-type]


def test_the_issue_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="max_buffer_size"):
        Config(max_buffer_size=2**46)
    with pytest.raises(ValueError, match="max_channel_capacity"):
        Config(max_channel_capacity=10**12)
    with pytest.raises(ValueError, match=str(MAX_CHANNEL_BYTES)):
        Config(max_channel_capacity=1 << 16, max_channel_message=1 << 16)


def test_the_default_configuration_is_within_the_bounds() -> None:
    c = Config()
    assert c.max_buffer_size == 1 << 30
    assert dataclasses.replace(c, max_io=4).max_io == 4


def test_a_channel_holds_no_slot_per_unit_of_capacity() -> None:
    cfg = Config(max_channel_capacity=1 << 16, max_channel_message=64)
    s, r = step(initial_state(1, cfg), 1, CreateChannel(1 << 16, 1))
    assert r == Ok(1)
    (ring,) = [o for o in s.objects.values() if isinstance(o, Channel)]
    assert ring.held == ()
    s, sent = step(s, 1, ChannelSend(1, b"x"))
    assert sent == Ok(None)
    (ring,) = [o for o in s.objects.values() if isinstance(o, Channel)]
    assert ring.held == (b"x",)
    assert len(ring.slots) == 1 << 16
    assert ring.slots[0] == b"x"
    assert ring.slots[1] is None
    assert step(s, 1, ChannelReceive(1))[1] == Ok(b"x")


def _mapped_gib_buffer() -> tuple[KernelState, int]:
    s = initial_state(1, Config(max_io=MIB))
    s, h = step(s, 1, CreateBuffer(1 << 30))
    assert h == Ok(1)
    s, m = step(s, 1, MapBuffer(1, True))
    assert m == Ok(1)
    (buf,) = [o for o in s.objects.values() if isinstance(o, Buffer)]
    assert buf.chunks == Map()  # nothing stored for a fresh buffer
    return s, 1


def test_a_one_mib_write_costs_about_one_mib() -> None:
    s, m = _mapped_gib_buffer()
    data = bytes(range(256)) * 4096
    tracemalloc.start()
    try:
        s2, r = step(s, 1, WriteBuffer(m, (1 << 30) - MIB - 5, data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r == Ok(None)
    assert peak < 4 * MIB, peak  # was 65 MB with a map entry per byte
    got = step(s2, 1, ReadBuffer(m, (1 << 30) - MIB - 5, MIB))[1]
    assert got == Ok(data)
    assert step(s, 1, ReadBuffer(m, 0, 3))[1] == Ok(b"\0\0\0")


ops = st.lists(
    st.tuples(st.integers(0, 3 * CHUNK), st.binary(max_size=2 * CHUNK + 3)),
    max_size=8,
)


@given(ops, st.integers(0, 3 * CHUNK), st.integers(0, CHUNK))
def test_chunks_store_what_a_bytearray_would(
    writes: list[tuple[int, bytes]], at: int, n: int
) -> None:
    size = 5 * CHUNK + 7
    ref = bytearray(size)
    chunks: Map[int, bytes] = Map()
    for offset, data in writes:
        ref[offset : offset + len(data)] = data
        chunks = write_bytes(chunks, offset, data)
    assert read_bytes(chunks, at, n) == bytes(ref[at : at + n])
    assert read_bytes(chunks, 0, size) == bytes(ref)
    assert all(c != bytes(CHUNK) and len(c) == CHUNK for c in chunks.values())
    contents = Buffer(size, chunks).contents
    assert dict(contents.items()) == {i: b for i, b in enumerate(ref) if b}
    assert len(contents) == sum(1 for b in ref if b)


def test_zero_writes_give_the_canonical_state() -> None:
    s, m = _mapped_gib_buffer()
    s2, _ = step(s, 1, WriteBuffer(m, 10, b"\1\2"))
    s3, _ = step(s2, 1, WriteBuffer(m, 10, b"\0\0"))
    assert s3 == s
    assert s2 != s


def test_a_wrong_store_is_caught() -> None:
    """The reference comparison can fail: a chunk map that lost a write."""
    chunks = write_bytes(Map(), CHUNK - 1, b"ab")
    assert read_bytes(chunks, CHUNK - 1, 2) == b"ab"
    lost = chunks.delete(1)
    assert read_bytes(lost, CHUNK - 1, 2) != b"ab"


def test_bad_sizes_still_get_the_spec_errors() -> None:
    s = initial_state(1)
    assert (
        step(s, 1, CreateBuffer((1 << 30) + 1))[1] == step(s, 1, CreateBuffer(2**45))[1]
    )
    assert step(s, 1, CreateChannel(10**12, 1))[1] == Err(IpcError.OutOfMemory)


def test_a_wire_config_beyond_the_bounds_is_a_wire_error() -> None:
    from veridian_ipc.conformance.wire import WireError, decode_config

    with pytest.raises(WireError, match="max_buffer_size"):
        decode_config({"max_buffer_size": 2**45})
    assert decode_config({"max_io": 8}) == Config(max_io=8)
