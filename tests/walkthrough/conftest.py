"""Fixtures for the checks of the walkthrough project (greeter, generator, Docker files)."""

from __future__ import annotations

import importlib.util
import queue
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
GREETER_DIR = ROOT / "greeter"
GENERATOR_DIR = ROOT / "generator"

# greeter.py imports `messages_pb2` as a top-level module, as it does in its image.
if str(GREETER_DIR) not in sys.path:
    sys.path.insert(0, str(GREETER_DIR))


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """generator/event-generator.py, imported (its file name has a dash)."""
    spec = importlib.util.spec_from_file_location(
        "event_generator", GENERATOR_DIR / "event-generator.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    with warnings.catch_warnings():
        # kafka-python 3.0.12 loads its protocol schemas with importlib.resources' legacy API
        warnings.filterwarnings("ignore", "(read|open)_text is deprecated", DeprecationWarning)
        spec.loader.exec_module(module)
    return module


class LineReader:
    """Collects a text stream's lines on a thread, so tests can wait for one with a timeout."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        """The first new line matching ``predicate``; fails after ``timeout`` seconds or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no matching line within {timeout} s; got: {self.lines}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"the stream ended without a matching line; got: {self.lines}")
            self.lines.append(line)
            if predicate(line):
                return line

    def rest(self, timeout: float) -> list[str]:
        """Every remaining line, up to EOF (the process must be ending)."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the stream did not end within {timeout} s"
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        return self.lines


@pytest.fixture(scope="module")
def spawn() -> Iterator[Callable[..., tuple[subprocess.Popen[str], LineReader]]]:
    """Start a subprocess with merged stdout/stderr read by a LineReader.

    Tests stop their processes themselves; whatever still runs at the end of the test
    module is killed here.
    """
    started: list[subprocess.Popen[str]] = []

    def start(args: list[str], **kwargs: object) -> tuple[subprocess.Popen[str], LineReader]:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            **kwargs,  # type: ignore[call-overload]
        )
        started.append(proc)
        assert proc.stdout is not None
        return proc, LineReader(proc.stdout)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def unused_loopback_port() -> Iterator[Callable[[], int]]:
    """Ports on 127.0.0.1 where nothing listens: bound (so no one else takes them) but
    never listening, so a connection is refused at once. Released at teardown."""
    held: list[socket.socket] = []

    def reserve() -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
        port: int = sock.getsockname()[1]
        return port

    yield reserve
    for sock in held:
        sock.close()


@pytest.fixture(scope="module")
def gunicorn_url(
    root: Path, spawn: Callable[..., tuple[subprocess.Popen[str], LineReader]]
) -> Iterator[str]:
    """greeter:app under gunicorn (2 sync workers) on a free loopback port; its URL."""
    proc, output = spawn(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            "greeter",
            "--bind",
            "127.0.0.1:0",  # the kernel picks a free port; gunicorn logs which one
            "--workers",
            "2",
            "--no-control-socket",  # else $HOME/.gunicorn/gunicorn.ctl, shared by all runs
            "greeter:app",
        ],
        cwd=root,
    )
    listening = output.wait_for(lambda line: "Listening at: http://" in line, timeout=30)
    base = listening.split("Listening at: ", 1)[1].split()[0]
    yield f"{base}/statefun"
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
