"""The greeter image's command line, run here as the image runs it, over a real socket.

greeter/Dockerfile's ``CMD`` (continuation lines joined), from the directory holding what the
image copies to /app (greeter/), with the SDK from this repository and the bind moved to a
free loopback port: the exact gunicorn settings, without a Docker engine.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from golden import GOLDEN_REQUEST, GOLDEN_RESPONSE
from served import Server

from statefun.serving import DEFAULT_MAX_REQUEST_BYTES
from statefun.testing import InvocationBuilder

pytestmark = pytest.mark.gunicorn

ROOT = Path(__file__).resolve().parents[2]
GREETER = ROOT / "greeter"
WORKERS = 2


def image_command() -> list[str]:
    """The last CMD of greeter/Dockerfile, exec form."""
    text = re.sub(r"\\\n", " ", (GREETER / "Dockerfile").read_text())
    (*_, cmd) = [line for line in text.splitlines() if line.startswith("CMD ")]
    argv: list[str] = json.loads(cmd.removeprefix("CMD "))
    return argv


@pytest.fixture(scope="module")
def image() -> Iterator[Server]:
    argv = image_command()
    assert argv[:3] == ["gunicorn", "--bind", "0.0.0.0:8000"], argv
    argv[2] = "127.0.0.1:0"
    server = Server(
        [sys.executable, "-m", *argv],
        GREETER,
        # WEB_CONCURRENCY: the image's ENV sets it (4); 2 here, the slow-client test uses it.
        {"PYTHONPATH": str(ROOT), "WEB_CONCURRENCY": str(WORKERS)},
    )
    for _ in range(WORKERS):
        server.wait_for(lambda line: "Booting worker" in line, timeout=30)
    yield server
    server.stop()


def test_the_image_serves_the_golden_response(image: Server) -> None:
    import healthcheck

    assert image.post(GOLDEN_REQUEST) == (200, "application/octet-stream", GOLDEN_RESPONSE)
    assert healthcheck.probe(image.url) is None


def _status_line(sock: socket.socket) -> bytes:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer.split(b"\r\n", 1)[0]


def test_a_50_mb_body_is_refused_before_it_is_read(image: Server) -> None:
    """greeter:app read any body whole; the image answers 413 on the headers alone."""
    with socket.create_connection((image.host, image.port), timeout=10) as sock:
        sock.sendall(
            b"POST /statefun HTTP/1.1\r\nHost: greeter\r\n"
            b"Content-Type: application/octet-stream\r\n"
            + f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
            + b"\x00" * 65536
        )
        assert _status_line(sock).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_over_16_mib_is_413(image: Server) -> None:
    mib = b"\x00" * (1024 * 1024)
    parts = [mib] * (DEFAULT_MAX_REQUEST_BYTES // len(mib)) + [b"\x00"]
    status, _, body = image.post(parts, chunked=True)
    assert status == 413
    assert f"over the {DEFAULT_MAX_REQUEST_BYTES} byte limit".encode() in body


def test_an_unknown_function_is_404(image: Server) -> None:
    from messages_pb2 import GreetRequest

    request = InvocationBuilder().with_target("example", "nope", "Jerry")
    request.with_invocation(GreetRequest(name="Jerry"))
    status, _, body = image.post(request.SerializeToString())
    assert status == 404 and b"'example/nope'" in body


def test_a_function_error_is_500_with_an_id_and_its_traceback_in_the_log(image: Server) -> None:
    from messages_pb2 import SeenCount

    request = (
        InvocationBuilder()
        .with_target("example", "greeter", "Jerry")
        .with_state("seen_count")
        .with_invocation(SeenCount(seen=1))  # greet() takes a GreetRequest
    )
    status, content_type, body = image.post(request.SerializeToString())

    assert (status, content_type) == (500, "text/plain; charset=utf-8")
    assert b"SeenCount" not in body and b"MessageTypeMismatchError" not in body
    error_id = re.search(rb"see the server log for error id ([0-9a-f]{12})", body)
    assert error_id, body
    image.wait_for(lambda line: error_id[1].decode() in line, timeout=10)
    image.wait_for(lambda line: "MessageTypeMismatchError: Unknown message type" in line, 10)
    image.wait_for(lambda line: "while invoking example/greeter/Jerry" in line, timeout=10)


def test_slow_and_silent_clients_do_not_stop_it_answering(image: Server) -> None:
    """Sync workers (the image's model before) answered nothing while each had a client that
    sent its body slowly or said nothing: one such client per worker was enough."""
    attackers: list[socket.socket] = []
    try:
        for _ in range(2 * WORKERS):  # headers and 1 byte of a 1 MiB body, then nothing
            sock = socket.create_connection((image.host, image.port), timeout=10)
            sock.sendall(
                b"POST /statefun HTTP/1.1\r\nHost: greeter\r\nContent-Length: 1048576\r\n\r\n\x00"
            )
            attackers.append(sock)
        for _ in range(300):  # connected, silent
            attackers.append(socket.create_connection((image.host, image.port), timeout=10))

        assert image.post(GOLDEN_REQUEST, timeout=10) == (
            200,
            "application/octet-stream",
            GOLDEN_RESPONSE,
        )
    finally:
        for sock in attackers:
            sock.close()
