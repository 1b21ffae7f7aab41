"""Serve a ``StatefulFunctions`` over HTTP the way the Flink StateFun runtime expects.

``flask_app(functions)`` builds a Flask (WSGI) app for the synchronous handler and
``aiohttp_app(functions)`` an aiohttp app for the async one. Both map errors to the status codes
the runtime acts on:

=====================================  ======  ==============================================
situation                              status  what the runtime does (spec §3.4)
=====================================  ======  ==============================================
success                                200     ``Content-Type: application/octet-stream``
request that cannot be decoded         400     fails at once, no retry
unknown function type                  404     fails at once, no retry
the function raised                    500     retries until its ``timeout``, then fails
body over ``max_request_bytes``        413     fails at once, no retry
=====================================  ======  ==============================================

Error bodies are plain text (``text/plain; charset=utf-8``) with the reason.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from statefun.core import StatefulFunctions
from statefun.errors import InvalidRequestError, UnknownFunctionError
from statefun.request_reply import AsyncRequestReplyHandler, RequestReplyHandler

if TYPE_CHECKING:
    from aiohttp import web
    from flask import Flask

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_MAX_REQUEST_BYTES",
    "aiohttp_app",
    "error_response",
    "flask_app",
]

CONTENT_TYPE = "application/octet-stream"
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024


def error_response(error: BaseException) -> tuple[int, str]:
    """The HTTP status and plain-text body for an error raised by a handler."""
    if isinstance(error, InvalidRequestError):
        return 400, f"Bad request: {error}\n"
    if isinstance(error, UnknownFunctionError):
        return 404, f"Unknown function: {error}\n"
    text = "".join(traceback.format_exception_only(error)).strip()
    notes = getattr(error, "__notes__", None) or []
    where = f" ({'; '.join(notes)})" if notes else ""
    return 500, f"The function raised an error{where}: {text}\n"


def flask_app(
    functions: StatefulFunctions,
    path: str = "/statefun",
    *,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    name: str = "statefun",
) -> Flask:
    """A Flask app answering StateFun requests on ``POST path``; run it with gunicorn."""
    from flask import Flask, Response, request
    from werkzeug.exceptions import RequestEntityTooLarge

    handler = RequestReplyHandler(functions)
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes

    def _text(status: int, body: str) -> Response:
        return Response(body, status=status, content_type="text/plain; charset=utf-8")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> Response:
        return _text(
            413,
            f"Request too large: the body is over the {max_request_bytes} byte limit; raise "
            f"max_request_bytes or lower maxNumBatchRequests in module.yaml.\n",
        )

    @app.post(path)
    def handle() -> Response:
        data = request.get_data()  # over the limit: RequestEntityTooLarge, answered 413 above
        try:
            body = handler(data)
        except Exception as e:  # every error becomes the status the runtime expects
            status, text = error_response(e)
            if status == 500:
                app.logger.exception("a StateFun function raised an error")
            return _text(status, text)
        return Response(body, status=200, content_type=CONTENT_TYPE)

    return app


def aiohttp_app(
    functions: StatefulFunctions,
    path: str = "/statefun",
    *,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> web.Application:
    """An aiohttp app answering StateFun requests through ``AsyncRequestReplyHandler``.

    Run it with ``aiohttp.web.run_app(app, port=8000)`` or gunicorn's
    ``aiohttp.GunicornWebWorker``.
    """
    from aiohttp import web

    handler = AsyncRequestReplyHandler(functions)

    def _text(status: int, body: str) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/plain")

    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_request_bytes:
            return _text(
                413,
                f"Request too large: the body is over the {max_request_bytes} byte limit.\n",
            )
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _text(
                413,
                f"Request too large: the body is over the {max_request_bytes} byte limit.\n",
            )
        try:
            body = await handler(data)
        except Exception as e:
            return _text(*error_response(e))
        return web.Response(status=200, body=body, content_type=CONTENT_TYPE)

    app = web.Application(client_max_size=max_request_bytes)
    app.router.add_post(path, handle)
    return app
