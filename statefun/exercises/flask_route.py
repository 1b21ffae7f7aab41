"""Step 5, wiring it together: the Flask route that hands the runtime's requests to the handler.

``check_step_5(app)`` posts the repository's golden request (Jerry's first visit, spec §1.2) to
the learner's Flask app with Flask's test client, as the runtime would, and checks the status,
the ``Content-Type`` and the bytes; then Jerry's second visit (with his state), so an app that
answers every request with the same bytes does not pass.
"""

from __future__ import annotations

import importlib
import traceback
from typing import Any, NoReturn

from statefun.exercises._harness import Verdict, verdict
from statefun.exercises._repo import messages
from statefun.exercises.attempt import is_placeholder
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult, Status
from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["EXERCISE", "GOLDEN_REQUEST", "GOLDEN_RESPONSE", "check_step_5"]

PATH = "/statefun"
CONTENT_TYPE = "application/octet-stream"

# The exercise's copy of the golden exchange (an installed package has no tests/); the tests'
# tests/support/golden.py is the independent oracle it is checked against.
#: What the runtime sends for Jerry's first visit (example/greeter, no seen_count yet, the
#: ingress's typeUrl verbatim): the golden request of spec §1.2.
GOLDEN_REQUEST = bytes.fromhex(
    "a2065b0a190a076578616d706c651207677265657465721a054a65727279120c0a0a7365656e5f636f756e74"
    "1a30122e0a23636f6d2e676f6f676c65617069732f6578616d706c652e47726565745265717565737412070a"
    "054a65727279"
)
#: The walkthrough greeter's answer, as the upstream 2.2.2 SDK gives it: seen_count=1 and
#: "Welcome Jerry" to the greetings topic.
GOLDEN_RESPONSE = bytes.fromhex(
    "a206cb010a3b0801120a7365656e5f636f756e741a2b0a25747970652e676f6f676c65617069732e636f6d2f"
    "6578616d706c652e5365656e436f756e7412020801228b010a076578616d706c6512066772656574731a780a"
    "4a747970652e676f6f676c65617069732e636f6d2f6f72672e6170616368652e666c696e6b2e737461746566"
    "756e2e666c696e6b2e696f2e4b61666b6150726f64756365725265636f7264122a0a054a6572727912160a05"
    "4a65727279120d57656c636f6d65204a657272791a096772656574696e6773"
)

STARTER = """\
app = Flask(__name__)

# en: Add the route the runtime calls (greeter.py has one; write yours without looking):
# en: 1. Flask runs it for POST requests on the path of the endpoint in module.yaml.
# en: 2. It hands the body of the request, as bytes, to handler; handler returns bytes.
# en: 3. It answers with those bytes, with the Content-Type the runtime accepts.
# zh: 加上运行时调用的路由（greeter.py 里有一个；请不看它自己写）：
# zh: 1. Flask 对 module.yaml 中端点路径上的 POST 请求调用它。
# zh: 2. 它把请求体（字节）交给 handler；handler 返回字节。
# zh: 3. 它用这些字节作答，并带上运行时接受的 Content-Type。
"""

SOLUTION = """\
app = Flask(__name__)


@app.route("/statefun", methods=["POST"])
def handle():
    response_data = handler(request.data)
    response = make_response(response_data)
    response.headers.set("Content-Type", "application/octet-stream")
    return response
"""

PREAMBLE = """\
import greeter
from flask import Flask, make_response, request
from statefun import RequestReplyHandler

handler = RequestReplyHandler(greeter.functions)
"""

HINTS = (
    N_(
        "The runtime POSTs to the endpoint of module.yaml, http://python-worker:8000/statefun: "
        "the route is the path /statefun, for the method POST. The handler does the protocol; "
        "the route only moves bytes in and out."
    ),
    N_(
        "request.data is the body as bytes. Flask answers a returned bytes object as "
        "text/html; make_response(data) gives a response whose headers you can set: "
        "response.headers.set('Content-Type', 'application/octet-stream')."
    ),
    N_(
        '@app.route("/statefun", methods=["POST"]) above def handle(): response = '
        "make_response(handler(request.data)); response.headers.set('Content-Type', "
        "'application/octet-stream'); return response"
    ),
)


def _wrong(message: str) -> NoReturn:
    raise Verdict(CheckResult(5, Status.WRONG, message))


def _not_attempted(message: str) -> NoReturn:
    raise Verdict(CheckResult(5, Status.NOT_ATTEMPTED, message))


def _second_visit() -> tuple[bytes, bytes]:
    """Jerry's second request (his seen_count=1 comes with it) and the greeter's answer."""
    from statefun.request_reply import RequestReplyHandler
    from statefun.testing import InvocationBuilder

    msgs = messages()
    greeter = importlib.import_module("greeter")
    request = (
        InvocationBuilder()
        .with_target("example", "greeter", "Jerry")
        .with_state("seen_count", msgs.SeenCount(seen=1))
        .with_invocation(
            msgs.GreetRequest(name="Jerry"), type_url="com.googleapis/example.GreetRequest"
        )
        .SerializeToString()
    )
    return request, RequestReplyHandler(greeter.functions)(request)


def _routes(app: Any) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _where(error: BaseException) -> str:
    """The last line of a notebook cell (or of the learner's file) the exception passed."""
    line = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith("<") or "ipykernel" in frame.filename:
            line = (frame.line or "").strip()
    return line


def _post(app: Any, body: bytes, what: str) -> Any:
    client = app.test_client()
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = True  # an exception reaches us, not an HTML 500
    try:
        return client.post(PATH, data=body, headers={"Content-Type": CONTENT_TYPE})
    except Exception as error:  # the learner's route raised: explain it
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        line = _where(error)
        fmt = {"what": what, "error": text, "line": line}
        if isinstance(error, TypeError) and "bytes" in str(error):
            _wrong(
                _(
                    "POST {path} with {what}: handler got text, not bytes ({error}). Pass the "
                    "body as bytes: request.data."
                ).format(path=PATH, **fmt)
            )
        if line:
            _wrong(_("POST {path} with {what}: `{line}` raised {error}").format(path=PATH, **fmt))
        _wrong(_("POST {path} with {what}: your route raised {error}").format(path=PATH, **fmt))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate


def _expect(app: Any, reply: Any, expected: bytes, what: str) -> None:
    fmt = {"what": what, "path": PATH, "status": reply.status, "content_type": CONTENT_TYPE}
    _expect_status(app, reply.status_code, fmt)
    _expect_body(reply.get_data(), expected, fmt)
    _expect_content_type(reply.headers.get("Content-Type", ""), fmt)


def _expect_status(app: Any, status_code: int, fmt: dict[str, str]) -> None:
    """200: the route is on the endpoint's path, takes POST and reads the body as bytes."""
    if status_code == 404:
        paths = ", ".join(sorted({rule.rule for rule in _routes(app)}))
        _wrong(
            _(
                "POST {path} with {what} answered {status}: your app serves {paths}. The "
                "runtime POSTs to the path of the endpoint in module.yaml "
                "(http://python-worker:8000/statefun): {path}."
            ).format(paths=paths, **fmt)
        )
    if status_code == 405:
        _wrong(
            _(
                "POST {path} with {what} answered {status}: the route does not accept POST "
                "(Flask routes take GET unless told). The runtime POSTs: "
                '@app.route("/statefun", methods=["POST"]).'
            ).format(**fmt)
        )
    if status_code in (400, 415):
        _wrong(
            _(
                "POST {path} with {what} answered {status}: the route read the body as JSON or "
                "a form. It is protobuf bytes: pass request.data to handler."
            ).format(**fmt)
        )
    if status_code != 200:
        _wrong(
            _(
                "POST {path} with {what} answered {status}; the runtime counts anything but 200 "
                "as a failed request and retries it until the function's timeout. Answer 200 "
                "with the handler's bytes."
            ).format(**fmt)
        )


def _expect_body(body: bytes, expected: bytes, fmt: dict[str, str]) -> None:
    """The answer is the handler's bytes, unchanged."""
    if body != expected:
        if not body:
            _wrong(
                _(
                    "POST {path} with {what} answered 200 with an empty body. Answer with the "
                    "bytes handler returned."
                ).format(**fmt)
            )
        if body.decode("latin-1").replace(" ", "") == expected.hex():
            _wrong(
                _(
                    "POST {path} with {what} answered with the hex text of the response; "
                    "answer with the bytes themselves."
                ).format(**fmt)
            )
        if body == repr(expected).encode():
            _wrong(
                _(
                    "POST {path} with {what} answered with the text \"b'...'\", str() of the "
                    "bytes; answer with the bytes themselves, make_response(response_data)."
                ).format(**fmt)
            )
        if body == GOLDEN_RESPONSE:
            _wrong(
                _(
                    "POST {path} with {what} answered with the golden response, the answer to "
                    "Jerry's first visit: the route must pass each request to handler."
                ).format(**fmt)
            )
        _wrong(
            _(
                "POST {path} with {what} answered {got} bytes, not the {expected} bytes handler "
                "returns for it. Pass the request's body to handler unchanged and answer with "
                "its bytes unchanged."
            ).format(got=len(body), expected=len(expected), **fmt)
        )


def _expect_content_type(got: str, fmt: dict[str, str]) -> None:
    """The Content-Type is exactly the one the runtime accepts."""
    if got != CONTENT_TYPE:
        if got.split(";")[0].strip() == CONTENT_TYPE:
            _wrong(
                _(
                    "POST {path} with {what} answered the right bytes with the Content-Type "
                    "{got!r}: the runtime accepts exactly {content_type!r}, without parameters "
                    "such as charset."
                ).format(got=got, **fmt)
            )
        _wrong(
            _(
                "POST {path} with {what} answered the right bytes with the Content-Type {got!r} "
                "(Flask's default), which the runtime rejects. Set it: "
                "response.headers.set('Content-Type', {content_type!r})."
            ).format(got=got or _("none"), **fmt)
        )


def _check(app: object) -> str:
    from flask import Flask

    if app is Ellipsis or app is None:
        _not_attempted(_("pass your Flask app: check_step_5(app)."))
    if not isinstance(app, Flask):
        _wrong(
            _("`check_step_5` takes your Flask app (app = Flask(__name__)), got a {type}.").format(
                type=type(app).__name__
            )
        )
    routes = _routes(app)
    if not routes:
        _not_attempted(
            _(
                "your app has no route yet: put @app.route(...) above a function that answers "
                "the runtime, run that cell, then run this check."
            )
        )
    views = [app.view_functions.get(rule.endpoint) for rule in routes]
    if all(view is not None and is_placeholder(view) for view in views):
        _not_attempted(
            _("your route's function is still empty: write its body, then run this check.")
        )
    first = _("Jerry's first visit (the golden request)")
    _expect(app, _post(app, GOLDEN_REQUEST, first), GOLDEN_RESPONSE, first)
    second_request, second_response = _second_visit()
    second = _("Jerry's second visit")
    _expect(app, _post(app, second_request, second), second_response, second)
    return _(
        "POST /statefun answered 200, Content-Type application/octet-stream, with the golden "
        "response's {size} bytes for Jerry's first visit, and with the handler's own answer "
        "for his second."
    ).format(size=len(GOLDEN_RESPONSE))


def check_step_5(app: object = ...) -> CheckResult:
    """Check step 5: ``check_step_5(app)`` posts the golden request to your Flask app."""
    return verdict(5, lambda: _check(app))


EXERCISE = Exercise(
    step=5,
    title=N_("the Flask route"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_5,
    answers=("app",),
)
