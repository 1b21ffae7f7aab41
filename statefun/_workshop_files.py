"""Which repository files the notebooks need beside them: the one list, read by the build too.

``setup.py`` loads this file by its path (no ``statefun`` import at build time, so it uses the
standard library only) and ships :func:`collect`'s files in the wheel under
``statefun/_workshop/``; ``statefun-lab notebooks`` copies them into a learner's folder.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "ENTRIES", "MANIFEST", "collect"]

#: Where the files go inside the installed package (``statefun/_workshop/...``).
DATA_DIR = "_workshop"

#: What ``statefun-lab notebooks`` writes into the working folder: its version and each file's
#: sha256 as copied (so a later run tells a learner's change from an older copy).
MANIFEST = ".statefun-lab-notebooks.json"

#: Paths from the repository root: the notebooks (every edition) and the walkthrough files
#: they read, run or build (07's Docker images are built from pyproject.toml, README.md and the
#: ``statefun/`` package, which the command copies from the installed package itself).
ENTRIES = (
    "notebooks/en",
    "notebooks/zh",
    "notebooks/README.md",
    "greeter",
    "generator",
    "docker",
    "module.yaml",
    "module-2.0.yaml",
    "pyproject.toml",
    "README.md",
)

_SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


def _walk(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.name in _SKIP_NAMES or child.suffix == ".pyc":
            continue
        if child.name.startswith(".") and child.name != ".dockerignore":
            continue
        found.extend(_walk(child))
    return found


def collect(root: Path) -> list[str]:
    """Every file of :data:`ENTRIES` under ``root``, as sorted POSIX paths from ``root``.

    Raises ``FileNotFoundError`` naming the entries ``root`` lacks.
    """
    missing = [entry for entry in ENTRIES if not (root / entry).exists()]
    if missing:
        raise FileNotFoundError(
            f"{root} lacks {', '.join(missing)}: the notebooks' files are collected from a "
            "StateFun Lab checkout (or its sdist)"
        )
    return sorted(
        path.relative_to(root).as_posix() for entry in ENTRIES for path in _walk(root / entry)
    )
