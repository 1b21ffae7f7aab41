"""A local Maven repository over HTTP (127.0.0.1, a thread) with switchable misbehaviour.

:func:`serve` starts one (the ``repo`` fixture of ``tests/flink`` yields it); :func:`fetch`
downloads jars from it. It serves test
jars (random bytes, made per test) in Maven's layout under ``/maven2``. Its ``mode`` picks what
the server does with a request:

* ``"range"``: a good server: 200, or 206 with ``Content-Range`` for a ``Range`` request;
* ``"no-range"``: ignores ``Range`` and answers 200 with the whole file (as this machine's
  proxy sometimes does);
* ``"wrong"``: 200 with other bytes of the right length;
* ``"drop-once"``: the first request for each file announces the whole length, sends half and
  closes the connection; later requests behave like ``"range"``;
* ``"drop-always"``: every request is cut off halfway;
* ``"status:<code>"``: answers that HTTP status with no body for every file.

Paths not in ``repo.files`` get 404 in every mode. ``repo.log`` records each request as
``(path, Range header or None, status sent)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from statefun.flink.jars import LockedJar, download_jars


@dataclasses.dataclass
class FakeRepository:
    """The repository's files (by path under its root), behaviour and request log."""

    url: str
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    mode: str = "range"
    log: list[tuple[str, str | None, int]] = dataclasses.field(default_factory=list)
    _served: set[str] = dataclasses.field(default_factory=set)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, artifact: str, size: int, *, classifier: str | None = None) -> LockedJar:
        """A new random jar ``org.example:<artifact>:1.0`` served by this repository."""
        data = os.urandom(size)
        jar = LockedJar(
            "org.example",
            artifact,
            "1.0",
            classifier,
            size,
            hashlib.sha256(data).hexdigest(),
        )
        self.files["/" + jar.path] = data
        return jar

    def requests_for(self, jar: LockedJar) -> list[tuple[str | None, int]]:
        return [(rng, status) for path, rng, status in self.log if path == "/" + jar.path]


def _handler(repo: FakeRepository) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _record(self, rng: str | None, status: int) -> None:
            with repo.lock:
                repo.log.append((self.path, rng, status))

        def do_GET(self) -> None:
            self.path = self.path.removeprefix("/maven2")
            rng = self.headers.get("Range")
            data = repo.files.get(self.path)
            if data is None:
                return self._status(404, rng)
            mode = repo.mode
            if mode.startswith("status:"):
                return self._status(int(mode.split(":")[1]), rng)
            with repo.lock:
                first = self.path not in repo._served
                repo._served.add(self.path)
            if mode == "wrong":
                return self._send(200, rng, bytes(b ^ 0xFF for b in data), len(data))
            if mode == "drop-always" or (mode == "drop-once" and first):
                # Announce everything, send half, hang up.
                return self._send(200, rng, data[: len(data) // 2], len(data), close=True)
            if rng and mode != "no-range":
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    return self._status(416, rng)
                body = data[start:]
                extra = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
                return self._send(206, rng, body, len(body), headers=extra)
            return self._send(200, rng, data, len(data))

        def _status(self, status: int, rng: str | None) -> None:
            self._record(rng, status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(
            self,
            status: int,
            rng: str | None,
            body: bytes,
            length: int,
            *,
            close: bool = False,
            headers: dict[str, str] | None = None,
        ) -> None:
            self._record(rng, status)
            self.send_response(status)
            self.send_header("Content-Length", str(length))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    return Handler


@contextmanager
def serve() -> Iterator[FakeRepository]:
    """Start a FakeRepository on a free loopback port; stop it on exit."""
    repository = FakeRepository(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(repository))
    repository.url = f"http://127.0.0.1:{server.server_address[1]}/maven2"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield repository
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def fetch(repo: FakeRepository, jars: list[LockedJar], cache: Path, **kw: Any) -> list[Path]:
    """:func:`~statefun.flink.jars.download_jars` from ``repo`` into ``cache``: quiet and with no
    delay between retries unless ``kw`` says otherwise."""
    kw.setdefault("progress", False)
    kw.setdefault("retry_delay", 0)
    return download_jars(jars, cache=cache, base_url=repo.url, **kw)
