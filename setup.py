"""The build step that ships the notebooks in the wheel; everything else is in pyproject.toml.

``build_py`` copies the notebooks and the walkthrough files they read (the list:
``statefun/_workshop_files.py``) from this checkout, or from the sdist made of it, into the
wheel's ``statefun/_workshop/``, so there is one copy of them: the repository's.
``statefun-lab notebooks`` copies them into a learner's folder. An editable install reads them
from the checkout instead. A source tree without ``notebooks/`` (``pyproject.toml``,
``README.md`` and ``statefun/``, as the browser edition builds its wheel) builds a wheel without
them.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _files_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "_workshop_files", ROOT / "statefun" / "_workshop_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithNotebooks(build_py):  # type: ignore[misc]
    """``build_py``, then the notebooks' files into ``statefun/_workshop/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the package runs from the checkout, which has the files
        files = _files_module()
        if not (ROOT / "notebooks").is_dir():
            print("statefun-lab: no notebooks in this source tree; the wheel ships none")
            return
        target = Path(self.build_lib) / "statefun" / files.DATA_DIR
        if target.exists():
            shutil.rmtree(target)
        for relative in files.collect(ROOT):
            out = target / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, out)


setup(cmdclass={"build_py": BuildPyWithNotebooks})
