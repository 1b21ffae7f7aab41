"""Where the exercises find the walkthrough: above the package, else from the current folder.

An installed (not editable) package, like the browser edition's wheel, lives away from the
walkthrough's files; the notebooks' setup cell moves to the folder that holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from statefun.exercises import Status, _repo, check_step_4

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``_repo`` as if installed in a site-packages outside any checkout."""
    site = tmp_path / "site-packages" / "statefun" / "exercises" / "_repo.py"
    monkeypatch.setattr(_repo, "__file__", str(site))
    _repo.repo_root.cache_clear()
    yield tmp_path
    _repo.repo_root.cache_clear()


def _walkthrough(root: Path) -> Path:
    (root / "greeter").mkdir(parents=True)
    (root / "greeter" / "greeter.py").write_text("")
    (root / "module.yaml").write_text("")
    (root / "notebooks" / "en").mkdir(parents=True)
    return root


def test_an_installed_package_finds_the_walkthrough_above_the_current_folder(
    installed_elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive = _walkthrough(installed_elsewhere / "drive")
    monkeypatch.chdir(drive / "notebooks" / "en")
    assert _repo.repo_root() == drive


def test_the_checkout_the_package_runs_from_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_walkthrough(tmp_path / "other"))
    _repo.repo_root.cache_clear()
    try:
        assert _repo.repo_root() == REPO
    finally:
        _repo.repo_root.cache_clear()


def test_no_walkthrough_anywhere_says_where_it_looked(
    installed_elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = installed_elsewhere / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with pytest.raises(RuntimeError, match=r"the current folder .*empty is inside one"):
        _repo.repo_root()


def test_the_checker_runs_on_the_walkthrough_found_from_the_current_folder(
    installed_elsewhere: Path, monkeypatch: pytest.MonkeyPatch, solution: Callable[[int], Any]
) -> None:
    greet = solution(4)
    monkeypatch.chdir(REPO / "notebooks" / "en")  # as the setup cell leaves a notebook
    result = check_step_4(greet)
    assert result.status is Status.CORRECT, result
    assert _repo.repo_root() == REPO
