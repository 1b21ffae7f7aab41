"""Observers: the trace and subscribers see every event; values shown small or as type and size."""

from __future__ import annotations

from messages_pb2 import GreetResponse

from statefun import kafka_egress_record
from statefun.local.clock import EPOCH
from statefun.local.events import Egressed, Resumed
from statefun.local.observers import Observers
from statefun.local.trace import Trace
from statefun.local.values import LargeValue

URL = "type.googleapis.com/example.GreetResponse"
HELLO = GreetResponse(greeting="Hello")


def observers(record: bool = True, value_bytes: int = 4096) -> Observers:
    types = {"example/greets": GreetResponse}
    return Observers(Trace(), record=record, value_bytes=value_bytes, egress_types=types)


def test_events_go_to_the_trace_and_the_subscribers_until_they_unsubscribe() -> None:
    watched = observers(record=False)
    assert not watched.observed
    seen: list[object] = []
    unsubscribe = watched.subscribe(seen.append)
    assert watched.observed
    event = Resumed(EPOCH, "example/greeter/Jerry", 1)
    watched.emit(event)
    unsubscribe()
    unsubscribe()  # twice is harmless
    assert not watched.observed
    watched.emit(event)
    assert seen == [event] and len(watched.trace) == 0
    watched.record = True
    assert watched.observed
    watched.emit(event)
    assert list(watched.trace) == [event]


def test_observed_follows_the_trace_and_every_subscriber() -> None:
    watched = observers(record=True)
    first = watched.subscribe(lambda event: None)
    second = watched.subscribe(lambda event: None)
    watched.record = False
    first()
    assert watched.observed  # the second subscriber still looks
    second()
    assert not watched.observed
    watched.subscribe(lambda event: None)
    assert watched.observed


def test_values_are_shown_small_or_as_type_and_size() -> None:
    value = HELLO.SerializeToString()
    envelope = (None, ("example", "greeter", "Jerry"), URL, value, 0)
    assert observers().message(envelope) == HELLO
    assert observers(value_bytes=2).message(envelope) == LargeValue(
        "example.GreetResponse", len(value)
    )
    assert observers().state(None) is None


def test_an_egress_record_is_shown_decoded_as_its_egress_type() -> None:
    record = kafka_egress_record(topic="greetings", key="Jerry", value=HELLO)
    raw = ("example/greets", True, record.SerializeToString(), EPOCH)
    assert observers().egressed(raw, EPOCH) == Egressed(
        EPOCH, "example/greets", "greetings", "Jerry", HELLO
    )
