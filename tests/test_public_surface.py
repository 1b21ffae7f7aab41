"""Every public module lists exactly its public names in ``__all__``, each with a docstring.

As httpx's ``test_exported_members``: a class or function defined in a module without a leading
underscore is public, so ``__all__`` must list it (or it must be renamed ``_name``), and every
name ``__all__`` lists must exist. Private modules (``_loader``, ``exercises._harness``) and the
generated ``_pb2`` modules are not checked.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import statefun


def public_modules() -> list[str]:
    names = ["statefun"]
    for info in pkgutil.walk_packages(statefun.__path__, "statefun."):
        parts = info.name.split(".")[1:]
        if info.name.endswith("_pb2") or any(part.startswith("_") for part in parts):
            continue
        names.append(info.name)
    return sorted(names)


def defined_here(module: ModuleType) -> set[str]:
    """The public classes and functions that ``module`` itself defines."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == module.__name__
    }


@pytest.mark.parametrize("name", public_modules())
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    missing = sorted(n for n in exported if not hasattr(module, n))
    assert not missing, f"{name}.__all__ names what the module does not have: {missing}"
    leaked = sorted(defined_here(module) - set(exported))
    assert not leaked, f"{name} defines public names not in __all__ (add or underscore): {leaked}"


@pytest.mark.parametrize("name", public_modules())
def test_every_exported_class_and_function_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    undocumented = sorted(
        n
        for n in module.__all__
        if (inspect.isclass(getattr(module, n)) or inspect.isfunction(getattr(module, n)))
        and not inspect.getdoc(getattr(module, n))
    )
    assert not undocumented, f"{name}: no docstring on {undocumented}"


def test_the_modules_are_found() -> None:
    modules = public_modules()
    for expected in (
        "statefun.core",
        "statefun.local.runtime",
        "statefun.local.routing",
        "statefun.flink.jars",
        "statefun.cli",
        "statefun.cli.parser",
        "statefun.cli.run",
    ):
        assert expected in modules
    assert "statefun.exercises._harness" not in modules
    assert "statefun.cli.__main__" not in modules  # (importing it runs the command line)
    # A package whose modules are all private: only the package itself is public.
    assert "statefun.local.module_yaml" in modules
    assert not [m for m in modules if m.startswith("statefun.local.module_yaml.")]


def test_a_package_of_private_modules_still_pins_its_names() -> None:
    """``module_yaml``'s names are defined in its private modules, and say they are its own (as
    httpx's do), so the test above checks them: none is public without being in ``__all__``."""
    import statefun.local.module_yaml as module_yaml

    assert defined_here(module_yaml) == {
        name
        for name in module_yaml.__all__
        if inspect.isclass(getattr(module_yaml, name))
        or inspect.isfunction(getattr(module_yaml, name))
    }
