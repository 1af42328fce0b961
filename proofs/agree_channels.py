"""The channel encoding's side of the faithfulness check (``faithful``).

``ring_state`` projects one ring into the channel encoding (``enc_channels``),
its slots as message tokens and its ghost history as what it holds.
``ring_steps`` maps a spec step to the encoding's transitions on one ring (a
send or batch send, a receive or batch receive, a close); what a receive
returned is compared with the encoding's ``got``. Every ring is checked.
"""

from __future__ import annotations

from functools import partial

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import Channel, Kind
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.rights import MANAGE, RECEIVE, SEND

from ._smt import BoolVal, IntVal, int_array
from .enc_channels import SYSTEM
from .faithful import (
    Instance,
    Pair,
    Part,
    Step,
    Tokens,
    blocked,
    differences,
    object_of,
    pairs,
    served,
)
from .induction import State


def ring_state(ring: Channel, tokens: Tokens) -> State:
    """The channel encoding's view of one ring (ghost history: what it holds)."""
    cap = ring.capacity
    slots = {x: tokens.of(d) for x, d in enumerate(ring.slots) if d is not None}
    hist = {
        i: tokens.of(ring.slots[i % cap]) for i in range(ring.read_idx, ring.write_idx)
    }
    return {
        "cap": IntVal(cap),
        "maxm": IntVal(ring.max_message),
        "closed": BoolVal(ring.closed),
        "r": IntVal(ring.read_idx),
        "w": IntVal(ring.write_idx),
        "ph": IntVal(ring.read_idx % cap),
        "wp": IntVal(ring.write_idx % cap),
        "slots": int_array(0, slots),
        "ssz": int_array(
            0, {x: len(d) for x, d in enumerate(ring.slots) if d is not None}
        ),
        "hist": int_array(0, hist),
        "got": int_array(0, {}),
        "ngot": IntVal(ring.read_idx),
    }


def _send(tokens: Tokens, items: tuple[bytes, ...], name: str = "send") -> Step:
    arr = int_array(0, {j: tokens.of(d) for j, d in enumerate(items)})
    sizes = int_array(0, {j: len(d) for j, d in enumerate(items)})
    return (name, {"k": IntVal(len(items)), "items": arr, "sizes": sizes})


def ring_steps(
    s: KernelState,
    pid: int,
    op: object,
    obj: int,
    tokens: Tokens,
    blocks: bool = False,
) -> list[Step]:
    """The channel encoding's steps on ring ``obj`` for one spec step
    (``blocks``: the send blocked, CHAN-SEND-BLOCK, a pending admission)."""
    if isinstance(op, sc.ChannelSend | sc.ChannelSendBatch):
        if object_of(s, pid, op.handle, Kind.CHANNEL, SEND) == obj:
            items = (op.data,) if isinstance(op, sc.ChannelSend) else op.items
            return [_send(tokens, items, "block" if blocks else "send")]
    elif isinstance(op, sc.ChannelReceive | sc.ChannelReceiveBatch):
        if object_of(s, pid, op.handle, Kind.CHANNEL, RECEIVE) == obj:
            mc = 1 if isinstance(op, sc.ChannelReceive) else op.max_count
            return [("receive", {"max_count": IntVal(mc)})]
    elif (
        isinstance(op, sc.Close)
        and object_of(s, pid, op.handle, Kind.CHANNEL, MANAGE) == obj
    ):
        return [("close", {})]
    return []


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """Every ring, and the steps ``op`` maps to on it."""
    out: list[Instance] = []
    for obj, ring in before.objects.items():
        if not isinstance(ring, Channel) or obj not in after.objects:
            continue  # a reclaimed ring leaves the encoding (CAP-RECLAIM)
        tokens = Tokens()
        blocks = blocked(op, result, after, pid, int(obj))
        steps = ring_steps(before, pid, op, int(obj), tokens, blocks)
        # each blocked send the step served (a slot freed), FIFO: a send now
        for _, send in served(before, int(obj), after):
            assert isinstance(send, sc.ChannelSend)
            steps.append(_send(tokens, (send.data,)))
        received: tuple[bytes, ...] | None = None
        if steps and steps[0][0] == "receive" and isinstance(result, Ok):
            got = result.value
            received = got if isinstance(got, tuple) else (got,)
        compare = partial(_compare, ring, after.objects[obj], tokens, received)
        out.append(Instance(f"channel {obj}", ring_state(ring, tokens), steps, compare))
    return out


def project(s: KernelState) -> list[tuple[str, State]]:
    """Every ring of ``s``, projected."""
    return [
        (f"channel {obj}", ring_state(ring, Tokens()))
        for obj, ring in s.objects.items()
        if isinstance(ring, Channel)
    ]


def _compare(
    ring: object,
    ring2: object,
    tokens: Tokens,
    received: tuple[bytes, ...] | None,
    post: State,
) -> list[str]:
    """The abstract ring against the spec's, and what a receive returned."""
    assert isinstance(ring, Channel)
    assert isinstance(ring2, Channel)
    want = ring_state(ring2, tokens)
    compared: list[Pair] = [
        (f, post[f], want[f]) for f in ("cap", "maxm", "closed", "r", "w", "ph", "wp")
    ]
    held = [x for x, d in enumerate(ring2.slots) if d is not None]
    compared += pairs("slots", post["slots"], want["slots"], range(ring.capacity))
    compared += pairs("ssz", post["ssz"], want["ssz"], held)
    if received is not None:  # a receive: what it returned, in order
        base = ring.read_idx
        compared += [
            (f"received[{j}]", post["got"][base + j], IntVal(tokens.of(d)))
            for j, d in enumerate(received)
        ]
        compared.append(("count", post["ngot"], IntVal(base + len(received))))
    return differences(compared)


#: The channel encoding's part of the faithfulness check.
PART = Part("channel", SYSTEM, instances, project)
