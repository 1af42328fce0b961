"""The seed's calls and headings are all accounted for (spec/seed_map.py,
spec/seed_register.py), and the receive mapping holds on the spec."""

from __future__ import annotations

from veridian_ipc.spec import BLOCKED, RULES, Err, IpcError, initial_state, step
from veridian_ipc.spec.seed_map import SECTIONS, SEED_CALLS
from veridian_ipc.spec.seed_register import REGISTER
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import OP_SPECS
from veridian_ipc.vocabulary.rights import SEND

#: The seed's ## and ### headings, without their numbering.
SEED_HEADINGS = (
    "Architecture Overview",
    "Three-Layer Design",
    "IPC Primitives",
    "Synchronous Message Passing",
    "Asynchronous Channels",
    "Zero-Copy Shared Memory",
    "Port System",
    "Port Creation and Binding",
    "Port Rights",
    "Performance Optimizations",
    "Fast Path for Small Messages",
    "Batched Operations",
    "CPU Cache Optimization",
    "Security Features",
    "Capability Integration",
    "Message Filtering",
    "Error Handling",
    "IPC Errors",
    "Timeout Support",
    "POSIX Compatibility Layer",
    "Socket Emulation",
    "Performance Metrics",
    "Latency Targets",
    "Throughput Targets",
    "Best Practices",
)

#: The calls in the seed's code blocks, by the heading they appear under.
SEED_CALLS_BY_HEADING: dict[str, tuple[str, ...]] = {
    "Three-Layer Design": ("port_send", "channel_receive"),
    "Synchronous Message Passing": ("port_send", "port_receive"),
    "Asynchronous Channels": ("Channel::send",),
    "Zero-Copy Shared Memory": (
        "SharedBuffer::create",
        "map_shared",
        "transfer_buffer",
    ),
    "Port Creation and Binding": (
        "Port::create",
        "namespace.bind",
        "namespace.lookup",
    ),
    "Port Rights": ("derive",),
    "Fast Path for Small Messages": ("handle_port_send_fast",),
    "Batched Operations": ("BatchedChannel::send", "BatchedChannel::flush"),
    "CPU Cache Optimization": ("create_channel_on_node",),
    "Capability Integration": ("connect",),
    "Message Filtering": ("set_filter", "accept_message"),
    "Timeout Support": ("port_receive_timeout", "port_try_receive"),
    "Socket Emulation": ("socket", "send"),
}

OPERATION_NAMES = {spec.name for spec in OP_SPECS}


def test_every_seed_call_is_mapped_once() -> None:
    mapped = [(c.section, c.call) for c in SEED_CALLS]
    assert len(mapped) == len(set(mapped))
    listed = {(h, call) for h, calls in SEED_CALLS_BY_HEADING.items() for call in calls}
    assert set(mapped) == listed


def test_every_mapped_operation_is_registered() -> None:
    unknown = {op for c in SEED_CALLS for op in c.operations} - OPERATION_NAMES
    assert not unknown


def unaccounted(headings: tuple[str, ...]) -> list[str]:
    """Headings neither mapped to rules nor listed in the register."""
    registered = {d.section for d in REGISTER}
    return [h for h in headings if h not in SECTIONS and h not in registered]


def test_every_seed_heading_is_mapped_or_registered() -> None:
    assert not unaccounted(SEED_HEADINGS)
    named = set(SECTIONS) | {d.section for d in REGISTER}
    assert named <= set(SEED_HEADINGS), named - set(SEED_HEADINGS)
    for rules in [*SECTIONS.values(), *(d.rules for d in REGISTER)]:
        for r in rules:
            assert r in RULES, r


def test_unaccounted_heading_is_reported() -> None:
    """The check can fail: a heading the seed might grow is reported."""
    assert unaccounted((*SEED_HEADINGS, "Shared Interrupts")) == ["Shared Interrupts"]


def test_register_entries_give_a_decision_and_reason() -> None:
    for d in REGISTER:
        assert d.decision in ("left out", "departs")
        assert d.reason
        assert d.content


def test_receive_mapping_holds() -> None:
    """The seed's blocking receive is Receive(h, None); its timeout loop is
    Receive(h, t > 0) ending in Timeout; timeout 0 polls (WouldBlock); the
    record's default is 0 (the documented decision)."""
    assert sc.Receive(1).timeout == 0
    s = initial_state(2)
    s, _ = step(s, 1, sc.CreatePort(2))
    s2, r = step(s, 1, sc.Receive(1, 0))
    assert r == Err(IpcError.WouldBlock)
    s2, r = step(s, 1, sc.Receive(1, None))
    assert r.value is BLOCKED  # type: ignore[union-attr]
    s2, _ = step(s2, 0, sc.AdvanceClock(1000))
    assert step(s2, 1, sc.Resume())[1] == Err(IpcError.WouldBlock)  # still waits
    s3, r = step(s, 1, sc.Receive(1, 3))
    assert r.value is BLOCKED  # type: ignore[union-attr]
    s3, _ = step(s3, 0, sc.AdvanceClock(3))
    assert step(s3, 1, sc.Resume())[1] == Err(IpcError.Timeout)


def test_the_seeds_namespace_example_gives_clients_send_only() -> None:
    """Seed "Port Creation and Binding": ``Port::create``, then
    ``namespace.bind(name, port.capability)``, then a client's
    ``namespace.lookup(name)``, as SEED_CALLS maps them: the client holds SEND
    only, so it can neither drain nor close the server's port (NS-BIND)."""
    mapped = {c.call: c.operations for c in SEED_CALLS}
    assert mapped["namespace.bind"] == ("Bind",)
    assert mapped["namespace.lookup"] == ("Lookup",)
    s = initial_state(2)
    s, r = step(s, 1, sc.CreatePort(4))
    port = r.value  # type: ignore[union-attr]
    assert isinstance(port, int)
    s, r = step(s, 1, sc.Bind(port, "com.app.service"))
    s, r = step(s, 2, sc.Lookup("com.app.service"))
    service = r.value  # type: ignore[union-attr]
    assert isinstance(service, int)
    s, r = step(s, 2, sc.Inspect(service))
    assert r.value.rights == SEND  # type: ignore[union-attr]
    for op in (sc.Receive(service, 0), sc.Close(service), sc.SetFilter(service)):
        assert step(s, 2, op)[1] == Err(IpcError.InsufficientRights), op
