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

Error bodies are plain text (``text/plain; charset=utf-8``). 400, 404 and 413 say what was wrong
with the request. A 500 says only that the function raised and gives an error id: the exception
and its traceback are logged on the server under that id, once, and stay there, because an
exception's text can hold anything the function had at hand (a password in a connection string,
a customer's record). For development, ``expose_errors=True`` (or ``STATEFUN_EXPOSE_ERRORS=1`` in
the environment) puts the exception in the 500 body as well.

The body limit holds whatever the transfer encoding: a body over ``max_request_bytes`` is answered
413 and the function never runs, with a ``Content-Length`` or chunked.
"""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from typing import TYPE_CHECKING

from statefun.core import StatefulFunctions
from statefun.errors import InvalidRequestError, ServingConfigError, UnknownFunctionError
from statefun.extras import require
from statefun.request_reply import AsyncRequestReplyHandler, RequestReplyHandler

if TYPE_CHECKING:
    from aiohttp import web
    from flask import Flask

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_MAX_REQUEST_BYTES",
    "EXPOSE_ERRORS_ENV",
    "aiohttp_app",
    "error_response",
    "flask_app",
]

CONTENT_TYPE = "application/octet-stream"
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
EXPOSE_ERRORS_ENV = "STATEFUN_EXPOSE_ERRORS"
"""The environment variable that turns ``expose_errors`` on when it is not given: ``1``/``true``."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})

# aiohttp_app logs here; flask_app logs on its Flask app's logger (Flask's convention, shown
# even when logging is not configured).
_log = logging.getLogger(__name__)


def _expose_errors_from_env() -> bool:
    raw = os.environ.get(EXPOSE_ERRORS_ENV, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ServingConfigError(
        f"{EXPOSE_ERRORS_ENV}={raw!r} is neither on nor off: set it to 1 (the 500 body shows the "
        f"function's exception, for development) or 0 / leave it unset (the body gives only an "
        f"error id, the exception is in the server log)."
    )


def _resolve_expose_errors(expose_errors: bool | None) -> bool:
    if expose_errors is None:
        return _expose_errors_from_env()
    if not isinstance(expose_errors, bool):
        raise ServingConfigError(
            f"expose_errors={expose_errors!r}: pass True, False or None (None reads "
            f"{EXPOSE_ERRORS_ENV} from the environment)."
        )
    return expose_errors


def _check_max_request_bytes(max_request_bytes: int) -> int:
    if (
        not isinstance(max_request_bytes, int)
        or isinstance(max_request_bytes, bool)
        or max_request_bytes < 1
    ):
        raise ServingConfigError(
            f"max_request_bytes={max_request_bytes!r}: it is the largest request body accepted, "
            f"a positive number of bytes (default {DEFAULT_MAX_REQUEST_BYTES}, 16 MiB)."
        )
    return max_request_bytes


def _status(error: BaseException) -> int:
    if isinstance(error, InvalidRequestError):
        return 400
    if isinstance(error, UnknownFunctionError):
        return 404
    return 500


def error_response(
    error: BaseException, *, expose_errors: bool | None = None, error_id: str | None = None
) -> tuple[int, str]:
    """The HTTP status and plain-text body for an error raised by a handler.

    400 and 404 say what is wrong with the request. A 500 body names no detail of the
    exception unless ``expose_errors`` is true (None: the ``STATEFUN_EXPOSE_ERRORS`` environment
    variable decides); it points to the server log, with ``error_id`` when one is given. Log the
    exception there yourself, with that id (``flask_app`` and ``aiohttp_app`` do).
    """
    status = _status(error)
    if status == 400:
        return 400, f"Bad request: {error}\n"
    if status == 404:
        return 404, f"Unknown function: {error}\n"
    if _resolve_expose_errors(expose_errors):
        # format_exception_only includes the exception's notes ("while invoking ..."), once.
        detail = "".join(traceback.format_exception_only(error)).rstrip("\n")
        where = f" (error id {error_id})" if error_id else ""
        return 500, f"The function raised an error{where}: {detail}\n"
    if error_id:
        return 500, f"The function raised an error; see the server log for error id {error_id}.\n"
    return 500, "The function raised an error; see the server log.\n"


def _answer_error(error: Exception, expose_errors: bool, logger: logging.Logger) -> tuple[int, str]:
    """The status and body for ``error``; a function's error is logged, traceback included."""
    if _status(error) != 500:
        return error_response(error, expose_errors=expose_errors)
    error_id = secrets.token_hex(6)
    logger.error(
        "a StateFun function raised an error (error id %s), answered 500", error_id, exc_info=error
    )
    return error_response(error, expose_errors=expose_errors, error_id=error_id)


def _too_large_text(max_request_bytes: int) -> str:
    return (
        f"Request too large: the body is over the {max_request_bytes} byte limit; nothing was "
        f"run. Raise max_request_bytes or lower maxNumBatchRequests in module.yaml.\n"
    )


def flask_app(
    functions: StatefulFunctions,
    path: str = "/statefun",
    *,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    name: str = "statefun",
    expose_errors: bool | None = None,
) -> Flask:
    """A Flask app answering StateFun requests on ``POST path``; run it with gunicorn.

    ``expose_errors`` puts a function's exception in the 500 body (None: the
    ``STATEFUN_EXPOSE_ERRORS`` environment variable, read here, decides). Errors are logged on
    ``app.logger``. Under gunicorn, use threads (``--threads``): see the README's serving section.
    """
    require("flask", extra="serve", feature="statefun.serving.flask_app")
    from flask import Flask, Response, request
    from werkzeug.exceptions import RequestEntityTooLarge

    limit = _check_max_request_bytes(max_request_bytes)
    expose = _resolve_expose_errors(expose_errors)
    handler = RequestReplyHandler(functions)
    app = Flask(name)
    # One byte more than the limit, so that a body whose size nobody announced (chunked) is read
    # past the limit when it is over: Werkzeug's limited stream stops silently at this size, and
    # a body cut at exactly the limit would look whole. A Content-Length over it is refused
    # before anything is read.
    app.config["MAX_CONTENT_LENGTH"] = limit + 1

    def _text(status: int, body: str) -> Response:
        return Response(body, status=status, content_type="text/plain; charset=utf-8")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> Response:
        return _text(413, _too_large_text(limit))

    @app.post(path)
    def handle() -> Response:
        data = request.get_data(cache=False)  # Content-Length over limit + 1: 413 above
        if len(data) > limit:
            return _text(413, _too_large_text(limit))
        try:
            body = handler(data)
        except Exception as e:  # every error becomes the status the runtime expects
            return _text(*_answer_error(e, expose, app.logger))
        return Response(body, status=200, content_type=CONTENT_TYPE)

    return app


def aiohttp_app(
    functions: StatefulFunctions,
    path: str = "/statefun",
    *,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    expose_errors: bool | None = None,
) -> web.Application:
    """An aiohttp app answering StateFun requests through ``AsyncRequestReplyHandler``.

    Run it with ``aiohttp.web.run_app(app, host="127.0.0.1", port=8000)`` or gunicorn's
    ``aiohttp.GunicornWebWorker``. ``expose_errors`` as for :func:`flask_app`; errors are logged
    on the ``statefun.serving`` logger.
    """
    require("aiohttp", extra="serve", feature="statefun.serving.aiohttp_app")
    from aiohttp import web

    limit = _check_max_request_bytes(max_request_bytes)
    expose = _resolve_expose_errors(expose_errors)
    handler = AsyncRequestReplyHandler(functions)

    def _text(status: int, body: str) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/plain")

    def _too_large() -> web.Response:
        response = _text(413, _too_large_text(limit))
        # The rest of the body is not read: close rather than drain it for the next request.
        response.force_close()
        return response

    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > limit:
            return _too_large()
        try:
            data = await request.read()  # stops and raises past client_max_size, chunked too
        except web.HTTPRequestEntityTooLarge:
            return _too_large()
        try:
            body = await handler(data)
        except Exception as e:
            return _text(*_answer_error(e, expose, _log))
        return web.Response(status=200, body=body, content_type=CONTENT_TYPE)

    app = web.Application(client_max_size=limit)
    app.router.add_post(path, handle)
    return app
