"""Where the walkthrough lives: the repository root, its ``greeter/`` messages and module.yaml."""

from __future__ import annotations

import importlib
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from statefun._loader import outdated_generated_code
from statefun.errors import RepositoryNotFoundError
from statefun.local.module_yaml import ModuleSpec, parse_module

__all__ = ["messages", "module_spec", "repo_root"]


@cache
def repo_root() -> Path:
    """The StateFun Lab checkout the exercises read (it holds ``greeter/greeter.py`` and
    ``module.yaml``): the one this package runs from, else the current folder or one above it.

    The second is where an installed (not editable) package finds the walkthrough: the
    browser edition's wheel, whose files sit under ``/drive`` where the notebooks' setup cell
    moves to.
    """
    here = Path(__file__).resolve()
    cwd = Path.cwd()
    for parent in [*here.parents, cwd, *cwd.parents]:
        if (parent / "greeter" / "greeter.py").is_file() and (parent / "module.yaml").is_file():
            return parent
    raise RepositoryNotFoundError(
        "the exercises need the StateFun Lab repository (greeter/ and module.yaml), but "
        f"neither {here} nor the current folder {cwd} is inside one. Run the notebooks from "
        "the repository (their first cell moves there), or install it in editable mode: "
        "`python -m pip install -e '.[dev]'` from its root."
    )


def messages(root: Path | None = None) -> ModuleType:
    """The walkthrough's ``messages_pb2``, imported as the notebooks import it (top level).

    Importing the same ``.proto`` under two module names would register it twice in the
    protobuf descriptor pool, so ``greeter/`` goes on ``sys.path`` as in the notebooks.
    ``root`` is the checkout that holds ``greeter/`` (default: :func:`repo_root`).
    """
    if "messages_pb2" not in sys.modules:
        greeter = str((root or repo_root()) / "greeter")
        if greeter not in sys.path:
            sys.path.insert(0, greeter)
    try:
        return importlib.import_module("messages_pb2")
    except TypeError as e:  # protobuf refusing old generated code: say how to regenerate it
        importer = (root or repo_root()) / "greeter" / "greeter.py"
        outdated = outdated_generated_code(e, importer=str(importer))
        if outdated is None:
            raise
        raise outdated from None


def module_spec(name: str = "module.yaml") -> ModuleSpec:
    """A module file of the repository root, parsed; errors name it relative to the root."""
    return parse_module((repo_root() / name).read_text(encoding="utf-8"), path=name)
