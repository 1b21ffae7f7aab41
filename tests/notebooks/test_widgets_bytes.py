"""The widgets of notebooks 01 and 05, driven without a browser: type a name and read its bytes
and its Any; pick an exchange and read its decoded request and response."""

from __future__ import annotations

import pytest
from golden import GOLDEN_REQUEST, GOLDEN_RESPONSE
from google.protobuf.any_pb2 import Any as AnyMessage
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

import greeter
from statefun.i18n import set_language
from statefun.local import LocalRuntime
from statefun.local.transport import WSGITransport
from statefun.request_reply_pb2 import FromFunction, ToFunction
from statefun.testing import InvocationBuilder
from statefun.widgets import (
    ExchangeTrees,
    ExchangeView,
    MessageBytes,
    MessageBytesView,
    message_tree,
)
from statefun.widgets.message_bytes import wire_parts

URL = "com.googleapis/example.GreetRequest"

# -- 01: a message's bytes and its Any ------------------------------------------------------------


def test_the_bytes_follow_the_text_box_as_you_type() -> None:
    view = MessageBytesView(GreetRequest, type_url=URL)
    assert view.encoding.data == GreetRequest(name="Jerry").SerializeToString()
    assert view.encoding.lines() == [
        "GreetRequest(name='Jerry'): 7 bytes",
        "  0a              field 1 (name), length-delimited",
        "  05              length: 5 bytes",
        "  4a 65 72 72 79  'Jerry' in UTF-8",
        "Any (the envelope): 46 bytes",
        f"  type_url: {URL}",
        "  value:    0a 05 4a 65 72 72 79",
    ]
    view.name.value = "Zoë"
    assert view.encoding.data == b"\n\x04Zo\xc3\xab"
    assert "  04           length: 4 bytes" in view.encoding.lines()
    assert "5a 6f c3 ab  &#x27;Zoë&#x27; in UTF-8" in view.html.value  # escaped on screen


def test_the_any_is_what_the_ingress_builds_and_unpacks() -> None:
    encoding = MessageBytes(GreetRequest, type_url=URL).encode("Elaine")
    assert encoding.envelope == AnyMessage(
        type_url=URL, value=GreetRequest(name="Elaine").SerializeToString()
    )
    assert encoding.envelope.Is(GreetRequest.DESCRIPTOR)
    unpacked = GreetRequest()
    assert encoding.envelope.Unpack(unpacked) and unpacked.name == "Elaine"


def test_an_empty_name_is_zero_bytes() -> None:
    lines = MessageBytes(GreetRequest).encode("").lines()
    assert lines[0] == "GreetRequest(): 0 bytes"
    assert "no bytes: a field at its default value is not written" in lines[1]
    assert lines[-2:] == [
        "  type_url: type.googleapis.com/example.GreetRequest",
        "  value:    (empty)",
    ]


def test_a_long_name_has_a_two_byte_length() -> None:
    parts = wire_parts(GreetRequest(name="x" * 200))
    assert parts[1] == ("c8 01", "length: 200 bytes")


def test_varint_fields_and_unknown_messages() -> None:
    assert wire_parts(SeenCount(seen=300)) == [
        ("08", "field 1 (seen), varint"),
        ("ac 02", "the value 300"),
    ]
    with pytest.raises(ValueError, match="no string field"):
        MessageBytes(SeenCount)
    with pytest.raises(ValueError, match="no string field 'names'"):
        MessageBytes(GreetRequest, field="names")


def test_the_bytes_view_speaks_chinese() -> None:
    view = MessageBytesView(GreetRequest, type_url=URL)
    set_language("zh")
    assert view.name.placeholder != "type a name"
    lines = view.encoding.lines()
    assert lines[0] == "GreetRequest(name='Jerry')：7 字节"
    assert "字段 1（name），长度前缀" in lines[1]
    assert "长度" in view.html.value  # redrawn in the new language


# -- 05: the exchange as trees --------------------------------------------------------------------


def test_the_golden_exchange_as_trees() -> None:
    view = ExchangeView(
        [(GOLDEN_REQUEST, GOLDEN_RESPONSE)], ExchangeTrees.for_kafka_values(GreetResponse)
    )
    request, response = view.lines()
    assert request == [
        "ToFunction: 94 bytes",
        "  invocation: InvocationBatchRequest",
        "    target: example/greeter/Jerry",
        "    state[0]: PersistedValue",
        "      state_name: 'seen_count'",
        "      state_value: (no value yet)",
        "    invocations[0]: Invocation",
        "      argument: Any com.googleapis/example.GreetRequest → GreetRequest",
        "        name: 'Jerry'",
    ]
    assert response[0] == "FromFunction: 207 bytes"
    assert "      mutation_type: MODIFY" in response
    assert "      state_value: Any type.googleapis.com/example.SeenCount → SeenCount" in response
    assert response[-5:] == [
        "        key: 'Jerry'",
        "        value_bytes: GreetResponse",
        "          name: 'Jerry'",
        "          greeting: 'Welcome Jerry'",
        "        topic: 'greetings'",
    ]
    assert "Welcome Jerry" in view.response_html.value
    assert view.pick.options == (("1: example/greeter/Jerry", 0),)


def test_without_decoders_a_record_value_stays_bytes() -> None:
    response = ExchangeTrees().response(GOLDEN_RESPONSE)
    value = GreetResponse(name="Jerry", greeting="Welcome Jerry").SerializeToString()
    assert f"        value_bytes: {value.hex(' ')}" in response


def test_the_view_follows_a_recording_transport() -> None:
    exchanges: list[tuple[bytes, bytes]] = []

    class Recorder:
        def __init__(self) -> None:
            self.inner = WSGITransport(greeter.app)  # type: ignore[attr-defined]

        def describe(self) -> str:
            return "recorded " + self.inner.describe()

        def send(self, typename: str, request: bytes, timeout: object) -> object:
            attempt = self.inner.send(typename, request, timeout)  # type: ignore[arg-type]
            exchanges.append((request, attempt.body))
            return attempt

    rt = LocalRuntime.from_module("module.yaml", app=greeter.app)  # type: ignore[attr-defined]
    rt.bind("example/greeter", Recorder())  # type: ignore[arg-type]
    view = ExchangeView(exchanges, ExchangeTrees.for_kafka_values(GreetResponse))
    assert view.lines() == (["no exchange yet"], [])
    for name in ("Jerry", "Jerry", "Elaine"):
        rt.ingest("names", key=name, value=GreetRequest(name=name))
    view.refresh_button.click()
    assert [label for label, _ in view.pick.options] == [
        "1: example/greeter/Jerry",
        "2: example/greeter/Jerry",
        "3: example/greeter/Elaine",
    ]
    view.pick.value = 1
    request, response = view.lines()
    # the second request carries the state the first response stored
    assert "      state_value: Any type.googleapis.com/example.SeenCount → SeenCount" in request
    assert "        seen: 1" in request
    assert "          greeting: 'Nice to see you again Jerry'" in response
    view.refresh()
    assert view.pick.value == 1  # the pair shown stays


def test_message_tree_of_other_messages() -> None:
    delayed = FromFunction()
    delayed.invocation_result.delayed_invocations.add(delay_in_ms=60000)
    assert message_tree(delayed) == [
        "invocation_result: InvocationResponse",
        "  delayed_invocations[0]: DelayedInvocation",
        "    delay_in_ms: 60000",
    ]
    unknown = AnyMessage(type_url="x/no.such.Type", value=b"\x08\x01")
    holder = ToFunction()
    holder.invocation.invocations.add().argument.CopyFrom(unknown)
    assert message_tree(holder)[-2:] == [
        "    argument: Any x/no.such.Type",
        "      value: 08 01",
    ]
    assert ExchangeTrees().request(b"\xff")[0].startswith("not a ToFunction:")
    built = InvocationBuilder().with_target("example", "greeter", "Kramer")
    assert "    target: example/greeter/Kramer" in ExchangeTrees().request(
        built.SerializeToString()
    )


def test_the_exchange_view_speaks_chinese() -> None:
    view = ExchangeView([(GOLDEN_REQUEST, GOLDEN_RESPONSE)])
    set_language("zh")
    assert view.pick.description != "Exchange"
    assert view.refresh_button.description != "Refresh"
    request, _response = view.lines()
    assert request[0] == "ToFunction：94 字节"
    assert "请求" in view.request_html.value and "响应" in view.response_html.value
