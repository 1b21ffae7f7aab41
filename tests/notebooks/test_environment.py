"""The first notebook's environment self-check."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pytest

import statefun
from statefun.exercises import _repo, check_environment
from statefun.exercises.environment import EnvironmentReport, Finding
from statefun.workshop import copy_notebooks

REPO = Path(__file__).resolve().parents[2]
_CONTEXT = metadata.DistributionFinder.Context()


def test_this_environment_is_ready() -> None:
    report = check_environment()
    assert report.ok, str(report)
    assert report.summary == "all good: the environment is ready for the StateFun Lab notebooks."
    assert [f.what for f in report.findings] == [
        "Python",
        "statefun-lab",
        "protobuf",
        "ipywidgets",
        "JupyterLab",
        "kernel",
        "walkthrough",
    ]


def test_problems_come_with_their_fix() -> None:
    report = EnvironmentReport(
        [
            Finding("Python", "3.11.7", True),
            Finding("protobuf", "3.20.3, backend python", False, "pip install -e '.[dev]'"),
        ]
    )
    assert not report.ok
    assert str(report).splitlines() == [
        "✅ Python    3.11.7",
        "❌ protobuf  3.20.3, backend python",
        "             fix it like this: pip install -e '.[dev]'",
    ]
    assert report.summary.startswith("1 problem(s): protobuf.")


# -- installed from a wheel (not this checkout) ------------------------------------------------


class _InstalledDistribution(metadata.DistributionFinder):
    """importlib.metadata finds ``statefun-lab`` in ``dist_info`` first (as if pip had put it
    in a site-packages ahead of this checkout's)."""

    def __init__(self, dist_info: Path) -> None:
        self.dist_info = dist_info

    def find_spec(self, *args: object, **kwargs: object) -> None:
        return None

    def find_distributions(
        self, context: metadata.DistributionFinder.Context = _CONTEXT
    ) -> list[metadata.Distribution]:
        if context.name is not None and context.name.replace("_", "-") != "statefun-lab":
            return []
        return [metadata.PathDistribution(self.dist_info)]


@pytest.fixture
def install_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Path]]:
    """``install_wheel(version)``: statefun-lab ``version`` as pip installs a wheel: its
    metadata and the ``statefun`` package in a site-packages outside any checkout."""
    site = tmp_path / "site-packages"

    def install(version: str) -> Path:
        dist_info = site / f"statefun_lab-{version}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.4\nName: statefun-lab\nVersion: {version}\n"
        )
        monkeypatch.setattr(sys, "meta_path", [_InstalledDistribution(dist_info), *sys.meta_path])
        monkeypatch.setattr(statefun, "__file__", str(site / "statefun" / "__init__.py"))
        monkeypatch.setattr(_repo, "__file__", str(site / "statefun" / "exercises" / "_repo.py"))
        _repo.repo_root.cache_clear()
        return site

    yield install
    _repo.repo_root.cache_clear()


def _copied(tmp_path: Path) -> Path:
    """The notebooks as ``statefun-lab notebooks`` copies them (from this checkout's files)."""
    folder = tmp_path / "my-lab"
    copy_notebooks(folder)
    return folder


def _finding(report: EnvironmentReport, what: str) -> Finding:
    return next(f for f in report.findings if f.what == what)


def test_an_installed_wheel_is_all_good_with_the_notebooks_it_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, install_wheel: Callable[[str], Path]
) -> None:
    folder = _copied(tmp_path)  # records this version, 0.1.0
    site = install_wheel(statefun.__version__)
    monkeypatch.chdir(folder / "notebooks" / "zh")  # where a notebook's kernel starts
    report = check_environment()
    assert report.ok, str(report)
    assert report.summary == "all good: the environment is ready for the StateFun Lab notebooks."
    assert _finding(report, "statefun-lab").found == f"0.1.0 ({site / 'statefun'})"


def test_an_installed_wheel_is_all_good_in_a_clone_of_its_version(
    monkeypatch: pytest.MonkeyPatch, install_wheel: Callable[[str], Path]
) -> None:
    install_wheel("0.1.0")  # pyproject.toml's version
    monkeypatch.chdir(REPO / "notebooks" / "en")
    report = check_environment()
    assert _finding(report, "statefun-lab").ok, str(report)
    assert _finding(report, "kernel").ok  # any kernel: the one statefun-lab is installed in


def test_an_installed_wheel_of_another_version_says_which_and_how_to_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, install_wheel: Callable[[str], Path]
) -> None:
    folder = _copied(tmp_path)
    install_wheel("0.2.0")
    monkeypatch.chdir(folder / "notebooks" / "en")
    report = check_environment()
    finding = _finding(report, "statefun-lab")
    assert not finding.ok
    assert finding.found.endswith("; these notebooks are for 0.1.0")
    assert finding.fix == (
        "%pip install 'statefun-lab[notebooks]==0.1.0', or copy the installed version's "
        "notebooks with `statefun-lab notebooks DIR`"
    )
    assert report.summary.startswith("1 problem(s): statefun-lab.")
