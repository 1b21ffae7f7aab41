"""RequestReplyHandler and AsyncRequestReplyHandler: bad requests, sync/async pairing, notes."""

from __future__ import annotations

import asyncio
from typing import Any as TypingAny

import pytest
from google.protobuf.message import DecodeError
from sdk_test_pb2 import Hello, LoginEvent

from statefun import AsyncRequestReplyHandler, RequestReplyHandler, StatefulFunctions
from statefun.errors import (
    AsyncFunctionError,
    InvalidRequestError,
    MessageTypeMismatchError,
    UnknownFunctionError,
)
from statefun.request_reply_pb2 import ToFunction
from statefun.testing import Address, InvocationBuilder, decode_response


def request(*arguments: TypingAny, target: tuple[str, str, str] = ("a", "f", "1")) -> bytes:
    builder = InvocationBuilder().with_target(*target).with_state("s")
    for argument in arguments or (Hello(world="w"),):
        builder.with_invocation(argument)
    return builder.SerializeToString()


def registry(fn: TypingAny, typename: str = "a/f") -> StatefulFunctions:
    fns = StatefulFunctions()
    fns.register(typename, fn)
    return fns


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "empty request body"),
        (b"\xff\xfe\xfd garbage", "is not a serialized ToFunction"),
        (ToFunction().SerializeToString() + b"\x08\x01", "without an invocation batch"),
        (b"\x08\x01", "without an invocation batch"),
        (
            InvocationBuilder().with_target("a", "f", "1").SerializeToString(),
            "has no invocations",
        ),
    ],
)
def test_undecodable_requests_raise_a_specific_error(body: bytes, match: str) -> None:
    handler = RequestReplyHandler(registry(lambda c, m: None))
    with pytest.raises(InvalidRequestError, match=match):
        handler(body)


def test_garbage_is_still_a_decode_error_for_old_except_clauses() -> None:
    with pytest.raises(DecodeError):
        RequestReplyHandler(registry(lambda c, m: None))(b"\xff\xfe\xfd")


def test_a_string_body_is_a_type_error_that_mentions_request_data() -> None:
    with pytest.raises(TypeError, match=r"request\.data"):
        RequestReplyHandler(registry(lambda c, m: None))("text")  # type: ignore[arg-type]


def test_unknown_function_is_a_key_error_naming_both() -> None:
    handler = RequestReplyHandler(registry(lambda c, m: None, "a/f"))
    with pytest.raises(UnknownFunctionError, match=r"'b/g'.*bound types: a/f"):
        handler(request(target=("b", "g", "1")))


def test_user_exception_propagates_unchanged_with_a_note_and_no_partial_response() -> None:
    calls: list[str] = []

    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        context.pack_and_send("a/g", "1", message)
        calls.append(message.user_name)
        if message.user_name == "boom":
            raise RuntimeError("kaput")

    handler = RequestReplyHandler(registry(fn))
    with pytest.raises(RuntimeError, match="kaput") as info:
        handler(request(LoginEvent(user_name="ok"), LoginEvent(user_name="boom"), LoginEvent()))
    assert calls == ["ok", "boom"]
    assert info.value.__notes__ == ["while invoking a/f/1 (message 2 of 3 in this batch)"]


def test_a_message_of_another_type_is_a_clean_mismatch_error_with_a_note() -> None:
    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        pass

    handler = RequestReplyHandler(registry(fn))
    with pytest.raises(
        MessageTypeMismatchError, match=r"expects statefun_lab\.test\.LoginEvent"
    ) as info:
        handler(request(LoginEvent(user_name="ok"), Hello(world="w")))
    # the traceback shows only the mismatch, no "During handling of ... KeyError"
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert info.value.__notes__ == ["while invoking a/f/1 (message 2 of 2 in this batch)"]


def test_async_def_under_the_sync_handler_is_a_clear_error() -> None:
    async def fn(context, message):  # type: ignore[no-untyped-def]
        context.pack_and_send("a/g", "1", Hello())

    with pytest.raises(AsyncFunctionError, match="AsyncRequestReplyHandler"):
        RequestReplyHandler(registry(fn))(request())


def test_a_def_returning_a_coroutine_under_the_sync_handler_is_a_clear_error() -> None:
    async def inner() -> None:
        pass

    def fn(context, message):  # type: ignore[no-untyped-def]
        return inner()

    with pytest.raises(AsyncFunctionError, match="returned an awaitable"):
        RequestReplyHandler(registry(fn))(request())


def _async_fn_registry() -> StatefulFunctions:
    async def fn(context, message: Hello):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        context.pack_and_send("a/g", message.world, Hello(world="async"))

    return registry(fn)


def test_async_handler_awaited_from_a_running_loop() -> None:
    handler = AsyncRequestReplyHandler(_async_fn_registry())

    async def cell() -> bytes:  # what a Jupyter cell does: `await handler(body)`
        return await handler(request(Hello(world="x"), Hello(world="y")))

    effects = decode_response(asyncio.run(cell()))
    assert [m.target for m in effects.messages] == [Address("a", "g", "x"), Address("a", "g", "y")]


def test_async_handler_runs_plain_def_functions() -> None:
    def fn(context, message: Hello):  # type: ignore[no-untyped-def]
        context.pack_and_send("a/g", "1", message)

    out = asyncio.run(AsyncRequestReplyHandler(registry(fn))(request()))
    assert len(decode_response(out).messages) == 1


def test_async_handler_interleaved_requests_do_not_share_a_context() -> None:
    """FLINK-19515 (2.2.0): concurrent coroutines overwrote each other's batch."""
    release = asyncio.Event()

    async def fn(context, message: Hello):  # type: ignore[no-untyped-def]
        if message.world == "first":
            await release.wait()
        context.pack_and_send("a/g", context.address.identity, message)

    handler = AsyncRequestReplyHandler(registry(fn))

    async def both() -> tuple[bytes, bytes]:
        first = asyncio.ensure_future(
            handler(request(Hello(world="first"), target=("a", "f", "1")))
        )
        second = await handler(request(Hello(world="second"), target=("a", "f", "2")))
        release.set()
        return await first, second

    first, second = asyncio.run(both())
    assert [m.target.id for m in decode_response(first).messages] == ["1"]
    assert [m.target.id for m in decode_response(second).messages] == ["2"]


def test_async_handler_errors_match_the_sync_ones() -> None:
    handler = AsyncRequestReplyHandler(_async_fn_registry())
    with pytest.raises(InvalidRequestError):
        asyncio.run(handler(b""))
    with pytest.raises(UnknownFunctionError):
        asyncio.run(handler(request(target=("x", "y", "1"))))


def test_handlers_take_a_registry() -> None:
    with pytest.raises(TypeError, match="takes a StatefulFunctions"):
        RequestReplyHandler({})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a StatefulFunctions"):
        AsyncRequestReplyHandler([])  # type: ignore[arg-type]
