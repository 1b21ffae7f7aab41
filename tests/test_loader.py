"""statefun._loader: the Python file of functions that ``statefun-lab run/check`` import."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from statefun._loader import FunctionFileError, load_function_file


@pytest.fixture(autouse=True)
def _restore_sys_path() -> Iterator[None]:
    """The loader puts a loaded file's directory on sys.path; tests leave it as it was."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved


def test_a_file_with_several_registries_needs_a_variable(tmp_path: Path) -> None:
    path = tmp_path / "several_registries.py"
    path.write_text(
        "from statefun import StatefulFunctions\n"
        "a = StatefulFunctions()\nb = StatefulFunctions()\nsame_as_a = a\n",
        encoding="utf-8",
    )

    with pytest.raises(FunctionFileError, match=r"several StatefulFunctions \(a, b\)"):
        load_function_file(str(path))
    assert "several_registries" not in sys.modules
    assert str(tmp_path) not in sys.path

    loaded = load_function_file(f"{path}:b")
    assert loaded.variable == "b" and loaded.functions is loaded.module.b


def test_a_file_without_a_registry_is_an_error_and_is_not_left_imported(tmp_path: Path) -> None:
    path = tmp_path / "no_registry_here.py"
    path.write_text("x = 1\n", encoding="utf-8")

    with pytest.raises(FunctionFileError, match="defines no StatefulFunctions"):
        load_function_file(str(path))
    assert "no_registry_here" not in sys.modules
    assert str(tmp_path) not in sys.path
    assert load_function_file(str(path), require_functions=False).functions is None
