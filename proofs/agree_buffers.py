"""The buffer encoding's side of the faithfulness check (``faithful``).

``buffer_state`` projects one buffer into the buffer encoding
(``enc_buffers``). A read or write through a mapping is the encoding's
``read`` or ``write`` on the mapped buffer; what a read returned is compared
with the encoding's contents.
"""

from __future__ import annotations

from veridian_ipc.spec import KernelState, Ok
from veridian_ipc.spec.state import Buffer
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.names import MapId, Pid

from ._smt import BoolVal, IntVal, int_array
from .enc_buffers import SYSTEM
from .faithful import Instance, Part, Step, differences, pairs
from .induction import State


def buffer_state(buf: Buffer, max_io: int) -> State:
    """The buffer encoding's view of one buffer."""
    return {
        "size": IntVal(buf.size),
        "max_io": IntVal(max_io),
        "contents": int_array(0, {int(o): b for o, b in buf.contents.items()}),
    }


def instances(
    before: KernelState, pid: int, op: object, after: KernelState, result: object
) -> list[Instance]:
    """The buffer a read or write goes to, through the caller's mapping."""
    if not isinstance(op, sc.ReadBuffer | sc.WriteBuffer):
        return []
    m = before.processes[Pid(pid)].mappings.get(MapId(op.mapping))
    if m is None:
        return []
    buf = before.objects[m.buf]
    assert isinstance(buf, Buffer)
    pre = buffer_state(buf, before.config.max_io)
    step: Step
    if isinstance(op, sc.WriteBuffer):
        data = int_array(0, dict(enumerate(op.data)))
        step = (
            "write",
            {
                "offset": IntVal(op.offset),
                "n": IntVal(len(op.data)),
                "data": data,
                "writable": BoolVal(m.writable),
            },
        )
    else:
        step = ("read", {"offset": IntVal(op.offset), "length": IntVal(op.length)})

    def compare(post: State) -> list[str]:
        buf2 = after.objects[m.buf]
        assert isinstance(buf2, Buffer)
        want = buffer_state(buf2, before.config.max_io)
        span = range(-2, buf.size + 3)
        compared = pairs("contents", post["contents"], want["contents"], span)
        if isinstance(op, sc.ReadBuffer) and isinstance(result, Ok):
            compared += [
                (f"read[{i}]", pre["contents"][op.offset + i], IntVal(b))
                for i, b in enumerate(result.value)
            ]
        return differences(compared)

    return [Instance(f"buffer {m.buf}", pre, [step], compare)]


def project(s: KernelState) -> list[tuple[str, State]]:
    """Every buffer of ``s``, projected."""
    return [
        (f"buffer {obj}", buffer_state(buf, s.config.max_io))
        for obj, buf in s.objects.items()
        if isinstance(buf, Buffer)
    ]


#: The buffer encoding's part of the faithfulness check.
PART = Part("buffer", SYSTEM, instances, project)
