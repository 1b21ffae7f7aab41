"""The browser edition's platform switch: its note, and the environment check it relaxes.

Pyodide is simulated here by setting ``IN_BROWSER``; tests/lite runs the real thing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from importlib import metadata
from types import ModuleType

import pytest
from google.protobuf.internal import api_implementation

import statefun.platform
from statefun.exercises import check_environment, environment
from statefun.i18n import get_language, set_language
from statefun.platform import BROWSER_NOTE, browser_note, runs_here


@pytest.fixture
def in_browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in Pyodide: the platform says so, protobuf runs its pure-Python backend, no
    JupyterLab or jupyterlab_widgets is installed, and ``pyodide`` can be imported."""
    environment.messages()  # the walkthrough imported first, on the real protobuf backend
    importlib.import_module("greeter")
    monkeypatch.setattr(statefun.platform, "IN_BROWSER", True)
    monkeypatch.setattr(environment, "IN_BROWSER", True)
    monkeypatch.setattr(api_implementation, "Type", lambda: "python")
    real = metadata.version

    def version(name: str) -> str:
        if name in ("jupyterlab", "jupyterlab_widgets"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    pyodide = ModuleType("pyodide")
    pyodide.__version__ = "314.0.6"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    language = get_language()
    yield
    set_language(language)


def test_outside_the_browser_the_note_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert statefun.platform.IN_BROWSER is False
    browser_note()
    assert runs_here() is True
    assert capsys.readouterr().out == ""


def test_in_the_browser_a_cell_says_what_cannot_run_and_where_it_can(
    in_browser: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runs_here() is False
    out = capsys.readouterr().out
    assert out == BROWSER_NOTE + "\n"
    assert out.startswith("🌐 Not in the browser: this needs a server, a network socket, Kafka")
    assert "`make setup`" in out and "notebook 07" in out


def test_the_note_speaks_the_editions_language(
    in_browser: None, capsys: pytest.CaptureFixture[str]
) -> None:
    set_language("zh")
    browser_note()
    out = capsys.readouterr().out
    assert out.startswith("🌐 不在浏览器中运行：")
    assert "`make setup`" in out and "第 07 个笔记本" in out


def test_without_the_browser_allowances_the_same_findings_are_problems(
    in_browser: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment, "IN_BROWSER", False)
    report = check_environment()
    assert [f.what for f in report.problems] == ["protobuf", "ipywidgets", "JupyterLab"]


def test_in_the_browser_the_environment_check_is_all_good(in_browser: None) -> None:
    report = check_environment()
    assert report.ok, str(report)
    found = {f.what: f.found for f in report.findings}
    assert found["protobuf"].endswith("backend python")
    assert found["ipywidgets"].endswith("(jupyterlab_widgets the site's)")
    assert found["JupyterLab"] == "JupyterLite, in the browser"
    assert found["kernel"] == "Pyodide 314.0.6"
