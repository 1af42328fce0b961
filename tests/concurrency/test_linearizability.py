"""The linearizability checker on small synthetic histories.

Each history is written by hand with explicit invocation and response times,
so the expected verdict follows from the definition: accepted histories have a
real-time-consistent order the spec accepts, rejected ones have none.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veridian_ipc.conformance.linearizability import (
    Call,
    Expire,
    Recorder,
    Report,
    StepOp,
    Verdict,
    apply_step,
    blocking_receive,
    check,
    decode_history,
    encode_history,
)
from veridian_ipc.conformance.wire import WireError
from veridian_ipc.spec import (
    BLOCKED,
    CapInfo,
    Delivered,
    Err,
    IpcError,
    Ok,
    Result,
    initial_state,
    step,
)
from veridian_ipc.spec.state import KernelState, Waiting
from veridian_ipc.vocabulary.names import Pid
from veridian_ipc.vocabulary.syscalls import (
    Bind,
    ChannelReceive,
    ChannelSend,
    Close,
    CreateChannel,
    CreatePort,
    Inspect,
    Lookup,
    Operation,
    Receive,
    Resume,
    Send,
)

NONE: Result = Ok(None)
WOULD_BLOCK: Result = Err(IpcError.WouldBlock)
CLOSED: Result = Err(IpcError.PortClosed)
TIMEOUT: Result = Err(IpcError.Timeout)


def shared_port(processes: int = 3, capacity: int = 4) -> KernelState:
    """Every process holds handle 1 to one port (created by pid 1)."""
    s = initial_state(processes)
    s, r = step(s, 1, CreatePort(capacity))
    assert r == Ok(1)
    s, r = step(s, 1, Bind(1, "p", 0, 15))
    assert r == NONE
    for pid in range(2, processes + 1):
        s, r = step(s, pid, Lookup("p"))
        assert r == Ok(1)
    return s


def got(sender: int, data: bytes) -> Result:
    return Ok(Delivered(sender, 0, 0, data, ()))


def send(pid: int, data: bytes, t0: int, t1: int, result: Result = NONE) -> Call:
    return Call(pid, (Send(1, 0, 0, data),), result, t0, t1)


def try_recv(pid: int, result: Result, t0: int, t1: int) -> Call:
    return Call(pid, (Receive(1, 0),), result, t0, t1)


def recv(pid: int, result: Result, t0: int, t1: int) -> Call:
    return Call(pid, blocking_receive(1, result), result, t0, t1)


def verdict(calls: list[Call], s: KernelState | None = None, **kw: int) -> Report:
    return check(calls, shared_port() if s is None else s, **kw)


def replay(report: Report, s: KernelState) -> None:
    """The witness is a run of the spec with the recorded results, every call's
    steps in order and inside its interval, and every returned call complete."""
    order = [p.call for p in report.witness]
    for p in report.witness:
        s, r = apply_step(s, report.calls[p.call].pid, p.op)
        assert r == p.result
    done: dict[int, Result] = {}
    for p in report.witness:
        done[p.call] = p.result
    for i, c in enumerate(report.calls):
        if c.responded is not None:
            assert done.get(i) == c.result, f"call #{i} not complete in the witness"
    # Real time: a call placed later never returned before an earlier one began.
    last_pos = {i: max(k for k, j in enumerate(order) if j == i) for i in set(order)}
    first_pos = {i: order.index(i) for i in set(order)}
    for a in set(order):
        for b in set(order):
            ca, cb = report.calls[a], report.calls[b]
            if ca.responded is not None and ca.responded < cb.invoked:
                assert last_pos[a] < first_pos[b]


# -- accepted ----------------------------------------------------------------------


def test_concurrent_sends_then_receives_in_either_order() -> None:
    calls = [
        send(2, b"a", 0, 10),
        send(3, b"b", 1, 9),
        try_recv(1, got(3, b"b"), 20, 30),
        try_recv(1, got(2, b"a"), 31, 40),
    ]
    report = verdict(calls)
    assert report.verdict is Verdict.LINEARIZABLE, report.describe()
    replay(report, shared_port())
    assert [p.call for p in report.witness] == [1, 0, 2, 3]


def test_overlapping_receive_may_miss_a_concurrent_send() -> None:
    calls = [send(2, b"a", 0, 10), try_recv(3, WOULD_BLOCK, 5, 6)]
    report = verdict(calls)
    assert report.ok, report.describe()
    assert [p.call for p in report.witness] == [1, 0]


def test_blocking_receive_is_handed_the_message_inside_the_send() -> None:
    # The receiver blocks first; the send (invoked later) wakes it.
    calls = [recv(3, got(2, b"a"), 0, 50), send(2, b"a", 20, 30)]
    report = verdict(calls)
    assert report.ok, report.describe()
    assert [(p.call, type(p.op).__name__) for p in report.witness] == [
        (0, "Receive"),
        (1, "Send"),
        (0, "Resume"),
    ]
    replay(report, shared_port())


def test_blocking_receive_that_found_a_message_does_not_block() -> None:
    calls = [send(2, b"a", 0, 5), recv(3, got(2, b"a"), 10, 20)]
    report = verdict(calls)
    assert report.ok, report.describe()
    assert len(report.witness) == 2  # no Resume: the Receive returned the message


def test_close_wakes_a_blocked_receiver_and_a_racing_send_fails() -> None:
    calls = [
        recv(3, CLOSED, 0, 50),
        Call(1, (Close(1),), Ok(0), 10, 20),
        send(2, b"a", 12, 18, CLOSED),
    ]
    report = verdict(calls)
    assert report.ok, report.describe()
    replay(report, shared_port())


def test_timed_out_receive_expires_inside_its_interval() -> None:
    calls = [recv(3, TIMEOUT, 0, 100), send(2, b"a", 200, 210)]
    report = verdict(calls)
    assert report.ok, report.describe()
    assert any(isinstance(p.op, Expire) for p in report.witness)
    replay(report, shared_port())


def test_a_send_racing_a_timeout_may_queue_after_the_expiry() -> None:
    calls = [
        recv(3, TIMEOUT, 0, 100),
        send(2, b"a", 50, 60),
        try_recv(1, got(2, b"a"), 150, 160),
    ]
    assert verdict(calls).ok


def test_pending_calls_may_or_may_not_have_taken_effect() -> None:
    pending_send = Call(2, (Send(1, 0, 0, b"a"),), None, 0, None)
    with_effect = [pending_send, try_recv(3, got(2, b"a"), 10, 20)]
    without = [pending_send, try_recv(3, WOULD_BLOCK, 10, 20)]
    assert verdict(with_effect).ok
    assert verdict(without).ok
    still_waiting = [Call(3, blocking_receive(1, None), None, 0, None)]
    assert verdict(still_waiting).ok
    # A waiting receive that never returned, with a deadline: it may have
    # timed out (Expire), so a message sent later may have been queued.
    timed = Call(3, blocking_receive(1, None, timed=True), None, 0, None)
    assert Expire() in timed.ops
    later = [send(2, b"a", 10, 20), try_recv(1, got(2, b"a"), 30, 40)]
    assert verdict([timed, *later]).ok


def test_channel_history() -> None:
    s = initial_state(2)
    s, r = step(s, 1, CreateChannel(2, 8))
    assert r == Ok(1)
    calls = [
        Call(1, (ChannelSend(1, b"x"),), NONE, 0, 10),
        Call(1, (ChannelSend(1, b"y"),), NONE, 11, 20),
        Call(1, (ChannelSend(1, b"z"),), WOULD_BLOCK, 21, 30),
        Call(1, (ChannelReceive(1),), Ok(b"x"), 31, 40),
    ]
    assert check(calls, s).ok


# -- rejected ----------------------------------------------------------------------


def test_fifo_violation_is_rejected() -> None:
    calls = [
        send(2, b"a", 0, 10),
        send(2, b"b", 11, 20),
        try_recv(3, got(2, b"b"), 30, 40),
        try_recv(3, got(2, b"a"), 41, 50),
    ]
    report = verdict(calls)
    assert report.verdict is Verdict.VIOLATION
    text = report.describe()
    assert "#2" in text, text
    assert "data=b'a'" in text, text
    assert [p.call for p in report.witness] == [0, 1]


def test_message_received_twice_is_rejected() -> None:
    calls = [
        send(2, b"a", 0, 10),
        try_recv(3, got(2, b"a"), 20, 30),
        try_recv(1, got(2, b"a"), 25, 35),
    ]
    report = verdict(calls)
    assert report.verdict is Verdict.VIOLATION
    assert "WouldBlock" in report.describe()


def test_receive_returning_before_the_send_was_invoked_is_rejected() -> None:
    calls = [try_recv(3, got(2, b"a"), 0, 10), send(2, b"a", 20, 30)]
    report = verdict(calls)
    assert report.verdict is Verdict.VIOLATION
    assert report.barrier == 0, report.describe()
    assert "nothing else could be placed before it" in report.describe()


def test_blocking_receive_cannot_return_before_the_send_starts() -> None:
    calls = [recv(3, got(2, b"a"), 0, 10), send(2, b"a", 20, 30)]
    assert verdict(calls).verdict is Verdict.VIOLATION


def test_lost_message_is_rejected() -> None:
    # The send completed while the receiver was blocked, yet the receiver timed
    # out and the queue is empty afterwards: the message vanished.
    calls = [
        recv(3, TIMEOUT, 0, 100),
        send(2, b"a", 10, 20),
        try_recv(1, WOULD_BLOCK, 150, 160),
    ]
    assert verdict(calls).verdict is Verdict.VIOLATION


def test_wrong_sender_is_rejected() -> None:
    calls = [send(2, b"a", 0, 10), try_recv(3, got(1, b"a"), 20, 30)]
    assert verdict(calls).verdict is Verdict.VIOLATION


def test_send_accepted_after_close_is_rejected() -> None:
    calls = [Call(1, (Close(1),), Ok(0), 0, 10), send(2, b"a", 20, 30)]
    assert verdict(calls).verdict is Verdict.VIOLATION


def test_program_order_holds_when_timestamps_touch() -> None:
    # Process 2 sends then receives, the receive invoked at the very tick the
    # send returned; the receive cannot be placed first (it would miss "a").
    calls = [send(2, b"a", 0, 10), try_recv(2, WOULD_BLOCK, 10, 20)]
    assert verdict(calls).verdict is Verdict.VIOLATION
    # Between different processes touching intervals may be taken either way.
    calls = [send(2, b"a", 0, 10), try_recv(3, WOULD_BLOCK, 10, 20)]
    assert verdict(calls).ok


def test_overlapping_calls_of_one_process_are_refused() -> None:
    calls = [send(2, b"a", 0, 10), send(2, b"b", 5, 15)]
    with pytest.raises(ValueError, match="overlapping"):
        verdict(calls)


def test_malformed_calls_are_refused() -> None:
    with pytest.raises(ValueError, match="result"):
        Call(1, (Resume(),), NONE, 0, None)
    with pytest.raises(ValueError, match="after"):
        Call(1, (Resume(),), NONE, 10, 5)
    with pytest.raises(ValueError, match="step"):
        Call(1, (), NONE, 0, 1)


# -- budget ------------------------------------------------------------------------


def _hard_history(senders: int) -> tuple[KernelState, list[Call]]:
    """Many overlapping sends of distinct messages, then a receive of a message
    nobody sent: every interleaving of the sends is a distinct queue, and all
    of them fail only at the end."""
    s = shared_port(processes=senders + 1, capacity=senders)
    calls = [send(p, bytes([p]), 0, 100) for p in range(2, senders + 2)]
    calls.append(try_recv(1, got(2, b"never"), 200, 210))
    return s, calls


def test_node_budget_gives_undecided_not_a_hang() -> None:
    s, calls = _hard_history(8)
    report = check(calls, s, max_nodes=500)
    assert report.verdict is Verdict.UNDECIDED
    assert report.nodes == 500
    assert "budget" in report.describe()


def test_time_budget_gives_undecided() -> None:
    s, calls = _hard_history(9)
    report = check(calls, s, max_seconds=0.0)
    assert report.verdict is Verdict.UNDECIDED
    assert report.budget == "time"


def test_small_hard_history_is_decided_within_budget() -> None:
    s, calls = _hard_history(4)
    report = check(calls, s)
    assert report.verdict is Verdict.VIOLATION
    assert report.nodes > 4 * 3 * 2  # it really explored the interleavings


# -- soundness: histories cut from a real run are always accepted ------------------


@given(st.randoms(use_true_random=False), st.integers(2, 4), st.integers(4, 24))
def test_any_run_of_the_spec_with_intervals_around_it_is_accepted(
    rnd: random.Random, procs: int, length: int
) -> None:
    """Run random operations sequentially on the spec, give each call an interval
    containing its point (intervals of one process do not overlap), shuffle:
    the checker must accept, and its witness must replay."""
    s0 = shared_port(processes=procs, capacity=2)
    s = s0
    free_at = dict.fromkeys(range(1, procs + 1), 0)
    blocked: dict[int, int] = {}  # pid -> invocation time of its blocked receive
    calls: list[Call] = []
    t = 0
    for _ in range(length):
        t += 10
        pid = rnd.randint(1, procs)
        if pid in blocked:
            if isinstance(s.processes[Pid(pid)].status, Waiting):
                continue  # still waiting: its call goes on
            start = blocked.pop(pid)
            s, r = step(s, pid, Resume())
            steps = blocking_receive(1, r)
            calls.append(Call(pid, steps, r, start, t + rnd.randint(0, 9)))
            free_at[pid] = calls[-1].responded or 0
            continue
        choice = rnd.random()
        op: StepOp
        if choice < 0.4:
            op = Send(1, 0, 0, bytes([rnd.randint(0, 3)]))
        elif choice < 0.7:
            op = Receive(1, 0)
        elif choice < 0.95:
            op = Receive(1, None)
        else:
            op = Close(1)
        start = rnd.randint(free_at[pid], t)
        s, r = step(s, pid, op)
        if isinstance(op, Receive) and op.timeout is None:
            if r != Ok(BLOCKED):
                calls.append(Call(pid, blocking_receive(1, r), r, start, t + 1))
                free_at[pid] = t + 1
            else:
                blocked[pid] = start
            continue
        calls.append(Call(pid, (op,), r, start, t + rnd.randint(0, 9)))
        free_at[pid] = calls[-1].responded or 0
    for pid, start in blocked.items():
        calls.append(Call(pid, blocking_receive(1, None), None, start, None))
    rnd.shuffle(calls)
    report = check(calls, s0, max_nodes=200_000)
    assert report.verdict is Verdict.LINEARIZABLE, report.describe()
    replay(report, s0)


def test_recorder_times_calls_around_the_real_call() -> None:
    rec = Recorder()
    s = shared_port()

    def do_send() -> Result:
        nonlocal s
        s, r = step(s, 2, Send(1, 0, 0, b"a"))
        return r

    assert rec.call(2, (Send(1, 0, 0, b"a"),), do_send, thread="t2") == NONE
    with pytest.raises(RuntimeError):
        rec.call(3, (Receive(1, 0),), _boom)
    calls = rec.history()
    assert [c.result for c in calls] == [NONE, None]
    assert calls[0].invoked <= (calls[0].responded or 0) <= calls[1].invoked
    assert check(calls, shared_port()).ok


def _boom() -> Result:
    raise RuntimeError("the implementation crashed")


# -- history files -------------------------------------------------------------------


SETUP: tuple[tuple[int, Operation], ...] = (
    (1, CreatePort(4)),
    (1, Bind(1, "p", 0, 15)),
    (2, Lookup("p")),
    (3, Lookup("p")),
)


def test_history_round_trips_through_json() -> None:
    calls = [
        recv(3, TIMEOUT, 0, 100),
        recv(1, got(2, b"\x00\xff"), 0, 300),
        send(2, b"\x00\xff", 150, 160),
        Call(2, (Inspect(1),), Ok(CapInfo("port", 0x0F)), 170, 180, "t"),
        Call(3, (Receive(1, 0),), None, 200, None),
    ]
    data = json.loads(json.dumps(encode_history(calls, 3, None, SETUP)))
    back, s = decode_history(data)
    assert back == calls
    assert s == shared_port()
    assert check(back, s).ok


def test_bad_history_data_is_refused() -> None:
    good = encode_history([send(2, b"a", 0, 1)], 3, None, SETUP)
    with pytest.raises(WireError):
        decode_history({**good, "version": 99})
    bad_result = {**good, "calls": [{**good["calls"][0], "result": {"error": "Nope"}}]}
    with pytest.raises(WireError):
        decode_history(bad_result)
    with pytest.raises(WireError):
        decode_history({**good, "calls": [{"pid": 1}]})


@pytest.mark.parametrize(
    ("calls", "status", "verdict"),
    [
        ([send(2, b"a", 0, 10), try_recv(3, got(2, b"a"), 20, 30)], 0, "linearizable"),
        ([try_recv(3, got(2, b"a"), 0, 10), send(2, b"a", 20, 30)], 1, "not linear"),
    ],
)
def test_module_checks_a_history_file(
    tmp_path: Path, calls: list[Call], status: int, verdict: str
) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(encode_history(calls, 3, None, SETUP)))
    proc = subprocess.run(
        [sys.executable, "-m", "veridian_ipc.conformance.linearizability", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.startswith(verdict)
