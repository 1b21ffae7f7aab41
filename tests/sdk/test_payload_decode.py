"""A payload that does not decode (an argument, a state) is a ``PayloadDecodeError``: HTTP 400.

Upstream let protobuf's bare ``DecodeError`` escape: for a state it named no state, and the
HTTP view answered 500, which the runtime retries until the function's timeout (spec §3.4),
although the same request fails every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any as TypingAny

import pytest
from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError
from module_yaml_texts import module_with
from sdk_test_pb2 import Counter, Hello, SeenCount

from statefun import AsyncRequestReplyHandler, RequestReplyHandler, StatefulFunctions
from statefun.core import AnyStateHandle
from statefun.errors import InvalidRequestError, PayloadDecodeError, RuntimeFailure
from statefun.local import LocalRuntime
from statefun.serving import aiohttp_app, error_response, flask_app
from statefun.testing import InvocationBuilder, decode_response

HELLO_URL = "type.googleapis.com/statefun_lab.test.Hello"
SEEN_URL = "type.googleapis.com/statefun_lab.test.SeenCount"
CORRUPT = b"\x0a\x05ab"  # field 1, length 5, only 2 bytes follow
BAD_UTF8 = b"\x0a\x02\xff\xfe"  # a string field that is not UTF-8


def corrupt_hello(value: bytes = CORRUPT) -> Any:
    return Any(type_url=HELLO_URL, value=value)


def request(*arguments: TypingAny, state: bytes | None = None) -> bytes:
    builder = InvocationBuilder().with_target("a", "f", "1").with_state("seen", state)
    for argument in arguments:
        builder.with_invocation(argument)
    return builder.SerializeToString()


def hinted(calls: list[str] | None = None) -> StatefulFunctions:
    fns = StatefulFunctions()

    @fns.bind("a/f")
    def f(context, message: Hello):  # type: ignore[no-untyped-def]
        if calls is not None:
            calls.append(message.world)
        context.pack_and_send("a/g", "1", message)

    return fns


def reads_state() -> StatefulFunctions:
    fns = StatefulFunctions()

    @fns.bind("a/f")
    def f(context, message):  # type: ignore[no-untyped-def]
        context.state("seen").unpack(SeenCount)

    return fns


# -- the argument ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [CORRUPT, BAD_UTF8], ids=["truncated", "bad-utf8"])
def test_an_argument_that_does_not_decode_names_its_message_type_url_and_class(
    value: bytes,
) -> None:
    calls: list[str] = []
    handler = RequestReplyHandler(hinted(calls))

    with pytest.raises(PayloadDecodeError) as info:
        handler(request(Hello(world="ok"), Hello(world="ok"), corrupt_hello(value)))

    e = info.value
    assert calls == ["ok", "ok"]
    assert (e.invocation_index, e.batch_size, e.address) == (2, 3, "a/f/1")
    assert (e.type_url, e.target, e.state, e.function_type) == (
        HELLO_URL,
        "statefun_lab.test.Hello",
        None,
        "a/f",
    )
    assert str(e).startswith(
        f"the argument of message 3 of 3 for a/f/1 does not decode as statefun_lab.test.Hello "
        f"({len(value)} bytes under type_url {HELLO_URL!r}: Error parsing message"
    )
    assert "fix the sender" in str(e)
    assert not getattr(e, "__notes__", None)  # the place is in the text, said once
    assert isinstance(e.__cause__, DecodeError)


def test_the_first_sight_of_a_type_url_and_the_cached_path_raise_the_same_error() -> None:
    # unpack_any matches a type URL on its first sight; the handler's loop caches it after
    fns = hinted()
    handler = RequestReplyHandler(fns)
    texts = []
    for _ in range(2):
        with pytest.raises(PayloadDecodeError) as info:
            handler(request(corrupt_hello()))
        texts.append(str(info.value))
    assert texts[0] == texts[1]
    assert HELLO_URL in (fns.functions[("a", "f")].message_classes() or {})


def test_old_except_clauses_still_catch_it() -> None:
    handler = RequestReplyHandler(hinted())
    for old in (DecodeError, ValueError, InvalidRequestError):
        with pytest.raises(old):
            handler(request(corrupt_hello()))


def test_the_async_handler_raises_the_same_error() -> None:
    fns = StatefulFunctions()

    @fns.bind("a/f")
    async def f(context, message: Hello):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)

    with pytest.raises(PayloadDecodeError, match="of message 2 of 2 for a/f/1") as info:
        asyncio.run(AsyncRequestReplyHandler(fns)(request(Hello(), corrupt_hello())))
    assert info.value.invocation_index == 1


def test_a_function_without_a_hint_gets_the_raw_any_and_decodes_it_itself() -> None:
    fns = StatefulFunctions()
    seen: list[bytes] = []
    fns.register("a/f", lambda context, message: seen.append(message.value))

    assert RequestReplyHandler(fns)(request(corrupt_hello())) == b""
    assert seen == [CORRUPT]


# -- states ---------------------------------------------------------------------------------


def test_a_state_that_does_not_decode_names_the_state_the_function_and_the_message() -> None:
    state = Any(type_url=SEEN_URL, value=CORRUPT).SerializeToString()

    with pytest.raises(PayloadDecodeError) as info:
        RequestReplyHandler(reads_state())(request(Hello(), Hello(), state=state))

    e = info.value
    assert (e.state, e.function_type, e.invocation_index, e.type_url, e.target) == (
        "seen",
        "a/f",
        0,
        SEEN_URL,
        "statefun_lab.test.SeenCount",
    )
    assert str(e).startswith(
        f"state 'seen' of a/f/1 (message 1 of 2 in this batch) does not decode as "
        f"statefun_lab.test.SeenCount (4 bytes under type_url {SEEN_URL!r}: "
    )
    assert "del context['seen']" in str(e)


def test_state_bytes_that_are_not_an_any_are_the_same_error() -> None:
    with pytest.raises(PayloadDecodeError) as info:
        RequestReplyHandler(reads_state())(request(Hello(), state=b"\xff\xff\xff"))

    e = info.value
    assert (e.state, e.type_url, e.target) == ("seen", None, "google.protobuf.Any")
    assert str(e).startswith(
        "state 'seen' of a/f/1 (message 1 of 1 in this batch) does not hold a serialized "
        "google.protobuf.Any (3 bytes that do not parse: "
    )


def test_the_handle_alone_says_what_it_knows() -> None:
    handle = AnyStateHandle(Any(type_url=SEEN_URL, value=CORRUPT).SerializeToString(), "seen")

    with pytest.raises(PayloadDecodeError) as info:
        handle.unpack(SeenCount)

    assert info.value.address is None and info.value.invocation_index is None
    assert str(info.value).startswith("state 'seen' does not decode as statefun_lab.test.SeenCount")


def test_a_function_may_catch_it_and_reset_the_state() -> None:
    fns = StatefulFunctions()

    @fns.bind("a/f")
    def f(context, message):  # type: ignore[no-untyped-def]
        try:
            context.state("seen").unpack(SeenCount)
        except PayloadDecodeError:
            del context["seen"]

    state = Any(type_url=SEEN_URL, value=CORRUPT).SerializeToString()
    effects = decode_response(RequestReplyHandler(fns)(request(Hello(), state=state)))
    assert [(m.name, m.deleted) for m in effects.mutations] == [("seen", True)]


def test_a_decode_error_the_function_raises_itself_stays_the_functions_error() -> None:
    fns = StatefulFunctions()

    @fns.bind("a/f")
    def f(context, message):  # type: ignore[no-untyped-def]
        Counter.FromString(CORRUPT)

    with pytest.raises(DecodeError) as info:
        RequestReplyHandler(fns)(request(Hello()))
    assert not isinstance(info.value, PayloadDecodeError)
    assert error_response(info.value)[0] == 500


# -- the HTTP helpers: 400, which the runtime does not retry ----------------------------------


def test_flask_answers_400_with_the_place_in_the_body() -> None:
    client = flask_app(hinted()).test_client()
    state_client = flask_app(reads_state()).test_client()
    state = Any(type_url=SEEN_URL, value=CORRUPT).SerializeToString()

    argument = client.post("/statefun", data=request(Hello(), corrupt_hello()))
    stored = state_client.post("/statefun", data=request(Hello(), state=state))

    assert argument.status_code == 400
    assert "the argument of message 2 of 2 for a/f/1" in argument.get_data(as_text=True)
    assert stored.status_code == 400
    assert "state 'seen' of a/f/1" in stored.get_data(as_text=True)


def test_aiohttp_answers_400() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    async def post() -> tuple[int, str]:
        async with TestClient(TestServer(aiohttp_app(hinted()))) as client:
            response = await client.post("/statefun", data=request(corrupt_hello()))
            return response.status, await response.text()

    status, text = asyncio.run(post())
    assert status == 400
    assert "does not decode as statefun_lab.test.Hello" in text


# -- the local runtime: fails at once, as on a 400 -------------------------------------------

MODULE = module_with(
    """\
    functions:
      - function:
          meta:
            kind: http
            type: a/f
          spec:
            endpoint: http://localhost:8000/statefun
            states: [seen]
    ingresses:
      - ingress:
          meta:
            type: statefun.kafka.io/routable-protobuf-ingress
            id: a/in
          spec:
            address: kafka:9092
            consumerGroupId: lab
            topics:
              - topic: hellos
                typeUrl: type.googleapis.com/statefun_lab.test.Hello
                targets: [a/f]
    """
)


def test_in_process_the_runtime_fails_at_once_naming_the_refusal() -> None:
    calls: list[str] = []
    rt = LocalRuntime.from_module(MODULE, hinted(calls))

    with pytest.raises(RuntimeFailure) as info:
        rt.ingest("hellos", "1", CORRUPT)

    assert calls == []  # no function ran
    assert "the SDK refused the request with HTTP 400, which the runtime does not retry: " in (
        str(info.value)
    )
    assert "PayloadDecodeError: the argument of message 1 of 1 for a/f/1" in str(info.value)
    assert isinstance(info.value.__cause__, PayloadDecodeError)


def test_a_state_the_function_wrote_wrongly_fails_the_next_request_once() -> None:
    calls: list[str] = []
    fns = StatefulFunctions()

    @fns.bind("a/f")
    def f(context, message: Hello):  # type: ignore[no-untyped-def]
        calls.append(message.world)
        if message.world == "write":
            context["seen"] = Any(type_url=SEEN_URL, value=CORRUPT)
        else:
            context.state("seen").unpack(SeenCount)

    rt = LocalRuntime.from_module(MODULE, fns)
    rt.ingest("hellos", "1", Hello(world="write"))

    with pytest.raises(RuntimeFailure, match="state 'seen' of a/f/1"):
        rt.ingest("hellos", "1", Hello(world="read"))
    assert calls == ["write", "read"]  # one attempt


def counting(app: Callable[..., TypingAny], calls: list[int]) -> Callable[..., TypingAny]:
    def wsgi(environ: TypingAny, start_response: TypingAny) -> TypingAny:
        calls.append(1)
        return app(environ, start_response)

    return wsgi


def test_over_the_flask_helper_the_runtime_gets_400_and_does_not_retry() -> None:
    attempts: list[int] = []
    rt = LocalRuntime.from_module(MODULE, app=counting(flask_app(hinted()), attempts))

    with pytest.raises(RuntimeFailure, match="Non successful HTTP response code 400"):
        rt.ingest("hellos", "1", CORRUPT)
    assert attempts == [1]
