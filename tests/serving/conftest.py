"""Gunicorn on a free loopback port, its output read line by line, stopped at teardown."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from served import Server

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(str(ROOT / p) for p in ("", "tests/protos", "tests/serving"))


@pytest.fixture
def gunicorn() -> Iterator[Callable[..., Server]]:
    """Start gunicorn (``python -m gunicorn`` + args); every one started is stopped after."""
    started: list[Server] = []

    def start(args: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Server:
        env = {"PYTHONPATH": PYTHONPATH, **(env or {})}
        server = Server([sys.executable, "-m", "gunicorn", *args], cwd, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
