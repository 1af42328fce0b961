"""The model's blocked senders (model/blocking.py, PORT-SEND-BLOCK): the
kernel's bookkeeping empties as every wait ends, whichever way it ends, so
nothing is left behind (no sender record, no deadline, no object in the
table of objects with senders). The results themselves are compared with the
spec's in tests/spec/test_blocking.py."""

from __future__ import annotations

from veridian_ipc.model.kernel import Kernel
from veridian_ipc.spec import IpcError
from veridian_ipc.vocabulary import syscalls as sc
from veridian_ipc.vocabulary.results import BLOCKED, Err, Ok
from veridian_ipc.vocabulary.rights import GRANT, SEND


def _full(k: Kernel) -> None:
    for pid, op in (
        (1, sc.CreatePort(1)),
        (1, sc.Bind(1, "p", 0, SEND | GRANT)),
        (2, sc.Lookup("p")),
        (3, sc.Lookup("p")),
        (1, sc.Send(1, 0, 0, b"0")),
    ):
        assert not isinstance(k.apply(pid, op), Err), op


def _empty(k: Kernel) -> bool:
    st = k.state
    return (
        not st.sending
        and not st.timed
        and all(o.senders is None for o in st.objects.values())
    )


def test_bookkeeping_empties_after_service_timeout_close_and_kill() -> None:
    k = Kernel(4)
    _full(k)
    assert k.apply(2, sc.Send(1, 0, 0, b"a", (), 2)) == Ok(BLOCKED)
    assert k.apply(3, sc.Send(1, 0, 0, b"b", (), None)) == Ok(BLOCKED)
    assert not _empty(k)
    k.apply(0, sc.AdvanceClock(2))  # pid 2 times out
    assert k.apply(2, sc.Resume()) == Err(IpcError.Timeout)
    k.apply(1, sc.Receive(1))  # pid 3 is served
    assert k.apply(3, sc.Resume()) == Ok(None)
    assert _empty(k)
    assert k.apply(2, sc.Send(1, 0, 0, b"c", (), 5)) == Ok(BLOCKED)
    k.apply(0, sc.Kill(2))
    assert _empty(k)
    assert k.apply(3, sc.Send(1, 0, 0, b"d", (), 5)) == Ok(BLOCKED)
    k.apply(1, sc.Close(1))
    assert k.apply(3, sc.Resume()) == Err(IpcError.PortClosed)
    assert _empty(k)
