"""The message-flow picture: a lane per ingress, address and egress; a row per drawn event."""

from __future__ import annotations

from statefun.local import events as ev
from statefun.local.clock import EPOCH
from statefun.local.flow import flow, to_svg

T = EPOCH
JERRY = "example/greeter/Jerry"
TOM = "example/greeter/Tom"

EVENTS: list[ev.Event] = [
    ev.Ingressed(T, "example/names", "names", "Jerry", ("example/greeter",), b"hi"),
    ev.RequestSent(T, JERRY, 1, (("seen_count", False),), "in-process"),
    ev.Responded(T, JERRY, 1, 1, 1, 1),
    ev.MessageSent(T, JERRY, TOM, b"m"),
    ev.DelayScheduled(T, JERRY, TOM, T, b"d"),
    ev.Egressed(T, "example/greets", "greetings", "Jerry", b"e"),
    ev.StateChanged(T, JERRY, "seen_count", None, b"s"),
    ev.StateChanged(T, JERRY, "seen_count", b"s", None),
    ev.DelayFired(T, JERRY, TOM, b"d"),
    ev.StateExpired(T, TOM, "seen_count", b"s"),
    ev.Backpressured(T, TOM, 3),
    ev.Failed(T, TOM, 2, "x" * 70),
    ev.Resumed(T, TOM, 2),
]


def test_every_drawn_event_is_a_row_on_lanes_in_the_order_first_drawn_on() -> None:
    lanes, rows = flow(EVENTS, last=None)
    assert lanes == ["example/names", JERRY, TOM, "example/greets"]
    assert rows == [
        ("arrow", 0, 1, "Jerry: b'hi'", "#1f77b4"),
        ("box", 1, 1, "request, batch of 1", "#555"),
        ("arrow", 1, 2, "b'm'", "#2ca02c"),
        ("arrow", 1, 3, "b'e'", "#ff7f0e"),
        ("note", 1, 1, "seen_count = b's'", "#9467bd"),
        ("note", 1, 1, "seen_count = deleted", "#9467bd"),
        ("arrow", 1, 2, "b'd' (delayed)", "#2ca02c"),
        ("note", 2, 2, "seen_count expired", "#8c564b"),
        ("note", 2, 2, "backpressure (3 waiting)", "#d62728"),
        ("note", 2, 2, "FAILED: " + "x" * 60, "#d62728"),
    ]


def test_an_ingress_record_is_an_arrow_to_each_target() -> None:
    record = ev.Ingressed(T, "example/names", "names", "K", ("example/a", "example/b"), b"v")
    lanes, rows = flow([record])
    assert lanes == ["example/names", "example/a/K", "example/b/K"]
    assert [(a, b) for _, a, b, _, _ in rows] == [(0, 1), (0, 2)]


def test_an_egress_record_comes_from_the_address_whose_response_held_it() -> None:
    # the window of the last row cuts off the response: its producer is still known
    lanes, rows = flow(EVENTS[:6], last=1)
    assert lanes == [JERRY, "example/greets"] and rows == [("arrow", 0, 1, "b'e'", "#ff7f0e")]
    lanes, rows = flow([EVENTS[5]])
    assert lanes == ["?", "example/greets"]


def test_the_picture_draws_each_lane_and_row() -> None:
    svg = to_svg(EVENTS)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<line") == 4 + 4  # a line a lane, and one per arrow between lanes
    assert "request, batch of 1" in svg and "FAILED: xxx" in svg
