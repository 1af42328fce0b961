"""Every fast path of the facade gives exactly the rule's answer.

The facade's hot paths (``Port.send_nowait``/``send``/``receive_nowait``/
``receive``, ``Channel.send_nowait``/``send_batch``/``receive_nowait``/
``receive_batch`` and the channel waits with timeout 0) skip the operation
records when a cheap check proves the rule would admit the call. Here each is
driven, side by side with ``spec.step`` on the same operation in the same
state, with what must not be admitted: a process blocked through the operation
interface (PROC-STATUS: waiting, then woken and not resumed), ill-typed and
out-of-range arguments (ERR-TOTAL, MSG-LIMITS), stale handles, missing rights.
The error the facade raises must be the one the rule returns, and the
observable states must stay equal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.model import Channel, Handle, IpcException, Port, Process, System
from veridian_ipc.model.state import Message
from veridian_ipc.spec import initial_state, step
from veridian_ipc.spec.observe import observe
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.names import Config
from veridian_ipc.vocabulary.results import BLOCKED, Delivered, Err, Ok
from veridian_ipc.vocabulary.rights import RECEIVE, SEND

CFG = Config(max_port_capacity=3, max_channel_capacity=4, max_channel_message=4)

#: One case: a facade call and the operation record it stands for.
Case = tuple[str, Callable[[], Any], sc.Operation]


class Lockstep:
    """The facade over one process and the spec's state, kept in step."""

    def __init__(self) -> None:
        self.system = System(CFG, clock="logical")
        self.proc: Process = self.system.spawn()
        self.s = initial_state(1, CFG)

    def op(self, op: sc.Operation) -> Any:
        """Apply a record to both (set-up); both must agree."""
        got = self.proc.apply(op)
        self.s, want = step(self.s, 1, op)
        assert got == want, (op, got, want)
        return got.value if isinstance(got, Ok) else got

    def obj(self, handle: int) -> Any:
        """The facade object for one of the process's handles."""
        return next(h for h in self.proc.handles() if h.handle == handle)

    def check(self, case: Case) -> tuple[str, Any]:
        """Run one case on both; the outcomes and observations must agree."""
        label, call, op = case
        try:
            value = call()
            got: tuple[str, Any] = ("ok", _plain(value))
        except IpcException as e:
            got = ("err", e.error)
        self.s, r = step(self.s, 1, op)
        want = ("err", r.error) if isinstance(r, Err) else ("ok", r.value)
        assert got == want, f"{label}: facade {got}, rule {want}"
        assert self.system.kernel.observe() == observe(self.s), label
        return got


def _plain(value: Any) -> Any:
    """A facade result as the rule's result value."""
    if isinstance(value, Message):
        handles = tuple(None if c is None else c.handle for c in value.caps)
        return Delivered(value.sender, value.msg_type, value.flags, value.data, handles)
    if isinstance(value, list):
        return tuple(value)
    return value


def build() -> tuple[Lockstep, dict[str, Any]]:
    """A process with ports and channels, some messages, derived handles with
    one right each, a stale handle of each kind, and a spare port to block on."""
    ls = Lockstep()
    h: dict[str, Any] = {}
    a = ls.op(sc.CreatePort(3))
    c = ls.op(sc.CreateChannel(4, 4))
    h["block_on"] = ls.op(sc.CreatePort(1))
    h["carried"] = ls.obj(ls.op(sc.CreateChannel(1, 4)))
    h["port"], h["chan"] = ls.obj(a), ls.obj(c)
    h["port_send_only"] = ls.obj(ls.op(sc.Derive(a, SEND)))
    h["port_receive_only"] = ls.obj(ls.op(sc.Derive(a, RECEIVE)))
    h["chan_send_only"] = ls.obj(ls.op(sc.Derive(c, SEND)))
    h["chan_receive_only"] = ls.obj(ls.op(sc.Derive(c, RECEIVE)))
    stale_port, stale_chan = ls.op(sc.CreatePort(1)), ls.op(sc.CreateChannel(1, 1))
    h["stale_port"], h["stale_chan"] = ls.obj(stale_port), ls.obj(stale_chan)
    ls.op(sc.Drop(stale_port))
    ls.op(sc.Drop(stale_chan))
    for i in range(2):
        ls.op(sc.Send(a, 0, 0, b"m%d" % i))
        ls.op(sc.ChannelSend(c, b"c%d" % i))
    return ls, h


def port_cases(p: Port, carried: Handle) -> list[Case]:
    """Every port fast path, well- and ill-typed."""
    n = p.handle
    x = b"x"
    return [
        ("send_nowait", lambda: p.send_nowait(x), sc.Send(n, 0, 0, x)),
        ("send_nowait str", lambda: p.send_nowait("x"), sc.Send(n, 0, 0, "x")),  # type: ignore[arg-type]
        (
            "send_nowait bytearray",
            lambda: p.send_nowait(bytearray(x)),  # type: ignore[arg-type]
            sc.Send(n, 0, 0, bytearray(x)),  # type: ignore[arg-type]
        ),
        (
            "send_nowait 65 B",
            lambda: p.send_nowait(bytes(65)),
            sc.Send(n, 0, 0, bytes(65)),
        ),
        (
            "send_nowait type bool",
            lambda: p.send_nowait(x, True),
            sc.Send(n, True, 0, x),
        ),
        (
            "send_nowait type float",
            lambda: p.send_nowait(x, 1.0),  # type: ignore[arg-type]
            sc.Send(n, 1.0, 0, x),  # type: ignore[arg-type]
        ),
        ("send_nowait type -1", lambda: p.send_nowait(x, -1), sc.Send(n, -1, 0, x)),
        (
            "send_nowait type 2**32",
            lambda: p.send_nowait(x, 2**32),
            sc.Send(n, 2**32, 0, x),
        ),
        (
            "send_nowait flags 2**16",
            lambda: p.send_nowait(x, 0, 2**16),
            sc.Send(n, 0, 2**16, x),
        ),
        (
            "send_nowait flags bool",
            lambda: p.send_nowait(x, 0, True),
            sc.Send(n, 0, True, x),
        ),
        ("send", lambda: p.send(x, timeout=0), sc.Send(n, 0, 0, x)),
        ("send str", lambda: p.send("x", timeout=0), sc.Send(n, 0, 0, "x")),  # type: ignore[arg-type]
        ("send type bool", lambda: p.send(x, True, timeout=0), sc.Send(n, True, 0, x)),
        (
            "send type huge",
            lambda: p.send(x, 2**70, timeout=0),
            sc.Send(n, 2**70, 0, x),
        ),
        (
            "send caps",
            lambda: p.send(x, caps=[carried], timeout=0),
            sc.Send(n, 0, 0, x, (carried.handle,)),
        ),
        ("receive_nowait", p.receive_nowait, sc.Receive(n, 0)),
        ("receive 0", lambda: p.receive(timeout=0), sc.Receive(n, 0)),
    ]


def channel_cases(c: Channel) -> list[Case]:
    """Every channel fast path, well- and ill-typed."""
    n = c.handle
    return [
        ("ch send_nowait", lambda: c.send_nowait(b"x"), sc.ChannelSend(n, b"x")),
        ("ch send_nowait str", lambda: c.send_nowait("x"), sc.ChannelSend(n, "x")),  # type: ignore[arg-type]
        (
            "ch send_nowait big",
            lambda: c.send_nowait(b"12345"),
            sc.ChannelSend(n, b"12345"),
        ),
        (
            "ch send_nowait bytearray",
            lambda: c.send_nowait(bytearray(b"x")),  # type: ignore[arg-type]
            sc.ChannelSend(n, bytearray(b"x")),  # type: ignore[arg-type]
        ),
        ("ch send_wait 0", lambda: c.send_wait(b"x", 0), sc.ChannelSend(n, b"x")),
        (
            "ch send_batch",
            lambda: c.send_batch([b"a"]),
            sc.ChannelSendBatch(n, (b"a",)),
        ),
        ("ch send_batch empty", lambda: c.send_batch([]), sc.ChannelSendBatch(n, ())),
        (
            "ch send_batch mixed",
            lambda: c.send_batch([b"a", "b"]),  # type: ignore[list-item]
            sc.ChannelSendBatch(n, (b"a", "b")),  # type: ignore[arg-type]
        ),
        (
            "ch send_batch str",
            lambda: c.send_batch("ab"),  # type: ignore[arg-type]
            sc.ChannelSendBatch(n, ("a", "b")),  # type: ignore[arg-type]
        ),
        (
            "ch send_batch int",
            lambda: c.send_batch(5),  # type: ignore[arg-type]
            sc.ChannelSendBatch(n, 5),  # type: ignore[arg-type]
        ),
        ("ch receive_nowait", c.receive_nowait, sc.ChannelReceive(n)),
        ("ch receive_wait 0", lambda: c.receive_wait(0), sc.ChannelReceive(n)),
        ("ch receive_batch", lambda: c.receive_batch(2), sc.ChannelReceiveBatch(n, 2)),
        (
            "ch receive_batch bool",
            lambda: c.receive_batch(True),
            sc.ChannelReceiveBatch(n, True),
        ),
        (
            "ch receive_batch 0",
            lambda: c.receive_batch(0),
            sc.ChannelReceiveBatch(n, 0),
        ),
        (
            "ch receive_batch -1",
            lambda: c.receive_batch(-1),
            sc.ChannelReceiveBatch(n, -1),
        ),
        (
            "ch receive_batch float",
            lambda: c.receive_batch(1.5),  # type: ignore[arg-type]
            sc.ChannelReceiveBatch(n, 1.5),  # type: ignore[arg-type]
        ),
        (
            "ch receive_batch huge",
            lambda: c.receive_batch(2**70),
            sc.ChannelReceiveBatch(n, 2**70),
        ),
    ]


def all_cases(h: dict[str, Any]) -> list[Case]:
    cases: list[Case] = []
    for name in ("port", "port_send_only", "port_receive_only", "stale_port"):
        cases += [
            (f"{name} {lb}", f, op) for lb, f, op in port_cases(h[name], h["carried"])
        ]
    for name in ("chan", "chan_send_only", "chan_receive_only", "stale_chan"):
        cases += [(f"{name} {lb}", f, op) for lb, f, op in channel_cases(h[name])]
    return cases


def blocking_cases(h: dict[str, Any]) -> list[Case]:
    """The blocking calls: when the process is blocked, they do not wait."""
    p, n = h["port"], h["port"].handle
    return [
        ("receive forever", lambda: p.receive(), sc.Receive(n, None)),
        ("receive 1 s", lambda: p.receive(timeout=1), sc.Receive(n, 1)),
        ("send forever", lambda: p.send(b"x"), sc.Send(n, 0, 0, b"x")),
    ]


def test_every_fast_path_answers_as_the_rule_while_running() -> None:
    ls, h = build()
    outcomes = [ls.check(case) for case in all_cases(h)]
    assert ("ok", None) in outcomes  # some were admitted, on the fast paths
    assert ("err", IpcError.InvalidArgument) in outcomes
    assert ("err", IpcError.InsufficientRights) in outcomes
    assert ("err", IpcError.InvalidCapability) in outcomes


def test_every_fast_path_answers_as_the_rule_while_blocked() -> None:
    ls, h = build()
    # Blocked through the operation interface: a receive with a deadline.
    assert ls.op(sc.Receive(h["block_on"], 5)) == BLOCKED
    for state in ("waiting", "woken"):
        outcomes = [ls.check(case) for case in all_cases(h) + blocking_cases(h)]
        assert ("err", IpcError.ProcessBlocked) in outcomes, state
        assert ("ok", None) not in outcomes, state
        ls.op(sc.AdvanceClock(5))  # the deadline: woken, not yet resumed
    assert isinstance(ls.op(sc.Resume()), Err)  # the receive's Timeout
    outcomes = [ls.check(case) for case in all_cases(h)]
    assert ("ok", None) in outcomes  # running again: the fast paths admit


@given(st.integers(0, 2**64 - 1))
def test_fast_paths_agree_with_the_rule_through_status_changes(seed: int) -> None:
    rnd = random.Random(seed)
    ls, h = build()
    cases = all_cases(h)
    blocked = False
    for _ in range(40):
        if rnd.random() < 0.15:
            if not blocked:
                ls.op(sc.Receive(h["block_on"], rnd.choice([None, 1, 3])))
                blocked = True
            elif rnd.random() < 0.5:
                ls.op(sc.AdvanceClock(rnd.randint(0, 3)))
            else:
                if ls.op(sc.Resume()) != Err(IpcError.WouldBlock):
                    blocked = False
            continue
        ls.check(rnd.choice(cases))
