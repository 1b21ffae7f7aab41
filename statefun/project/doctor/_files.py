"""The project's files: which the doctor reads, in which order, and how a path is shown."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

__all__ = ["is_module_yaml", "is_test", "shown", "walk"]

# Folders that are not the project's own sources.
_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist"}
)
_MODULE_YAML = re.compile(r"^module[\w.-]*\.ya?ml$")


def walk(root: Path) -> Iterator[Path]:
    """Every file under ``root``, sorted, outside hidden, virtualenv and build folders."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIPPED_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            yield Path(directory) / name


def is_module_yaml(path: Path) -> bool:
    """``module.yaml``, ``module-prod.yml``, ...: the file names a module is read from."""
    return _MODULE_YAML.match(path.name) is not None


def is_test(path: Path, root: Path) -> bool:
    """Tests bind throwaway functions that no module.yaml is meant to declare."""
    folders = path.relative_to(root).parts[:-1]
    return (
        path.name.startswith("test_")
        or path.name.endswith("_test.py")
        or path.name == "conftest.py"
        or any(part in ("tests", "test") for part in folders)
    )


def shown(path: Path) -> str:
    """``path`` relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
