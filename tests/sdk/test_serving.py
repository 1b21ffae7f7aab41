"""statefun.serving: the Flask and aiohttp helpers map errors the way the runtime expects."""

from __future__ import annotations

import asyncio
import http.client
import io
import logging
import re
import threading
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any as TypingAny

import pytest
from sdk_test_pb2 import Hello
from werkzeug.test import EnvironBuilder, run_wsgi_app

import statefun.serving
from statefun import StatefulFunctions
from statefun.errors import ServingConfigError, StatefunError
from statefun.serving import EXPOSE_ERRORS_ENV, aiohttp_app, error_response, flask_app
from statefun.testing import InvocationBuilder, decode_response

LIMIT = 1024
SECRET = "password=hunter2"


def _functions(calls: list[str] | None = None) -> StatefulFunctions:
    fns = StatefulFunctions()

    @fns.bind("a/echo")
    def echo(context, message: Hello):  # type: ignore[no-untyped-def]
        if calls is not None:
            calls.append(message.world)
        if message.world == "fail":
            raise ValueError("the function failed on purpose")
        if message.world == "leak":
            raise ConnectionError(f"cannot connect with {SECRET}")
        context.pack_and_send("a/g", "1", message)

    return fns


def _request(world: str = "w", target: str = "echo") -> bytes:
    return (
        InvocationBuilder()
        .with_target("a", target, "1")
        .with_invocation(Hello(world=world))
        .SerializeToString()
    )


def _batch(worlds: list[str]) -> bytes:
    builder = InvocationBuilder().with_target("a", "echo", "1")
    for world in worlds:
        builder.with_invocation(Hello(world=world))
    return builder.SerializeToString()


def _halves(n: int) -> tuple[bytes, bytes]:
    """Two serialized ToFunction messages whose concatenation is one valid request of ``n``
    messages (protobuf merges repeated fields): a body cut between them still decodes."""
    first = _batch([f"m{i}" for i in range(n // 2)])
    second = _batch([f"m{i}" for i in range(n // 2, n)])
    return first, second


@pytest.fixture
def client() -> TypingAny:
    return flask_app(_functions(), max_request_bytes=LIMIT).test_client()


def test_the_public_names() -> None:
    assert sorted(statefun.serving.__all__) == [
        "CONTENT_TYPE",
        "DEFAULT_MAX_REQUEST_BYTES",
        "EXPOSE_ERRORS_ENV",
        "aiohttp_app",
        "error_response",
        "flask_app",
    ]


def test_success_has_exactly_the_octet_stream_content_type(client: TypingAny) -> None:
    response = client.post("/statefun", data=_request())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert decode_response(response.data).messages[0].target.type == "g"


def test_undecodable_request_is_400_with_a_reason(client: TypingAny) -> None:
    response = client.post("/statefun", data=b"\x00garbage")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "is not a serialized ToFunction" in response.get_data(as_text=True)
    assert client.post("/statefun", data=b"").status_code == 400


def test_unknown_function_is_404(client: TypingAny) -> None:
    response = client.post("/statefun", data=_request(target="nope"))
    assert response.status_code == 404
    assert "'a/nope'" in response.get_data(as_text=True)


def test_only_post_on_the_path(client: TypingAny) -> None:
    assert client.get("/statefun").status_code == 405
    assert client.post("/other", data=_request()).status_code == 404


# --- 500: the exception stays on the server ---------------------------------------------------


def _error_id(body: str) -> str:
    found = re.search(r"error id ([0-9a-f]{12})\b", body)
    assert found, body
    return found[1]


def _function_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "a StateFun function raised an error" in r.getMessage()]


def test_function_error_is_500_without_the_exception_and_logged_once(
    client: TypingAny, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = client.post("/statefun", data=_request("leak"))

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith("The function raised an error; see the server log for error id ")
    assert SECRET not in text and "ConnectionError" not in text and "a/echo" not in text
    (record,) = _function_errors(caplog)
    assert _error_id(text) in record.getMessage()
    assert record.exc_info is not None
    logged = "".join(traceback.format_exception(*record.exc_info))
    assert f"ConnectionError: cannot connect with {SECRET}" in logged
    assert logged.count("while invoking a/echo/1") == 1
    assert "in echo" in logged  # the traceback reaches into the function


def test_each_500_has_its_own_error_id(client: TypingAny) -> None:
    first = client.post("/statefun", data=_request("fail")).get_data(as_text=True)
    second = client.post("/statefun", data=_request("fail")).get_data(as_text=True)
    assert _error_id(first) != _error_id(second)


def test_expose_errors_puts_the_exception_and_its_note_in_the_body_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    app = flask_app(_functions(), expose_errors=True)
    text = app.test_client().post("/statefun", data=_request("fail")).get_data(as_text=True)

    assert re.fullmatch(
        r"The function raised an error \(error id [0-9a-f]{12}\): ValueError: the function failed "
        r"on purpose\nwhile invoking a/echo/1 \(message 1 of 1 in this batch\)\n",
        text,
    ), text
    assert len(_function_errors(caplog)) == 1  # logged all the same


@pytest.mark.parametrize(
    ("value", "exposed"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("", False), ("no", False)],
)
def test_the_environment_variable_turns_exposure_on(
    monkeypatch: pytest.MonkeyPatch, value: str, exposed: bool
) -> None:
    monkeypatch.setenv(EXPOSE_ERRORS_ENV, value)
    text = flask_app(_functions()).test_client().post("/statefun", data=_request("leak")).text
    assert (SECRET in text) is exposed
    body = asyncio.run(_aiohttp_post(aiohttp_app(_functions()), _request("leak")))[2]
    assert (SECRET.encode() in body) is exposed


def test_the_keyword_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXPOSE_ERRORS_ENV, "1")
    app = flask_app(_functions(), expose_errors=False)
    assert SECRET not in app.test_client().post("/statefun", data=_request("leak")).text


def test_a_bad_environment_value_is_refused_when_the_app_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(EXPOSE_ERRORS_ENV, "maybe")
    for build in (flask_app, aiohttp_app):
        with pytest.raises(
            ServingConfigError, match=r"STATEFUN_EXPOSE_ERRORS='maybe'.*set it to 1"
        ):
            build(_functions())


@pytest.mark.parametrize("bad", [0, -1, 1.5, "16MB", True, None])
def test_max_request_bytes_must_be_a_positive_int(bad: object) -> None:
    for build in (flask_app, aiohttp_app):
        with pytest.raises(ServingConfigError, match=r"max_request_bytes=.*positive number"):
            build(_functions(), max_request_bytes=bad)  # type: ignore[arg-type]
    assert issubclass(ServingConfigError, ValueError)
    assert issubclass(ServingConfigError, StatefunError)


def test_expose_errors_must_be_a_bool_or_none() -> None:
    with pytest.raises(ServingConfigError, match="expose_errors='yes'"):
        flask_app(_functions(), expose_errors="yes")  # type: ignore[arg-type]


def test_error_response_keeps_its_signature_and_hides_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(EXPOSE_ERRORS_ENV, raising=False)
    error = ValueError(f"boom {SECRET}")
    error.add_note("while invoking a/echo/1 (message 1 of 1 in this batch)")

    assert error_response(error) == (500, "The function raised an error; see the server log.\n")
    assert error_response(error, error_id="0123456789ab") == (
        500,
        "The function raised an error; see the server log for error id 0123456789ab.\n",
    )
    status, text = error_response(error, expose_errors=True)
    assert status == 500
    assert text == (
        f"The function raised an error: ValueError: boom {SECRET}\n"
        f"while invoking a/echo/1 (message 1 of 1 in this batch)\n"
    )
    monkeypatch.setenv(EXPOSE_ERRORS_ENV, "1")
    assert SECRET in error_response(error)[1]


def test_error_response_still_maps_request_errors() -> None:
    handler = statefun.RequestReplyHandler(_functions())
    with pytest.raises(Exception) as bad:
        handler(b"\x00garbage")
    with pytest.raises(Exception) as unknown:
        handler(_request(target="nope"))
    status, text = error_response(bad.value)
    assert status == 400 and text.startswith("Bad request: the request body")
    status, text = error_response(unknown.value)
    assert status == 404 and text.startswith("Unknown function: unknown function type 'a/nope'")


# --- the body limit, whatever the transfer encoding -------------------------------------------


def _chunked_environ(body: bytes) -> dict[str, TypingAny]:
    """The WSGI environ a server builds for a chunked request: no CONTENT_LENGTH, the body
    de-chunked in wsgi.input, and wsgi.input_terminated set (gunicorn and Werkzeug do)."""
    environ = EnvironBuilder(method="POST", path="/statefun").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["CONTENT_TYPE"] = "application/octet-stream"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = True
    return environ


def _wsgi(app: TypingAny, environ: dict[str, TypingAny]) -> tuple[int, bytes]:
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), b"".join(body)


def test_a_chunked_body_over_the_limit_is_413_and_nothing_runs() -> None:
    """The data-loss bug: Werkzeug's limited stream stopped at the limit without a word, and a
    body cut between two merged ToFunction messages decoded as a smaller batch: 200, and the
    messages past the cut were gone."""
    first, second = _halves(40)
    calls: list[str] = []
    app = flask_app(_functions(calls), max_request_bytes=len(first))

    status, body = _wsgi(app, _chunked_environ(first + second))

    assert status == 413
    assert f"over the {len(first)} byte limit; nothing was run" in body.decode()
    assert calls == []


@pytest.mark.parametrize("over", [1, 2, 1000])
def test_a_chunked_body_just_over_the_limit_is_413(over: int) -> None:
    request = _batch(["m"] * 20)
    calls: list[str] = []
    app = flask_app(_functions(calls), max_request_bytes=len(request) - over)
    assert _wsgi(app, _chunked_environ(request))[0] == 413
    assert calls == []


def test_a_chunked_body_at_the_limit_is_served_whole() -> None:
    first, second = _halves(40)
    calls: list[str] = []
    app = flask_app(_functions(calls), max_request_bytes=len(first + second))

    status, body = _wsgi(app, _chunked_environ(first + second))

    assert status == 200
    assert calls == [f"m{i}" for i in range(40)]
    assert len(decode_response(body).messages) == 40


@pytest.mark.parametrize(("size_over_limit", "status"), [(-1, 200), (0, 200), (1, 413), (5, 413)])
def test_a_content_length_body_around_the_limit(size_over_limit: int, status: int) -> None:
    request = _batch(["m"] * 20)
    calls: list[str] = []
    client = flask_app(
        _functions(calls), max_request_bytes=len(request) - size_over_limit
    ).test_client()
    response = client.post("/statefun", data=request)
    assert response.status_code == status
    assert len(calls) == (20 if status == 200 else 0)


@pytest.fixture
def werkzeug_server() -> Iterator[tuple[TypingAny, list[str], int]]:
    """flask_app (limit: the first half of a 40-message request) behind Werkzeug's threaded
    server on a free loopback port: a real socket, real chunked decoding."""
    from werkzeug.serving import make_server

    first, _ = _halves(40)
    calls: list[str] = []
    server = make_server(
        "127.0.0.1", 0, flask_app(_functions(calls), max_request_bytes=len(first)), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, calls, len(first)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _post_chunked(port: int, parts: list[bytes]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            "/statefun",
            body=iter(parts),
            headers={"Content-Type": "application/octet-stream"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_over_a_real_socket_a_chunked_body_over_the_limit_is_413(
    werkzeug_server: tuple[TypingAny, list[str], int],
) -> None:
    server, calls, _ = werkzeug_server
    first, second = _halves(40)
    status, body = _post_chunked(server.server_port, [first[:100], first[100:], second])
    assert status == 413, body
    assert calls == []
    status, body = _post_chunked(server.server_port, [first[:7], first[7:]])  # exactly the limit
    assert status == 200, body
    assert calls == [f"m{i}" for i in range(20)]


# --- aiohttp -----------------------------------------------------------------------------------


async def _aiohttp_post(
    app: TypingAny, body: bytes | list[bytes], *, chunked: bool = False
) -> tuple[int, str, bytes]:
    from aiohttp.test_utils import TestClient, TestServer

    async def parts() -> AsyncIterator[bytes]:
        for part in body if isinstance(body, list) else [body]:
            yield part

    async with TestClient(TestServer(app)) as http_client:
        data: TypingAny = parts() if chunked else body
        response = await http_client.post("/statefun", data=data)
        if chunked:
            assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        return response.status, response.headers["Content-Type"], await response.read()


def test_aiohttp_app_maps_the_same_errors() -> None:
    async def scenario() -> list[tuple[int, str, bytes]]:
        app = aiohttp_app(_functions(), max_request_bytes=LIMIT)
        return [
            await _aiohttp_post(app, body)
            for body in (
                _request(),
                b"\x00garbage",
                _request(target="nope"),
                _request("fail"),
                _request("x" * 2000),
            )
        ]

    ok, bad, unknown, failed, big = asyncio.run(scenario())
    assert ok[:2] == (200, "application/octet-stream")
    assert len(decode_response(ok[2]).messages) == 1
    assert bad[0] == 400 and b"not a serialized ToFunction" in bad[2]
    assert unknown[0] == 404
    assert failed[0] == 500 and b"the function failed on purpose" not in failed[2]
    assert failed[2].startswith(b"The function raised an error; see the server log for error id")
    assert big[0] == 413 and b"1024 byte limit" in big[2]


def test_aiohttp_app_logs_a_function_error_once_with_its_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    status, _, body = asyncio.run(_aiohttp_post(aiohttp_app(_functions()), _request("leak")))

    assert status == 500 and SECRET.encode() not in body
    (record,) = _function_errors(caplog)
    assert record.name == "statefun.serving"
    assert _error_id(body.decode()) in record.getMessage()
    assert record.exc_info is not None
    logged = "".join(traceback.format_exception(*record.exc_info))
    assert SECRET in logged and logged.count("while invoking a/echo/1") == 1


def test_aiohttp_app_expose_errors() -> None:
    app = aiohttp_app(_functions(), expose_errors=True)
    body = asyncio.run(_aiohttp_post(app, _request("fail")))[2].decode()
    assert "ValueError: the function failed on purpose\nwhile invoking a/echo/1" in body
    assert body.count("while invoking") == 1


def test_aiohttp_app_chunked_body_over_the_limit_is_413_and_nothing_runs() -> None:
    first, second = _halves(40)
    calls: list[str] = []

    def app() -> TypingAny:  # one per event loop
        return aiohttp_app(_functions(calls), max_request_bytes=len(first))

    status, _, body = asyncio.run(_aiohttp_post(app(), [first, second], chunked=True))
    assert status == 413, body
    assert calls == []

    status, _, body = asyncio.run(_aiohttp_post(app(), [first[:5], first[5:]], chunked=True))
    assert status == 200, body  # exactly the limit
    assert calls == [f"m{i}" for i in range(20)]


@pytest.mark.parametrize(("size_over_limit", "status"), [(0, 200), (1, 413)])
def test_aiohttp_app_content_length_body_around_the_limit(
    size_over_limit: int, status: int
) -> None:
    request = _batch(["m"] * 20)
    calls: list[str] = []
    app = aiohttp_app(_functions(calls), max_request_bytes=len(request) - size_over_limit)
    assert asyncio.run(_aiohttp_post(app, request))[0] == status
    assert len(calls) == (20 if status == 200 else 0)


# --- the walkthrough's own view ----------------------------------------------------------------


def test_the_walkthrough_flask_code_works_as_it_is() -> None:
    from flask import Flask, make_response, request

    from statefun import RequestReplyHandler

    handler = RequestReplyHandler(_functions())
    app = Flask(__name__)

    @app.route("/statefun", methods=["POST"])
    def handle():  # type: ignore[no-untyped-def]
        response_data = handler(request.data)
        response = make_response(response_data)
        response.headers.set("Content-Type", "application/octet-stream")
        return response

    response = app.test_client().post("/statefun", data=_request())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert len(decode_response(response.data).messages) == 1
