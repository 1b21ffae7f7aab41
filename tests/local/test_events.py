"""statefun.local.events: one record per thing the runtime did, printed as one trace line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest, SeenCount

from statefun.local.clock import EPOCH
from statefun.local.events import (
    Backpressured,
    DelayFired,
    DelayScheduled,
    Egressed,
    Event,
    Failed,
    Ingressed,
    MessageSent,
    RequestSent,
    Responded,
    Resumed,
    StateChanged,
    StateExpired,
)

T = EPOCH + timedelta(seconds=61, milliseconds=5)
JERRY = "example/greeter/Jerry"


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            Ingressed(
                T, "example/names", "names", "Jerry", ("example/greeter",), GreetRequest(name="J")
            ),
            "Ingressed      example/names [names] key='Jerry' GreetRequest(name='J') "
            "-> example/greeter",
        ),
        (
            MessageSent(T, JERRY, "a/b/c", SeenCount(seen=1)),
            f"MessageSent    {JERRY} -> a/b/c SeenCount(seen=1)",
        ),
        (
            RequestSent(T, JERRY, 2, (("seen_count", True), ("other", False)), "in-process"),
            f"RequestSent    {JERRY} batch=2 states[seen_count=set, other=empty] via in-process",
        ),
        (
            RequestSent(T, JERRY, 1, (), "mock", attempt=3),
            f"RequestSent    {JERRY} batch=1 states[] via mock (attempt 3)",
        ),
        (
            Responded(T, JERRY, 1, 0, 2, 1),
            f"Responded      {JERRY} messages=1 delayed=0 egress=2 mutations=1",
        ),
        (
            DelayScheduled(T, JERRY, JERRY, EPOCH + timedelta(seconds=121), None),
            f"DelayScheduled {JERRY} -> {JERRY} at +121.000s None",
        ),
        (DelayFired(T, JERRY, JERRY, b"x"), f"DelayFired     {JERRY} -> {JERRY} b'x'"),
        (
            Egressed(T, "example/greets", "greetings", "Jerry", b"hi"),
            "Egressed       example/greets [greetings] key='Jerry' b'hi'",
        ),
        (
            StateChanged(T, JERRY, "seen_count", None, SeenCount(seen=1)),
            f"StateChanged   {JERRY} seen_count: None -> SeenCount(seen=1)",
        ),
        (
            StateChanged(T, JERRY, "seen_count", SeenCount(seen=1), None),
            f"StateChanged   {JERRY} seen_count: SeenCount(seen=1) -> deleted",
        ),
        (
            StateExpired(T, JERRY, "seen_count", SeenCount(seen=2)),
            f"StateExpired   {JERRY} seen_count (SeenCount(seen=2)) expired (TTL)",
        ),
        (
            Backpressured(T, JERRY, 500),
            f"Backpressured  {JERRY} has 500 messages waiting (maxNumBatchRequests): input "
            f"paused until its request completes",
        ),
        (Failed(T, JERRY, 3, "boom"), f"Failed         {JERRY} batch=3: boom"),
        (Resumed(T, JERRY, 3), f"Resumed        {JERRY} resending the same batch of 3"),
    ],
)
def test_an_event_prints_as_one_trace_line(event: Event, line: str) -> None:
    assert str(event) == f"  +61.005s  {line}"
    assert event.kind == type(event).__name__


def test_the_base_event_has_no_words_of_its_own() -> None:
    with pytest.raises(NotImplementedError):
        Event(T).describe()
