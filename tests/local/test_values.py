"""statefun.local.values: protobuf values decoded and printed the same way every time."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.any_pb2 import Any
from google.protobuf.duration_pb2 import Duration
from messages_pb2 import GreetRequest, SeenCount

from statefun.local.values import LargeValue, decode_any, format_value, message_class


def packed(message: GreetRequest | SeenCount | Duration, type_url: str | None = None) -> Any:
    any = Any()
    any.Pack(message)
    if type_url is not None:
        any.type_url = type_url
    return any


def test_message_class_finds_loaded_types_only() -> None:
    assert message_class("example.SeenCount") is SeenCount
    assert message_class("example.NoSuchThing") is None


def test_decode_any_unpacks_a_known_type_by_the_name_after_the_last_slash() -> None:
    assert decode_any(packed(SeenCount(seen=3))) == SeenCount(seen=3)
    other_prefix = packed(GreetRequest(name="Jerry"), "com.googleapis/example.GreetRequest")
    assert decode_any(other_prefix) == GreetRequest(name="Jerry")


def test_decode_any_keeps_what_it_cannot_decode() -> None:
    unknown = Any(type_url="type.googleapis.com/example.Unknown", value=b"\x08\x01")
    no_slash = Any(type_url="example.SeenCount", value=b"\x08\x01")  # Any.Is needs a '/'
    corrupt = Any(type_url="type.googleapis.com/example.SeenCount", value=b"\xff\xff")
    for any in (unknown, no_slash, corrupt):
        assert decode_any(any) is any


def test_format_value_prints_messages_fields_and_anys() -> None:
    assert format_value(SeenCount(seen=3)) == "SeenCount(seen=3)"
    assert format_value(SeenCount()) == "SeenCount()"
    assert format_value(packed(GreetRequest(name="Jerry"))) == "GreetRequest(name='Jerry')"
    unknown = Any(type_url="type.googleapis.com/example.Unknown", value=b"abc")
    assert format_value(unknown) == "Any(type_url='type.googleapis.com/example.Unknown', 3 bytes)"
    assert format_value(Duration(seconds=1, nanos=5)) == "Duration(seconds=1, nanos=5)"
    assert format_value(None) == "None"


def test_format_value_shortens_long_bytes() -> None:
    assert format_value(b"abc") == "b'abc'"
    assert format_value(bytes(48)) == repr(bytes(48))
    assert format_value(b"y" * 100) == "b'" + "y" * 48 + "...' (100 bytes)"


def test_a_large_value_prints_its_short_type_name_and_size() -> None:
    large = LargeValue("example.SeenCount", 12_345_678)
    assert repr(large) == "SeenCount(<12,345,678 bytes, too large to keep in the trace>)"
    assert format_value(large) == repr(large)
    assert large == LargeValue("example.SeenCount", 12_345_678)


def test_decode_any_finds_a_type_loaded_after_it_was_first_asked_for() -> None:
    later = Any(type_url="type.googleapis.com/lab.test.Later", value=b"\x08\x07")
    assert decode_any(later) is later  # not loaded yet
    assert decode_any(later) is later  # and not remembered as missing
    proto = descriptor_pb2.FileDescriptorProto(name="lab_test_later.proto", package="lab.test")
    message = proto.message_type.add(name="Later")
    message.field.add(name="n", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32)
    descriptor_pool.Default().Add(proto)
    decoded = decode_any(later)
    assert type(decoded).DESCRIPTOR.full_name == "lab.test.Later" and decoded.n == 7  # type: ignore[attr-defined]
    assert decode_any(later) == decoded  # remembered: the same class again
