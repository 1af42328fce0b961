"""The operation registry: complete, consistent, and the source of the tables
that used to be written by hand (spec dispatch, model dispatch, model field
checks). The frozen copies below are the hand-written tables as they were
before the registry; the derived ones must equal them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any

import pytest

from veridian_ipc.model import kernel as model_kernel
from veridian_ipc.model import typecheck
from veridian_ipc.spec import GROUPS, RULES, RuleId
from veridian_ipc.vocabulary import operations as ops
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.operations import (
    HandleRef,
    IdKind,
    MapRef,
    Operation,
    OpSpec,
    RegistryError,
    check_registered,
    check_table,
    operation,
    process_ops,
)

step_module = importlib.import_module("veridian_ipc.spec.step")

#: A wrong declaration: an id marker on a string field.
HandleStr = Annotated[str, IdKind.HANDLE]

#: spec/step.py ``_PROCESS_RULES`` and the environment branches of ``step``,
#: before the registry: operation -> (module, function).
OLD_SPEC_DISPATCH: dict[str, tuple[str, str]] = {
    "Spawn": ("processes", "spawn"),
    "Kill": ("processes", "kill"),
    "AdvanceClock": ("timeouts", "advance_clock"),
    "Inspect": ("caps", "inspect_handle"),
    "Drop": ("caps", "drop"),
    "Derive": ("caps", "derive"),
    "Revoke": ("caps", "revoke"),
    "CreatePort": ("ports", "create_port"),
    "Send": ("ports", "send"),
    "Receive": ("ports", "receive"),
    "Resume": ("ports", "resume"),
    "Close": ("step", "_close"),
    "SetFilter": ("filters", "set_filter"),
    "Bind": ("namespace", "bind"),
    "Unbind": ("namespace", "unbind"),
    "Lookup": ("namespace", "lookup"),
    "Connect": ("namespace", "connect"),
    "CreateChannel": ("channels", "create_channel"),
    "ChannelSend": ("channels", "channel_send"),
    "ChannelSendBatch": ("channels", "channel_send_batch"),
    "ChannelReceive": ("channels", "channel_receive"),
    "ChannelReceiveBatch": ("channels", "channel_receive_batch"),
    "CreateBuffer": ("buffers", "create_buffer"),
    "MapBuffer": ("buffers", "map_buffer"),
    "Unmap": ("buffers", "unmap"),
    "ReadBuffer": ("buffers", "read_buffer"),
    "WriteBuffer": ("buffers", "write_buffer"),
    "TransferBuffer": ("buffers", "transfer_buffer"),
    "Socket": ("sockets", "socket"),
    "SockBind": ("sockets", "sock_bind"),
    "SockConnect": ("sockets", "sock_connect"),
    "SockSend": ("sockets", "sock_send"),
    "SockRecv": ("sockets", "sock_recv"),
    "SockClose": ("sockets", "sock_close"),
}

#: model/typecheck.py ``FIELDS`` before the registry, by check function name.
OLD_MODEL_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Spawn": (("may_bind", "_bool"), ("may_lookup", "_bool")),
    "Kill": (("target", "_int"),),
    "AdvanceClock": (("ticks", "_int"),),
    "Inspect": (("handle", "_int"),),
    "Drop": (("handle", "_int"),),
    "Derive": (("handle", "_int"), ("rights", "_int")),
    "Revoke": (("handle", "_int"),),
    "CreatePort": (("capacity", "_int"),),
    "Send": (
        ("handle", "_int"),
        ("msg_type", "_int"),
        ("flags", "_int"),
        ("data", "_bytes"),
        ("caps", "_int_tuple"),
        ("timeout", "_opt_int"),  # PORT-SEND-BLOCK
    ),
    "Receive": (("handle", "_int"), ("timeout", "_opt_int")),
    "Resume": (),
    "Close": (("handle", "_int"),),
    "SetFilter": (
        ("handle", "_int"),
        ("allowed_types", "_opt_int_set"),
        ("max_size", "_opt_int"),
        ("rate", "_opt_rate"),
    ),
    "Bind": (
        ("handle", "_int"),
        ("name", "_str"),
        ("service_type", "_int"),
        ("rights", "_int"),
    ),
    "Unbind": (("handle", "_int"), ("name", "_str")),
    "Lookup": (("name", "_str"),),
    "Connect": (("name", "_str"), ("service_type", "_int")),
    "CreateChannel": (("capacity", "_int"), ("max_message", "_int")),
    "ChannelSend": (("handle", "_int"), ("data", "_bytes"), ("timeout", "_opt_int")),
    "ChannelSendBatch": (("handle", "_int"), ("items", "_bytes_tuple")),
    "ChannelReceive": (("handle", "_int"),),
    "ChannelReceiveBatch": (("handle", "_int"), ("max_count", "_int")),
    "CreateBuffer": (("size", "_int"),),
    "MapBuffer": (("handle", "_int"), ("writable", "_bool")),
    "Unmap": (("mapping", "_int"),),
    "ReadBuffer": (("mapping", "_int"), ("offset", "_int"), ("length", "_int")),
    "WriteBuffer": (("mapping", "_int"), ("offset", "_int"), ("data", "_bytes")),
    "TransferBuffer": (("handle", "_int"), ("port", "_int"), ("msg_type", "_int")),
    "Socket": (("capacity", "_opt_int"),),
    "SockBind": (("fd", "_int"), ("name", "_str")),
    "SockConnect": (("fd", "_int"), ("name", "_str")),
    "SockSend": (("fd", "_int"), ("data", "_bytes")),
    "SockRecv": (("fd", "_int"), ("bufsize", "_int")),
    "SockClose": (("fd", "_int"),),
}


# -- the registry is complete and consistent ---------------------------------------


def test_every_record_is_registered_once_in_order() -> None:
    records = [
        v
        for v in vars(sc).values()
        if isinstance(v, type) and issubclass(v, Operation) and v is not Operation
    ]
    assert [s.cls for s in ops.OP_SPECS] == records == list(sc.OPERATIONS)
    assert len({s.name for s in ops.OP_SPECS}) == len(ops.OP_SPECS)
    assert set(OLD_SPEC_DISPATCH) <= set(ops.OPS_BY_NAME)
    assert {s.name: s for s in ops.OP_SPECS} == ops.OPS_BY_NAME
    assert {s.name: s.cls for s in ops.OP_SPECS} == sc.OPERATIONS_BY_NAME


def test_groups_and_rules_exist() -> None:
    groups = {g for g, _ in GROUPS}
    for s in ops.OP_SPECS:
        assert s.group in groups, s.name
        for r in s.tags:
            assert r in RULES, (s.name, r)
        assert len(set(s.tags)) == len(s.tags), s.name
    # every group but errors and messages has operations of its own
    assert {s.group for s in ops.OP_SPECS} == groups - {"errors", "messages"}


def test_the_fields_the_registry_reads_are_the_dataclass_fields() -> None:
    for s in ops.OP_SPECS:
        assert [f.name for f in s.fields] == [f.name for f in fields(s.cls)]  # type: ignore[arg-type]


def test_ids_are_plain_ints_to_callers() -> None:
    op = sc.Send(1, 0, 0, b"", (2, 3))
    assert op.caps == (2, 3)
    assert ops.OPS_BY_NAME["Send"].id_fields == {
        "handle": IdKind.HANDLE,
        "caps": IdKind.HANDLE,
    }
    assert ops.OPS_BY_NAME["SockSend"].id_fields == {}  # fds are never renamed
    assert ops.OPS_BY_NAME["Socket"].result_id is None


# -- derived tables equal the hand-written ones they replace ------------------------


def test_spec_dispatch_equals_the_old_table() -> None:
    table = {c.__name__: fn for c, fn in step_module._RULES.items()}
    assert set(table) >= set(OLD_SPEC_DISPATCH)
    for op, (module, name) in OLD_SPEC_DISPATCH.items():
        fn = table[op]
        assert (fn.__module__.rsplit(".", 1)[1], fn.__name__) == (module, name)


def test_model_field_checks_equal_the_old_table() -> None:
    got = {
        cls.__name__: tuple((n, c.__name__) for n, c in checks)
        for cls, checks in typecheck.FIELDS.items()
        if cls.__name__ in OLD_MODEL_FIELDS
    }
    assert got == OLD_MODEL_FIELDS


def test_model_dispatch_covers_every_process_operation() -> None:
    assert {c.__name__ for c in model_kernel.PROCESS_RULES} == {
        s.name for s in process_ops()
    }


# -- a missed entry fails loudly, by name --------------------------------------------


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> list[OpSpec]:
    """An empty registry, so seeded records do not join the real one."""
    fresh: list[OpSpec] = []
    monkeypatch.setattr(ops, "OP_SPECS", fresh)
    monkeypatch.setattr(ops, "OPS_BY_NAME", {})
    return fresh


def test_a_record_without_its_decorator_is_named() -> None:
    @dataclass(frozen=True, slots=True)
    class Bogus(Operation):
        handle: HandleRef

    with pytest.raises(RegistryError, match="operation Bogus is not registered"):
        check_registered({"Bogus": Bogus, "Send": sc.Send})
    check_registered({"Send": sc.Send})  # the real records pass


def test_a_decorator_below_dataclass_is_named(scratch_registry: list[OpSpec]) -> None:
    @dataclass(slots=True)  # makes a new class: the registered one is discarded
    @operation(group="caps", rule=RuleId.CAP_INSPECT)
    @dataclass
    class Bogus(Operation):
        handle: HandleRef

    assert [s.name for s in scratch_registry] == ["Bogus"]
    with pytest.raises(RegistryError, match=r"Bogus.*above @dataclass"):
        check_registered({"Bogus": Bogus})


def test_bad_declarations_are_refused(scratch_registry: list[OpSpec]) -> None:
    def declare(**kw: Any) -> Callable[[type[Operation]], type[Operation]]:
        return operation(**{"group": "caps", "rule": RuleId.CAP_INSPECT, **kw})

    class NotADataclass(Operation):
        pass

    with pytest.raises(RegistryError, match="NotADataclass: not a dataclass"):
        declare()(NotADataclass)

    @dataclass(frozen=True)
    class Bogus(Operation):
        mapping: MapRef

    with pytest.raises(RegistryError, match="Bogus: unknown group 'sockets'"):
        declare(group="sockets")(Bogus)
    with pytest.raises(RegistryError, match="Bogus: 'CAP-DROP' is not a RuleId"):
        declare(also=("CAP-DROP",))(Bogus)
    declare()(Bogus)
    with pytest.raises(RegistryError, match="operation Bogus registered twice"):
        declare()(Bogus)

    @dataclass(frozen=True)
    class Misfiled(Operation):
        name: HandleStr

    with pytest.raises(RegistryError, match=r"Misfiled\.name: an id marker needs"):
        declare()(Misfiled)
    assert [s.name for s in scratch_registry] == ["Bogus"]


def test_a_table_missing_an_operation_is_named() -> None:
    table = dict(model_kernel.PROCESS_RULES)
    check_table(table, "t", ops=process_ops())
    del table[sc.Unmap]
    table[sc.Spawn] = model_kernel.close
    with pytest.raises(
        RegistryError,
        match=r"^PROCESS_RULES is out of date: missing Unmap; unknown Spawn$",
    ):
        check_table(table, "PROCESS_RULES", ops=process_ops())
    with pytest.raises(RegistryError, match="GENERATORS is out of date: missing Ping"):
        check_table(["Send"], "GENERATORS", ops=[ops.OPS_BY_NAME["Send"], _ping()])


def _ping() -> OpSpec:
    @dataclass(frozen=True)
    class Ping(Operation):
        pass

    return OpSpec(Ping, "caps", RuleId.CAP_INSPECT, (), None, ())


def test_spec_dispatch_names_an_operation_without_a_rule_function() -> None:
    derive = step_module.derive_dispatch
    send = ops.OPS_BY_NAME["Send"]
    assert derive([send], {})[sc.Send].__name__ == "send"
    ping = _ping()
    no_rule = OpSpec(ping.cls, "caps", None, (), None, ())
    with pytest.raises(RegistryError, match="operation Ping: no rule function"):
        derive([no_rule], {})
    # a rule whose definition is not a (state, pid, op) function
    wrong = OpSpec(ping.cls, "caps", RuleId.RIGHTS_BITS, (), None, ())
    with pytest.raises(RegistryError, match="operation Ping: "):
        derive([wrong], {})
    with pytest.raises(RegistryError, match="dispatchers for unknown operations: Ping"):
        derive([send], {ping.cls: step_module._close})


def test_model_field_checks_name_an_unknown_annotation() -> None:
    spec = OpSpec(
        _ping().cls, "caps", None, (), None, (ops.FieldSpec("when", float, None),)
    )
    with pytest.raises(RegistryError, match=r"Ping.when: no model check"):
        typecheck._field_checks(spec)
