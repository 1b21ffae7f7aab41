"""How the local runtime moves a request to a function and its response back.

One small interface, several implementations (as httpx does): in-process through the SDK's
handler, through a WSGI app with no sockets, over real HTTP to an endpoint of module.yaml, and
a scripted one for tests. A transport makes one attempt; the runtime applies the retry policy
of spec §3.4. :class:`Transport` is the whole contract.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import io
import socket
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any as _TypingAny
from typing import NamedTuple

from statefun.core import StatefulFunctions
from statefun.errors import ArgumentTypeError, InvalidArgumentError, TransportError
from statefun.local.effects import Effects, from_context
from statefun.request_reply import (
    AsyncRequestReplyHandler,
    BatchContext,
    InvocationContext,
    RequestReplyHandler,
    build_response,
)
from statefun.serving import CONTENT_TYPE, error_response

__all__ = [
    "CONTENT_TYPE",
    "Attempt",
    "HttpTransport",
    "InProcessTransport",
    "MockTransport",
    "Transport",
    "TransportError",
    "WSGITransport",
]


class Attempt(NamedTuple):
    """What one attempt got back: an HTTP status, the response content type and body."""

    status: int
    content_type: str | None
    body: bytes


class Transport:
    """How the runtime reaches a function: one request in, what came back out.

    Subclass it and implement :meth:`send`; a transport that can hand over the effects without
    a wire also overrides :meth:`call` (the in-process one does). The runtime only ever calls
    :meth:`call` and :meth:`describe`, and never asks which transport it holds, so a transport
    that wraps another (to record, delay or fail requests) forwards :meth:`call` to take the
    same path as the one it wraps. An object that has ``send`` and ``describe`` but does not
    subclass this (the 2.x-era duck type) is accepted too and called through ``send``.
    """

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        """Make one attempt at a request and return the HTTP answer, whatever its status.

        :arg typename: the function type (``namespace/type``) the request is for.
        :arg request: a serialized ``ToFunction`` holding one ``InvocationBatchRequest``.
        :arg timeout: the function's total ``timeout`` from module.yaml; a transport bounds
            its own connect and read waits by it.
        :returns: the status, content type and body of the answer (any status: the runtime
            decides what is a success, what it retries and what fails the job).
        :raises TransportError: when there is no HTTP answer: ``retryable`` for what a retry
            may cure (refused, reset, timed out), not ``retryable`` for what it cannot.
        """
        raise NotImplementedError

    def call(self, typename: str, request: bytes, timeout: timedelta) -> Attempt | Effects:
        """:meth:`send`, or the response's :class:`~statefun.local.effects.Effects` directly.

        The runtime's fast path: effects need no status or content-type checks and no
        decoding. The default sends.
        """
        return self.send(typename, request, timeout)

    def describe(self) -> str:
        """A few words for the trace: ``in-process``, ``HTTP http://...``."""
        return type(self).__name__


class InProcessTransport(Transport):
    """Calls the functions in this Python process through the SDK's request-reply handler.

    An exception raised by a function is not turned into HTTP 500: it propagates as a
    ``TransportError`` (not retried: the same batch would raise again) so the runtime can report
    the function's own exception. One that a function server answers with 400 or 404 (a
    payload that does not decode, an unbound function type) fails at once as well, as the
    runtime does on those statuses, and is worded as the SDK refusing the request.
    """

    def __init__(self, functions: StatefulFunctions) -> None:
        if not isinstance(functions, StatefulFunctions):
            raise ArgumentTypeError(
                f"functions must be a StatefulFunctions, got {type(functions).__name__}"
            )
        self.functions = functions

    def describe(self) -> str:
        return "in-process"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        """The response bytes, as a function server would answer."""
        return Attempt(200, CONTENT_TYPE, build_response(self.invoke(typename, request)))

    def call(self, typename: str, request: bytes, timeout: timedelta) -> Effects:
        """The effects, read from the SDK's context without serializing a response."""
        return from_context(self.invoke(typename, request))

    def invoke(self, typename: str, request: bytes) -> BatchContext:
        """Run the request through the SDK and return the context holding its effects.

        The request goes through the SDK as bytes, like from the runtime; the effects are read
        from the context (the runtime need not serialise and reparse the response: the SDK's
        ``build_response`` writes exactly these effects, which its own tests pin down).
        """
        ic = InvocationContext(self.functions)
        try:
            ic.setup(request)
            if ic.target_function.is_async:
                _run_coroutine(lambda: AsyncRequestReplyHandler.handle_invocation(ic))
            else:
                RequestReplyHandler.handle_invocation(ic)
        except Exception as e:
            raise TransportError(_in_process_failure(e), retryable=False, cause=e) from e
        return ic.context


def _in_process_failure(error: Exception) -> str:
    """What went wrong, worded by the status a function server would answer (serving.py)."""
    status, _ = error_response(error, expose_errors=False)  # the status only: no env read
    if status == 500:
        return f"the function raised {type(error).__name__}: {error}"
    # 400 (a payload that does not decode, a bad request) or 404 (an unbound function type):
    # the SDK refused the request, and the function may not have run at all.
    return (
        f"the SDK refused the request with HTTP {status}, which the runtime does not retry: "
        f"{type(error).__name__}: {error}"
    )


def _run_coroutine(make: Callable[[], _TypingAny]) -> object:
    """Run a coroutine to completion, also when this thread already runs a loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="statefun-async") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class WSGITransport(Transport):
    """POSTs to a WSGI app (e.g. the walkthrough's Flask ``app``) in this process, no sockets."""

    def __init__(self, app: Callable[..., Iterable[bytes]], path: str = "/statefun") -> None:
        self.app = app
        self.path = path

    def describe(self) -> str:
        return f"WSGI app {getattr(self.app, 'name', type(self.app).__name__)!s} {self.path}"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "statefun-lab.local",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": CONTENT_TYPE,
            "CONTENT_LENGTH": str(len(request)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        started: list[_TypingAny] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]
            started[:] = [status, headers]
            return lambda data: None

        try:
            chunks = self.app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception as e:  # a WSGI server would answer 500
            raise TransportError(
                f"the WSGI app raised {type(e).__name__}: {e}", retryable=True, cause=e
            ) from e
        status, headers = started
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        return Attempt(int(status.split()[0]), content_type, body)


class HttpTransport(Transport):
    """POSTs over real HTTP to an endpoint (``http``, ``https``, ``http+unix``, ``https+unix``)."""

    def __init__(
        self,
        endpoint: str,
        *,
        connect_timeout: timedelta = timedelta(seconds=10),
        read_timeout: timedelta = timedelta(seconds=10),
    ) -> None:
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout.total_seconds()
        self.read_timeout = read_timeout.total_seconds()
        url = urllib.parse.urlsplit(endpoint)
        self._scheme = url.scheme
        if url.scheme in ("http", "https"):
            self._host = url.hostname or "localhost"
            self._port = url.port
            self._path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            self._socket_path = None
        elif url.scheme in ("http+unix", "https+unix"):
            # http+unix:///path/to/x.sock/statefun: the segment ending in .sock is the socket
            parts = url.path.split("/")
            index = next((i for i, p in enumerate(parts) if p.endswith(".sock")), None)
            if index is None:
                raise InvalidArgumentError(
                    f"{endpoint}: a UNIX endpoint needs a path segment ending in .sock"
                )
            self._socket_path = "/".join(parts[: index + 1])
            self._path = "/" + "/".join(parts[index + 1 :])
            self._host, self._port = "localhost", None
        else:
            raise InvalidArgumentError(
                f"{endpoint}: the scheme must be http, https, http+unix or https+unix"
            )

    def describe(self) -> str:
        return f"HTTP {self.endpoint}"

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._socket_path is not None:
            return _UnixConnection(self._socket_path, timeout)
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        limit = min(timeout.total_seconds(), max(self.connect_timeout, self.read_timeout))
        connection = self._connection(min(self.connect_timeout, limit))
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(min(self.read_timeout, limit))
            connection.request(
                "POST", self._path, body=request, headers={"Content-Type": CONTENT_TYPE}
            )
            response = connection.getresponse()
            body = response.read()
            return Attempt(response.status, response.getheader("Content-Type"), body)
        except (OSError, http.client.HTTPException) as e:
            raise TransportError(
                f"{type(e).__name__} calling {self.endpoint}: {e}", retryable=True, cause=e
            ) from e
        finally:
            connection.close()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._unix_path)
        self.sock = sock


class MockTransport(Transport):
    """Answers from a script instead of calling a function, to play one in tests.

    Each attempt takes the next answer of the script (the last one repeats): an
    :class:`Attempt` is returned, an exception raised (a :class:`TransportError` for a
    failure without an HTTP answer); a callable is called with ``(typename, request)`` and its
    result used the same way. :attr:`requests` keeps every request sent, in order.

    >>> from statefun.request_reply_pb2 import FromFunction
    >>> ok = Attempt(200, CONTENT_TYPE, FromFunction().SerializeToString())
    >>> mock = MockTransport(TransportError("connection refused"), ok)
    >>> mock.send("example/greeter", b"", timedelta(seconds=1))
    Traceback (most recent call last):
      ...
    statefun.errors.TransportError: connection refused
    >>> mock.send("example/greeter", b"", timedelta(seconds=1)).status
    200
    >>> len(mock.requests)
    2
    """

    def __init__(
        self,
        *answers: Attempt | BaseException | Callable[[str, bytes], Attempt],
        name: str = "mock",
    ) -> None:
        if not answers:
            raise InvalidArgumentError("MockTransport needs at least one answer")
        self.answers = list(answers)
        self.name = name
        #: ``(typename, request)`` of every attempt, in order.
        self.requests: list[tuple[str, bytes]] = []

    def describe(self) -> str:
        return self.name

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        self.requests.append((typename, request))
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if not isinstance(answer, Attempt | BaseException):
            answer = answer(typename, request)
        if isinstance(answer, BaseException):
            raise answer
        return answer
