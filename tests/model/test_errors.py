"""The facade's errors: one ``IpcException`` subclass per ``IpcError``.

Each class is the one raised for its error (by ``exception_for``, by
``IpcException(error)``, and by the facade's calls), ``except IpcException``
still catches every one, and the classes match the enum exactly.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

import veridian_ipc.model as model
from veridian_ipc.model import (
    InsufficientRights,
    InvalidCapability,
    IpcException,
    MessageTooLarge,
    NameInUse,
    OutOfBounds,
    PortClosed,
    PortFull,
    PortNotFound,
    System,
    Timeout,
    TypeMismatch,
    WouldBlock,
    exception_for,
)
from veridian_ipc.model.api_handles import check_result
from veridian_ipc.model.errors import ERROR_CLASSES, check_classes
from veridian_ipc.vocabulary.errors import IpcError
from veridian_ipc.vocabulary.results import Err
from veridian_ipc.vocabulary.rights import SEND


def test_one_class_per_error_named_after_it() -> None:
    assert set(ERROR_CLASSES) == set(IpcError)
    for error, cls in ERROR_CLASSES.items():
        assert cls.__name__ == error.name
        assert cls.code is error
        assert issubclass(cls, IpcException)
        assert getattr(model, error.name) is cls  # exported
        assert error.name in model.__all__


def test_the_check_refuses_a_missing_or_misnamed_class() -> None:
    check_classes(ERROR_CLASSES)  # the real table passes
    missing = dict(ERROR_CLASSES)
    del missing[IpcError.Timeout]
    with pytest.raises(ImportError, match="Timeout"):
        check_classes(missing)
    misnamed = dict(ERROR_CLASSES)
    misnamed[IpcError.Timeout] = WouldBlock
    with pytest.raises(ImportError, match="WouldBlock"):
        check_classes(misnamed)


@pytest.mark.parametrize("error", list(IpcError))
def test_each_error_is_raised_as_its_class(error: IpcError) -> None:
    cls = ERROR_CLASSES[error]
    for made in (
        exception_for(error, "what"),
        IpcException(error, "what"),
        cls("what"),
        cls(error, "what"),
    ):
        assert type(made) is cls
        assert made.error is error
        assert str(made) == f"{error.name}: what"
    with pytest.raises(cls) as e:
        check_result(Err(error), "call")
    assert e.value.error is error
    with pytest.raises(IpcException):  # the base class still catches it
        check_result(Err(error))
    back = pickle.loads(pickle.dumps(exception_for(error, "x")))
    assert type(back) is cls
    assert back.error is error
    assert str(back) == f"{error.name}: x"


def test_a_class_refuses_another_error() -> None:
    with pytest.raises(ValueError, match="WouldBlock is not Timeout"):
        WouldBlock(IpcError.Timeout)
    with pytest.raises(TypeError, match="needs an IpcError"):
        IpcException("no error")


def raised(call: Callable[[], object]) -> type[BaseException] | None:
    """The class of the exception ``call`` raises (None if it returns)."""
    try:
        call()
    except IpcException as e:
        return type(e)
    return None


def test_the_facade_raises_the_class_of_each_error() -> None:
    sys = System(clock="logical")
    owner, other = sys.spawn(), sys.spawn()
    port = owner.create_port(capacity=1)
    chan = owner.create_channel(capacity=1, max_message=4)
    assert raised(port.receive_nowait) is WouldBlock
    assert raised(lambda: port.receive(timeout=0)) is WouldBlock
    assert raised(chan.receive_nowait) is WouldBlock
    assert raised(lambda: chan.receive_wait(timeout=0)) is WouldBlock
    assert raised(lambda: port.send_nowait(b"x" * 65)) is MessageTooLarge
    assert raised(lambda: chan.send_nowait(b"x" * 5)) is MessageTooLarge
    port.send_nowait(b"a")
    assert raised(lambda: port.send_nowait(b"b")) is PortFull
    assert raised(lambda: port.send(b"b", timeout=0)) is PortFull
    weak = port.derive(SEND)
    assert raised(weak.receive_nowait) is InsufficientRights
    port.bind("p")
    assert raised(lambda: port.bind("p")) is NameInUse
    assert raised(lambda: other.namespace.lookup("q")) is PortNotFound
    assert raised(lambda: other.namespace.connect("p", 7)) is TypeMismatch
    with owner.create_buffer(8).map() as m:
        assert raised(lambda: m.view(4, 8)) is OutOfBounds
    assert port.receive_nowait().data == b"a"
    assert raised(lambda: port.receive(timeout=0)) is WouldBlock
    port.close()
    assert raised(port.receive_nowait) is PortClosed
    chan.close()
    assert raised(chan.receive_nowait) is PortClosed
    weak.drop()
    assert raised(weak.receive_nowait) is InvalidCapability
    assert raised(lambda: weak.send_nowait(b"")) is InvalidCapability


def test_a_wait_that_ends_raises_timeout() -> None:
    sys = System()
    p = sys.spawn()
    port = p.create_port()
    chan = p.create_channel()
    with pytest.raises(Timeout):
        port.receive(timeout=0.01)
    with pytest.raises(Timeout):
        chan.receive_wait(timeout=0.01)
    assert not issubclass(Timeout, WouldBlock)  # ``except WouldBlock`` misses it
