"""A gunicorn started in a subprocess: its URL, its output line by line, a POST helper."""

from __future__ import annotations

import http.client
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest


class Server:
    """A running gunicorn: its URL and every line it printed (stdout and stderr)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        listening = self.wait_for(lambda line: "Listening at: http://" in line, timeout=30)
        self.base = listening.split("Listening at: ", 1)[1].split()[0]
        self.host, port = self.base.split("//", 1)[1].rsplit(":", 1)
        self.port = int(port)
        self.url = f"{self.base}/statefun"

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        """The first new line that matches; fails after ``timeout`` seconds or at EOF."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"gunicorn ended: {self.lines}")
            self.lines.append(line)
            if predicate(line):
                return line
        pytest.fail(f"no matching line within {timeout} s: {self.lines}")

    def output(self) -> str:
        """Everything printed so far (lines already read and those waiting)."""
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return "\n".join(self.lines)
            if line is not None:
                self.lines.append(line)

    def post(
        self, body: bytes | list[bytes], *, chunked: bool = False, timeout: float = 30
    ) -> tuple[int, str, bytes]:
        """POST to /statefun (``chunked``: Transfer-Encoding: chunked, one chunk per part);
        the status, Content-Type and body of the answer."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            parts = body if isinstance(body, list) else [body]
            connection.request(
                "POST",
                "/statefun",
                body=iter(parts) if chunked else b"".join(parts),
                headers={"Content-Type": "application/octet-stream"},
                encode_chunked=chunked,
            )
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
