"""Fixtures for statefun.project (doctor, new) and the pytest plugin: the vendored upstream
examples, copied per test, and statefun-lab run in a subprocess (each project imports its own
``messages_pb2``, which one process cannot hold twice)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = Path(__file__).resolve().parent / "upstream"


@pytest.fixture
def upstream(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of an upstream example (``greeter``, ``k8s``, ``async``, ``walkthrough``)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(UPSTREAM / name, target)
        return target

    return copy


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTEST_ADDOPTS", None)
    return env


@pytest.fixture
def statefun_lab() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``statefun-lab ARGS`` in a subprocess with this checkout's statefun; its result."""

    def call(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "statefun.cli", *args],
            cwd=cwd,
            env=_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return call


@pytest.fixture
def python() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``python ARGS`` in a subprocess with this checkout's statefun; its result."""

    def call(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return call
