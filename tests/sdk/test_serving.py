"""statefun.serving: the Flask and aiohttp helpers map errors the way the runtime expects."""

from __future__ import annotations

import asyncio
from typing import Any as TypingAny

import pytest
from sdk_test_pb2 import Hello

from statefun import StatefulFunctions
from statefun.serving import aiohttp_app, flask_app
from statefun.testing import InvocationBuilder, decode_response


def _functions() -> StatefulFunctions:
    fns = StatefulFunctions()

    @fns.bind("a/echo")
    def echo(context, message: Hello):  # type: ignore[no-untyped-def]
        if message.world == "fail":
            raise ValueError("the function failed on purpose")
        context.pack_and_send("a/g", "1", message)

    return fns


def _request(world: str = "w", target: str = "echo") -> bytes:
    return (
        InvocationBuilder()
        .with_target("a", target, "1")
        .with_invocation(Hello(world=world))
        .SerializeToString()
    )


@pytest.fixture
def client() -> TypingAny:
    return flask_app(_functions(), max_request_bytes=1024).test_client()


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


def test_function_error_is_500_with_the_functions_message(client: TypingAny) -> None:
    response = client.post("/statefun", data=_request("fail"))
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "ValueError: the function failed on purpose" in text
    assert "while invoking a/echo/1" in text


def test_body_over_the_limit_is_413(client: TypingAny) -> None:
    response = client.post("/statefun", data=_request("x" * 2000))
    assert response.status_code == 413
    assert "1024 byte limit" in response.get_data(as_text=True)


def test_only_post_on_the_path(client: TypingAny) -> None:
    assert client.get("/statefun").status_code == 405
    assert client.post("/other", data=_request()).status_code == 404


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


def test_aiohttp_app_maps_the_same_errors() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    async def scenario() -> list[tuple[int, str, bytes]]:
        app = aiohttp_app(_functions(), max_request_bytes=1024)
        async with TestClient(TestServer(app)) as http:
            out = []
            for body in (
                _request(),
                b"\x00garbage",
                _request(target="nope"),
                _request("fail"),
                _request("x" * 2000),
            ):
                response = await http.post("/statefun", data=body)
                out.append(
                    (response.status, response.headers["Content-Type"], await response.read())
                )
            return out

    ok, bad, unknown, failed, big = asyncio.run(scenario())
    assert ok[:2] == (200, "application/octet-stream")
    assert len(decode_response(ok[2]).messages) == 1
    assert bad[0] == 400 and b"not a serialized ToFunction" in bad[2]
    assert unknown[0] == 404
    assert failed[0] == 500 and b"the function failed on purpose" in failed[2]
    assert big[0] == 413
