"""statefun.local.clock: virtual time that moves only when asked, and how it is printed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statefun.errors import InvalidArgumentError, StatefunError
from statefun.local.clock import EPOCH, VirtualClock, format_time


def test_the_clock_starts_at_the_epoch_and_never_reads_the_wall_clock() -> None:
    clock = VirtualClock()
    assert clock.now == EPOCH == datetime(2020, 4, 7, tzinfo=UTC)
    assert clock.elapsed == timedelta(0)
    assert repr(clock) == "VirtualClock(now=2020-04-07T00:00:00+00:00)"


def test_set_moves_forward_and_never_back() -> None:
    clock = VirtualClock()
    clock.set(EPOCH + timedelta(seconds=61))
    assert clock.elapsed == timedelta(seconds=61)
    clock.set(clock.now)  # staying put is allowed
    with pytest.raises(InvalidArgumentError, match="cannot go back") as raised:
        clock.set(EPOCH)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, StatefunError)
    assert clock.now == EPOCH + timedelta(seconds=61)


def test_elapsed_counts_from_the_epoch_whatever_the_start() -> None:
    clock = VirtualClock(EPOCH + timedelta(hours=1))
    assert clock.elapsed == timedelta(hours=1)
    assert format_time(clock.now) == "+3600.000s"


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="timezone-aware"):
        VirtualClock(datetime(2020, 4, 7))


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(0), "+0.000s"),
        (timedelta(milliseconds=1), "+0.001s"),
        (timedelta(seconds=61), "+61.000s"),
        (timedelta(days=2, milliseconds=500), "+172800.500s"),
    ],
)
def test_format_time_is_the_offset_from_the_epoch_in_seconds(offset: timedelta, text: str) -> None:
    assert format_time(EPOCH + offset) == text
