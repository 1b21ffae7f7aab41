"""The examples in the package's docstrings run, and print what they show.

Each module whose source holds a ``>>>`` example is imported and run with :mod:`doctest` here,
at test time, so collecting the suite imports no optional dependency (Flask, ipywidgets, ...).
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import statefun

PACKAGE = Path(statefun.__file__).resolve().parent


def modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_pb2.py") or ">>> " not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("name", modules_with_examples())
def test_the_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name}: its '>>> ' is not a docstring example"
    assert result.failed == 0


def test_the_examples_are_found() -> None:
    found = modules_with_examples()
    for expected in ("statefun.core", "statefun.local.clock", "statefun.local.transport"):
        assert expected in found
