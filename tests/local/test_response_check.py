"""Checking a response: each kind of effect against module.yaml and the clock, as the job does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest
from module_builder import build_module, function

from statefun import kafka_egress_record, kinesis_egress_record
from statefun.errors import InvalidResponseError
from statefun.local.addresses import AddressState, function_infos
from statefun.local.clock import EPOCH
from statefun.local.effects import Effects
from statefun.local.response_check import Checked, ResponseCheck
from statefun.local.ttl import END_OF_TIME

A = ("example", "greeter", "Jerry")
URL = "type.googleapis.com/example.GreetRequest"
MODULE = build_module(function("example/greeter", ["seen_count"]))
CHECK = ResponseCheck(MODULE)


def address_state() -> AddressState:
    return AddressState(function_infos(MODULE)["example/greeter"])


def check(effects: Effects, decode: bool = True) -> Checked:
    return CHECK.check(A, address_state(), effects, 3, EPOCH, decode)


RECORD = kafka_egress_record(topic="greetings", key="Jerry", value=GreetRequest(name="Jerry"))
KAFKA_URL = "type.googleapis.com/" + RECORD.DESCRIPTOR.full_name


def kafka_record() -> bytes:
    return RECORD.SerializeToString()


def test_a_valid_response_comes_back_ready_to_apply() -> None:
    checked = check(
        Effects(
            [("example", "greeter", "Tom", URL, b"m")],
            [
                (0, "example", "greeter", "Tom", URL, b"now"),
                (5, "example", "greeter", "Tom", URL, b"d"),
            ],
            [("example", "greets", KAFKA_URL, kafka_record())],
            [("seen_count", b"v"), ("seen_count", None)],
        )
    )
    tom = ("example", "greeter", "Tom")
    assert checked.messages == [(A, tom, URL, b"m", 3)]
    # a delay lets time pass: its chain starts again; one of 0 ms goes on with the chain
    assert checked.delayed == [(0, (A, tom, URL, b"now", 3)), (5, (A, tom, URL, b"d", 0))]
    assert checked.egresses == [("example/greets", True, kafka_record(), EPOCH)]
    assert checked.mutations == [("seen_count", b"v"), ("seen_count", None)]


def test_an_empty_response_is_nothing_to_apply() -> None:
    assert check(Effects([], [], [], [])) == Checked([], [], [], [])


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([("example", "nobody", "x", URL, b"")], "Unknown provider for type example/nobody"),
        ([("example", "greeter", "", URL, b"")], "a message to example/greeter has an empty id"),
    ],
)
def test_a_message_needs_a_declared_type_and_an_id(messages: list, error: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidResponseError, match=error):
        check(Effects(messages, [], [], []))


@pytest.mark.parametrize(
    ("delay_ms", "typename", "error"),
    [
        (-1, "greeter", r"has a negative delay \(-1 ms\)"),
        ((END_OF_TIME - EPOCH) // timedelta(milliseconds=1) + 1, "greeter", "after the year 9999"),
        (5, "nobody", "Unknown provider for type example/nobody"),
    ],
)
def test_a_delayed_message_needs_a_time_the_clock_can_hold_and_a_declared_type(
    delay_ms: int, typename: str, error: str
) -> None:
    with pytest.raises(InvalidResponseError, match=error):
        check(Effects([], [(delay_ms, "example", typename, "x", URL, b"")], [], []))


def test_an_egress_record_needs_a_declared_egress_and_its_record_type() -> None:
    with pytest.raises(InvalidResponseError, match=r"Unknown egress example/nowhere \(module"):
        check(Effects([], [], [("example", "nowhere", KAFKA_URL, b"")], []))
    with pytest.raises(InvalidResponseError, match="egress example/kinesis expects only") as e:
        check(Effects([], [], [("example", "kinesis", KAFKA_URL, kafka_record())], []))
    assert "kinesis_egress_record(...)" in str(e.value)
    record = kinesis_egress_record(stream="s", partition_key="p", value=GreetRequest())
    url, value = "type.googleapis.com/" + record.DESCRIPTOR.full_name, record.SerializeToString()
    kinesis = check(Effects([], [], [("example", "kinesis", url, value)], []))
    assert kinesis.egresses == [("example/kinesis", False, value, EPOCH)]


def test_a_record_that_does_not_parse_fails_only_when_it_is_decoded() -> None:
    bad = [("example", "greets", KAFKA_URL, b"\xff\xff")]
    assert check(Effects([], [], bad, []), decode=False).egresses[0][2] == b"\xff\xff"
    with pytest.raises(InvalidResponseError, match="not a valid KafkaProducerRecord"):
        check(Effects([], [], bad, []))


def test_a_mutation_needs_a_declared_state() -> None:
    with pytest.raises(InvalidResponseError, match=r"non-existing remote function state: nope"):
        check(Effects([], [], [], [("nope", b"")]))
