"""The mailbox: events in arrival order; under backpressure only completions move on."""

from __future__ import annotations

from collections import deque

from statefun.local.mailbox import Completion, MailboxEvent, address_text, next_event

A = ("example", "greeter", "Jerry")


def envelope(id: str) -> MailboxEvent:
    return (None, ("example", "greeter", id), "type.googleapis.com/x", b"", 0)


def test_address_text() -> None:
    assert address_text(A) == "example/greeter/Jerry"


def test_events_come_out_in_arrival_order() -> None:
    done = Completion(A)
    mailbox: deque[MailboxEvent] = deque([envelope("1"), done, envelope("2")])
    assert next_event(mailbox, False) == envelope("1")
    assert next_event(mailbox, False) is done
    assert next_event(mailbox, False) == envelope("2")
    assert next_event(mailbox, False) is None


def test_under_backpressure_only_the_first_completion_is_taken() -> None:
    first, second = Completion(A), Completion(A)
    mailbox: deque[MailboxEvent] = deque([envelope("1"), first, envelope("2"), second])
    assert next_event(mailbox, True) is first
    assert list(mailbox) == [envelope("1"), envelope("2"), second]
    assert next_event(mailbox, True) is second
    assert next_event(mailbox, True) is None  # messages wait
    assert list(mailbox) == [envelope("1"), envelope("2")]
