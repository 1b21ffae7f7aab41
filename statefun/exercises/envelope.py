"""Step 1, events: build a GreetRequest, wrap it in the ``Any`` the ingress builds, read it back.

The learner's answers are values, not a function: ``check_step_1(request, envelope, type_url,
value)``. Each is checked against the real encoding (the message serialized afresh, the
``typeUrl`` of module.yaml), and each typical slip gets its own explanation.
"""

from __future__ import annotations

from typing import NoReturn

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.message import DecodeError, Message

from statefun.exercises._harness import Verdict, verdict
from statefun.exercises._repo import messages, module_spec
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult, Status
from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["EXERCISE", "check_step_1"]

INGRESS = "example/names"
TOPIC = "names"
FULL_NAME = "example.GreetRequest"

STARTER = """\
# en: 1. A GreetRequest for the name "Jerry".
# zh: 1. 名字为 "Jerry" 的 GreetRequest。
request = ...

# en: 2. The envelope the ingress builds from it: a google.protobuf.Any holding the request's
# en:    bytes, with the type URL of module.yaml (route.type_url, above).
# zh: 2. 入口用它构造的信封：一个 google.protobuf.Any，装着请求的字节，
# zh:    类型 URL 取自 module.yaml（上面的 route.type_url）。
envelope = ...

# en: 3. Read the envelope's two fields back: its type URL and its value.
# zh: 3. 从信封里读回它的两个字段：类型 URL 和值。
type_url = ...
value = ...
"""

SOLUTION = """\
request = GreetRequest(name="Jerry")

# en: What the ingress does: the record's value bytes, unchanged, with module.yaml's typeUrl.
# zh: 入口做的事：记录的值字节原样不动，配上 module.yaml 的 typeUrl。
envelope = Any(type_url=route.type_url, value=request.SerializeToString())

type_url = envelope.type_url
value = envelope.value
print(type_url)
print(value, value.hex(" "))
"""

PREAMBLE = """\
from google.protobuf.any_pb2 import Any
from messages_pb2 import GreetRequest
from statefun.local import load_module

route = load_module("module.yaml").ingresses["example/names"].topics[0]
"""

HINTS = (
    N_(
        "A message class is called with its fields as keywords. A google.protobuf.Any is a "
        "message too, with exactly two fields: type_url (text) and value (bytes)."
    ),
    N_(
        "The ingress re-encodes nothing: the Any's value is the bytes of the message, "
        "request.SerializeToString(), and its type_url is module.yaml's typeUrl, verbatim "
        "(route.type_url). Reading them back is reading those two fields."
    ),
    N_(
        'request = GreetRequest(name="Jerry"); envelope = Any(type_url=route.type_url, '
        "value=request.SerializeToString()); type_url = envelope.type_url; value = "
        "envelope.value"
    ),
)


def _wrong(message: str) -> NoReturn:
    raise Verdict(CheckResult(1, Status.WRONG, message))


def _shown(data: bytes) -> str:
    return data.hex(" ") if data else _("no bytes")


def _check_request(request: object, greet_request: type[Message]) -> Message:
    if isinstance(request, str):
        _wrong(
            _(
                "`request` is the text {got!r}, not a message. Build the message: "
                "GreetRequest(name={got!r})."
            ).format(got=request)
        )
    if request is greet_request:
        _wrong(
            _('`request` is the class GreetRequest itself; call it: GreetRequest(name="Jerry").')
        )
    if not isinstance(request, greet_request):
        _wrong(
            _(
                '`request` is a {type}; it should be a GreetRequest: GreetRequest(name="Jerry").'
            ).format(type=type(request).__name__)
        )
    if not request.name:  # type: ignore[attr-defined]
        _wrong(
            _(
                "`request` has no name. A field at its default value is not written at all, so "
                'this GreetRequest is zero bytes: give it a name, GreetRequest(name="Jerry").'
            )
        )
    return request


def _check_envelope(
    envelope: object, request: Message | None, greet_request: type[Message], expected_url: str
) -> AnyMessage:
    envelope = _envelope_is_an_any(envelope, request, greet_request)
    _envelope_type_url(envelope.type_url, expected_url)
    if request is not None:
        _envelope_value(envelope.value, request, greet_request)
    return envelope


def _envelope_is_an_any(
    envelope: object, request: Message | None, greet_request: type[Message]
) -> AnyMessage:
    """The envelope is a google.protobuf.Any (not bytes, nor the GreetRequest itself)."""
    if isinstance(envelope, bytes):
        if request is not None and envelope == request.SerializeToString():
            _wrong(
                _(
                    "`envelope` is the request's bytes alone: without a type URL, the receiver "
                    "cannot tell what they are. Put them in an Any: Any(type_url=..., "
                    "value=...)."
                )
            )
        _wrong(_("`envelope` is bytes; it should be a google.protobuf.Any message."))
    if isinstance(envelope, greet_request):
        _wrong(
            _(
                "`envelope` is the GreetRequest itself. The ingress wraps the bytes of the "
                "message in a google.protobuf.Any, together with a type URL."
            )
        )
    if not isinstance(envelope, AnyMessage):
        _wrong(
            _("`envelope` is a {type}; it should be a google.protobuf.Any message.").format(
                type=type(envelope).__name__
            )
        )
    return envelope


def _envelope_type_url(got: str, expected_url: str) -> None:
    """The envelope's type URL names GreetRequest after its last '/', and is module.yaml's."""
    fmt = {"got": got, "expected": expected_url, "full_name": FULL_NAME}
    if not got:
        _wrong(
            _(
                "`envelope` has no type URL, so nobody can tell what its bytes are. Use the one "
                "of module.yaml: type_url=route.type_url ({expected!r})."
            ).format(**fmt)
        )
    if "/" not in got:
        _wrong(
            _(
                "`envelope`'s type URL {got!r} has no '/'. Only the text after the last '/' "
                "names the type, so a URL without one never matches. Use module.yaml's: "
                "{expected!r}."
            ).format(**fmt)
        )
    named = got.rsplit("/", 1)[-1]
    if named != FULL_NAME:
        _wrong(
            _(
                "`envelope`'s type URL {got!r} names {named!r}, but the bytes are a "
                "GreetRequest, whose full name (package + message) is {full_name!r}."
            ).format(named=named, **fmt)
        )
    if got != expected_url:
        _wrong(
            _(
                "`envelope`'s type URL is {got!r}. It names the right type, and a function would "
                "unpack it, but the ingress writes module.yaml's typeUrl verbatim: {expected!r} "
                "(route.type_url). (Any.Pack writes the prefix type.googleapis.com/.)"
            ).format(**fmt)
        )


def _envelope_value(held: bytes, request: Message, greet_request: type[Message]) -> None:
    """The envelope holds the request's own bytes."""
    real = request.SerializeToString()
    if held == real:
        return
    name = request.name  # type: ignore[attr-defined]
    if not held:
        _wrong(
            _(
                "`envelope` holds no bytes: its value should be the request's, "
                "request.SerializeToString()."
            )
        )
    try:
        other = greet_request.FromString(held)
    except DecodeError:
        other = None
    if other is not None and other.name != name:  # type: ignore[attr-defined]
        _wrong(
            _(
                "`envelope` holds the GreetRequest of {other!r}, but request is {name!r}: "
                "pack request itself."
            ).format(other=other.name, name=name)  # type: ignore[attr-defined]
        )
    _wrong(
        _(
            "`envelope`'s value is {got}, but request encodes as {expected}: use the "
            "message's own bytes, request.SerializeToString()."
        ).format(got=_shown(held), expected=_shown(real))
    )


def _check_type_url(type_url: object, envelope: AnyMessage | None, expected_url: str) -> None:
    if not isinstance(type_url, str):
        _wrong(
            _("`type_url` is a {type}; it should be the text of the envelope's type URL.").format(
                type=type(type_url).__name__
            )
        )
    wanted = envelope.type_url if envelope is not None else expected_url
    if type_url == wanted:
        return
    fmt = {"got": type_url, "expected": wanted}
    if type_url == wanted.rsplit("/", 1)[-1]:
        _wrong(
            _(
                "`type_url` is {got!r}, the full name alone; the type URL is the whole text, "
                "prefix and '/' included: {expected!r}. Read it from the envelope: "
                "envelope.type_url."
            ).format(**fmt)
        )
    _wrong(
        _(
            "`type_url` is {got!r}, but the envelope's type URL is {expected!r}. Read it from the "
            "envelope: envelope.type_url."
        ).format(**fmt)
    )


def _check_value(
    value: object, request: Message | None, envelope: AnyMessage | None, real: bytes | None
) -> None:
    if isinstance(value, str):
        if real is not None and value.replace(" ", "") == real.hex():
            _wrong(
                _(
                    "`value` is the hex text {got!r}. Keep the bytes themselves: envelope.value "
                    "(.hex() is only for printing them)."
                ).format(got=value)
            )
        _wrong(
            _(
                "`value` is the text {got!r}; the value of an Any is bytes. Read it from the "
                "envelope: envelope.value."
            ).format(got=value)
        )
    if isinstance(value, Message):
        _wrong(
            _(
                "`value` is a {type} message; the value of an Any is bytes, the serialized "
                "message: envelope.value."
            ).format(type=type(value).__name__)
        )
    if not isinstance(value, bytes):
        _wrong(
            _(
                "`value` is a {type}; it should be the envelope's value bytes: envelope.value."
            ).format(type=type(value).__name__)
        )
    if envelope is not None and value == envelope.SerializeToString() and value != real:
        _wrong(
            _(
                "`value` holds the bytes of the whole envelope ({got} bytes, the type URL "
                "included); the value field is only the message's {expected} bytes: "
                "envelope.value."
            ).format(got=len(value), expected=len(envelope.value))
        )
    if real is not None and value != real:
        _wrong(
            _(
                "`value` is {got}, but the request encodes as {expected}. Read it from the "
                "envelope: envelope.value."
            ).format(got=_shown(value), expected=_shown(real))
        )


def _check(request: object, envelope: object, type_url: object, value: object) -> str:
    greet_request: type[Message] = messages().GreetRequest
    _ingress, route = module_spec().ingress_for(TOPIC)
    expected_url = route.type_url if route is not None else f"com.googleapis/{FULL_NAME}"
    untouched = [
        name
        for name, given in (
            ("request", request),
            ("envelope", envelope),
            ("type_url", type_url),
            ("value", value),
        )
        if given is Ellipsis
    ]
    message = None if request is Ellipsis else _check_request(request, greet_request)
    packed = (
        None
        if envelope is Ellipsis
        else _check_envelope(envelope, message, greet_request, expected_url)
    )
    if type_url is not Ellipsis:
        _check_type_url(type_url, packed, expected_url)
    if message is not None:
        real: bytes | None = greet_request(name=message.name).SerializeToString()  # type: ignore[attr-defined]
    else:
        real = packed.value if packed is not None else None
    if value is not Ellipsis:
        _check_value(value, message, packed, real)
    if untouched:
        raise Verdict(
            CheckResult(
                1,
                Status.NOT_ATTEMPTED,
                _("still `...`: {names}. Fill them in, run that cell, then run this check.").format(
                    names=", ".join(untouched)
                ),
            )
        )
    assert message is not None and packed is not None and real is not None
    return _(
        "`request` is {size} bytes, {bytes}: field 1 (0a), the length, then the name in UTF-8. "
        "The envelope holds those bytes unchanged, with the type URL {type_url!r}: the receiver "
        "learns the type from the text after the last '/'."
    ).format(size=len(real), bytes=_shown(real), type_url=packed.type_url)


def check_step_1(
    request: object = ..., envelope: object = ..., type_url: object = ..., value: object = ...
) -> CheckResult:
    """Check step 1: ``check_step_1(request, envelope, type_url, value)``."""
    return verdict(1, lambda: _check(request, envelope, type_url, value))


EXERCISE = Exercise(
    step=1,
    title=N_("a message in its envelope"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_1,
    answers=("request", "envelope", "type_url", "value"),
)
