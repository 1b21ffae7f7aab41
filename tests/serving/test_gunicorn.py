"""flask_app and aiohttp_app under gunicorn, over a real socket: the body limit holds for chunked
bodies, and a function error stays in the server's log."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sdk_test_pb2 import Hello
from served import Server

from statefun.testing import InvocationBuilder, decode_response

pytestmark = pytest.mark.gunicorn

# The README's two ways to serve under gunicorn: flask_app with threads, aiohttp_app with the
# aiohttp worker (the greeter image's).
WORKERS = {
    "flask-gthread": ["--worker-class", "gthread", "--threads", "4", "apps:flask"],
    "aiohttp": ["--worker-class", "aiohttp.GunicornWebWorker", "apps:aiohttp"],
}


def _batch(worlds: list[str]) -> bytes:
    builder = InvocationBuilder().with_target("a", "echo", "1")
    for world in worlds:
        builder.with_invocation(Hello(world=world))
    return builder.SerializeToString()


# Two ToFunction messages that protobuf merges into one request of 40 messages: a body cut
# between them would still decode, as the first 20.
FIRST = _batch([f"m{i}" for i in range(20)])
SECOND = _batch([f"m{i}" for i in range(20, 40)])


@pytest.fixture(params=sorted(WORKERS))
def served(
    request: pytest.FixtureRequest, gunicorn: Callable[..., Server], tmp_path: Path
) -> tuple[Server, Path]:
    """The recording app with a body limit of exactly FIRST; the file it records in."""
    record = tmp_path / "ran.txt"
    server = gunicorn(
        ["--bind", "127.0.0.1:0", "--workers", "1", "--no-control-socket", *WORKERS[request.param]],
        env={"STATEFUN_TEST_RECORD": str(record), "STATEFUN_TEST_LIMIT": str(len(FIRST))},
    )
    return server, record


def _ran(record: Path) -> list[str]:
    return record.read_text().split() if record.exists() else []


def test_a_chunked_body_over_the_limit_is_413_and_nothing_runs(served: tuple[Server, Path]) -> None:
    server, record = served
    status, content_type, body = server.post([FIRST[:64], FIRST[64:], SECOND], chunked=True)

    assert status == 413, body
    assert content_type.startswith("text/plain")
    assert f"over the {len(FIRST)} byte limit".encode() in body
    assert _ran(record) == []


def test_a_chunked_body_at_the_limit_runs_whole(served: tuple[Server, Path]) -> None:
    server, record = served
    status, content_type, body = server.post([FIRST[:9], FIRST[9:]], chunked=True)

    assert (status, content_type) == (200, "application/octet-stream"), body
    assert len(decode_response(body).messages) == 20
    assert _ran(record) == [f"m{i}" for i in range(20)]


def test_a_content_length_body_over_the_limit_is_413(served: tuple[Server, Path]) -> None:
    server, record = served
    assert server.post(FIRST + SECOND)[0] == 413
    assert server.post(FIRST)[0] == 200
    assert _ran(record) == [f"m{i}" for i in range(20)]


def test_a_function_error_is_logged_with_the_id_the_caller_got(
    served: tuple[Server, Path],
) -> None:
    server, record = served
    record.mkdir()  # the function's open() fails: IsADirectoryError, with the path in it
    status, _, body = server.post(FIRST)

    assert status == 500
    assert str(record).encode() not in body and b"IsADirectoryError" not in body
    error_id = re.search(rb"error id ([0-9a-f]{12})", body)
    assert error_id, body
    server.wait_for(lambda line: error_id[1].decode() in line, timeout=10)
    server.wait_for(lambda line: line.startswith("IsADirectoryError"), timeout=10)
    assert server.wait_for(lambda line: "while invoking" in line, timeout=10)
