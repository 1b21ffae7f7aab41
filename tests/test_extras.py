"""A feature whose extra is not installed says which extra to install (MissingExtraError)."""

from __future__ import annotations

import importlib
import sys

import pytest

from statefun import StatefulFunctions
from statefun.errors import MissingExtraError, StatefunError
from statefun.extras import require


def _uninstalled(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Import ``modules`` fails as if they were not installed (and ``statefun.widgets`` is
    imported anew)."""
    for name in list(sys.modules):
        if name.startswith("statefun.widgets"):
            monkeypatch.delitem(sys.modules, name)
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # import raises ModuleNotFoundError


def test_the_widgets_without_ipywidgets_name_the_notebooks_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstalled(monkeypatch, "ipywidgets")
    with pytest.raises(MissingExtraError) as raised:
        importlib.import_module("statefun.widgets")
    assert str(raised.value) == (
        "statefun.widgets needs ipywidgets, which is not installed here. Install the "
        "'notebooks' extra into this environment: python -m pip install 'statefun-lab[notebooks]'"
    )
    assert isinstance(raised.value, ImportError) and isinstance(raised.value, StatefunError)
    assert (raised.value.name, raised.value.extra) == ("ipywidgets", "notebooks")


def test_serving_without_flask_or_aiohttp_names_the_serve_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from statefun.serving import aiohttp_app, flask_app

    _uninstalled(monkeypatch, "flask", "aiohttp")
    with pytest.raises(MissingExtraError, match=r"flask_app needs flask.*statefun-lab\[serve\]"):
        flask_app(StatefulFunctions())
    with pytest.raises(MissingExtraError, match=r"aiohttp_app needs aiohttp.*\[serve\]'$"):
        aiohttp_app(StatefulFunctions())


def test_an_import_error_inside_an_installed_module_is_not_blamed_on_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "markupsafe", None)  # a dependency of Jinja, broken
    monkeypatch.delitem(sys.modules, "jinja2", raising=False)
    for name in [n for n in sys.modules if n.startswith("jinja2.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ModuleNotFoundError) as raised:
        require("jinja2", extra="serve", feature="a template")
    assert not isinstance(raised.value, MissingExtraError)
    assert raised.value.name == "markupsafe"


def test_an_installed_module_is_returned() -> None:
    assert require("yaml", extra="none", feature="module.yaml") is sys.modules["yaml"]


def test_the_kafka_bridge_without_kafka_python_names_the_kafka_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from statefun.local import KafkaBridge

    _uninstalled(monkeypatch, "kafka")
    with pytest.raises(MissingExtraError, match=r"KafkaBridge needs kafka.*\[kafka\]'$"):
        KafkaBridge(runtime=None, bootstrap_servers="localhost:29092")  # type: ignore[arg-type]
