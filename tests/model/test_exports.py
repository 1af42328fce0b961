"""``veridian_ipc.model.__all__`` names the public API on purpose.

Every name in it exists, and every public class of the facade's modules (and
the kernel's entry point) is exported, or listed here as deliberately private.
"""

from __future__ import annotations

import importlib
import inspect
import types

import veridian_ipc.model as model

#: The modules whose classes a user of the model meets.
FACADE_MODULES = (
    "veridian_ipc.model.api",
    "veridian_ipc.model.api_handles",
    "veridian_ipc.model.api_ports",
    "veridian_ipc.model.api_channels",
    "veridian_ipc.model.errors",
    "veridian_ipc.model.kernel",
)

#: Public classes of those modules that are not the API, and why.
PRIVATE: dict[str, str] = {}


def unexported(module: types.ModuleType, exported: object) -> list[str]:
    """The public classes defined in ``module`` that ``exported`` (a package)
    does not export under their own name, nor ``PRIVATE`` lists."""
    names = set(getattr(exported, "__all__", ()))
    return sorted(
        name
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and not name.startswith("_")
        and name not in PRIVATE
        and (name not in names or getattr(exported, name, None) is not obj)
    )


def test_every_exported_name_exists() -> None:
    assert len(model.__all__) == len(set(model.__all__))
    for name in model.__all__:
        assert hasattr(model, name), name


def test_every_public_facade_class_is_exported() -> None:
    for name in FACADE_MODULES:
        assert unexported(importlib.import_module(name), model) == [], name


def test_an_unexported_class_is_found() -> None:
    fake = types.ModuleType("fake")

    class Forgotten:
        pass

    class _Private:
        pass

    Forgotten.__module__ = _Private.__module__ = "fake"
    vars(fake).update(Forgotten=Forgotten, _Private=_Private, System=model.System)
    assert unexported(fake, model) == ["Forgotten"]
    # exported under the name, but another object: still not exported
    impostor = types.ModuleType("impostor")

    class System:
        pass

    System.__module__ = "impostor"
    vars(impostor).update(System=System)
    assert unexported(impostor, model) == ["System"]
