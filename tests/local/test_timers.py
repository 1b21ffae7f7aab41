"""Timers: delayed messages fire by due time, those due together in the order sent."""

from __future__ import annotations

from datetime import timedelta

from statefun.local.clock import EPOCH
from statefun.local.mailbox import Envelope
from statefun.local.timers import Timers


def envelope(id: str) -> Envelope:
    return (None, ("example", "greeter", id), "type.googleapis.com/x", b"", 0)


def test_messages_fire_by_due_time_then_in_the_order_sent() -> None:
    timers = Timers()
    late, early = EPOCH + timedelta(seconds=2), EPOCH + timedelta(seconds=1)
    timers.schedule(late, envelope("late"))
    timers.schedule(early, envelope("b"))
    timers.schedule(early, envelope("c"))
    assert len(timers) == 3
    assert timers.waiting() == [
        (early, envelope("b")),
        (early, envelope("c")),
        (late, envelope("late")),
    ]
    assert timers.next_due(EPOCH) is None
    assert timers.next_due(late) == early
    assert timers.pop(late) is None  # not the next due time
    assert [timers.pop(early), timers.pop(early), timers.pop(early)] == [
        envelope("b"),
        envelope("c"),
        None,
    ]
    assert timers.next_due(late) == late
    assert timers.pop(late) == envelope("late")
    assert len(timers) == 0 and timers.next_due(late) is None
