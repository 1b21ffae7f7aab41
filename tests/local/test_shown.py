"""How events show values: decoded when small, type and size when large."""

from __future__ import annotations

from google.protobuf.any_pb2 import Any
from messages_pb2 import GreetRequest, SeenCount

from statefun.local.shown import (
    message_value,
    shown_egress,
    shown_message,
    shown_state,
    state_value,
)
from statefun.local.values import LargeValue

URL = "type.googleapis.com/example.GreetRequest"
JERRY = GreetRequest(name="Jerry").SerializeToString()


def stored(message: SeenCount) -> bytes:
    packed = Any()
    packed.Pack(message)
    return packed.SerializeToString()


def test_a_message_is_decoded_or_shown_by_type_and_size() -> None:
    assert message_value(URL, JERRY) == GreetRequest(name="Jerry")
    assert shown_message(URL, JERRY, 100) == GreetRequest(name="Jerry")
    assert shown_message(URL, JERRY, 3) == LargeValue("example.GreetRequest", len(JERRY))


def test_a_state_value_is_decoded_or_shown_by_type_and_size() -> None:
    raw = stored(SeenCount(seen=3))
    assert state_value(None) is None and shown_state(None, 0) is None
    assert state_value(raw) == SeenCount(seen=3)
    assert shown_state(raw, 1000) == SeenCount(seen=3)
    assert shown_state(raw, 3) == LargeValue("example.SeenCount", len(raw))


def test_state_bytes_that_are_no_any_stay_bytes() -> None:
    assert state_value(b"\xff\xff") == b"\xff\xff"
    assert shown_state(b"\xff\xff\xff", 1) == LargeValue("bytes", 3)


def test_an_egress_value_is_decoded_as_its_type_when_it_parses() -> None:
    assert shown_egress(JERRY, GreetRequest, 100) == GreetRequest(name="Jerry")
    assert shown_egress(JERRY, None, 100) == JERRY
    assert shown_egress(b"\xff", GreetRequest, 100) == b"\xff"
    assert shown_egress(JERRY, GreetRequest, 3) == LargeValue("example.GreetRequest", len(JERRY))
    assert shown_egress(JERRY, None, 3) == LargeValue("bytes", len(JERRY))
