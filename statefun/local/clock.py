"""The local runtime's virtual clock: processing time that moves only when asked to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statefun.errors import InvalidArgumentError

__all__ = ["EPOCH", "VirtualClock", "format_time"]

#: Where every local runtime's clock starts, so runs (and notebook outputs) are reproducible.
EPOCH = datetime(2020, 4, 7, 0, 0, 0, tzinfo=UTC)  # the day StateFun 2.0.0 was released


class VirtualClock:
    """A timezone-aware clock that starts at :data:`EPOCH` and never reads the wall clock."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise InvalidArgumentError(
                "the clock needs a timezone-aware start, e.g. datetime(..., tzinfo=UTC)"
            )
        self._now = start

    @property
    def now(self) -> datetime:
        """The current virtual time."""
        return self._now

    @property
    def elapsed(self) -> timedelta:
        """Time since :data:`EPOCH`, whatever the clock started at (as :func:`format_time`).

        >>> clock = VirtualClock(EPOCH + timedelta(seconds=5))
        >>> clock.elapsed
        datetime.timedelta(seconds=5)
        """
        return self._now - EPOCH

    def set(self, when: datetime) -> None:
        """Move to ``when``; time never goes backwards."""
        if when < self._now:
            raise InvalidArgumentError(f"the clock cannot go back from {self._now} to {when}")
        self._now = when

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now.isoformat()})"


def format_time(time: datetime) -> str:
    """A virtual time as traces, views and the CLI print it: its offset from :data:`EPOCH`.

    >>> format_time(EPOCH + timedelta(minutes=1, seconds=1))
    '+61.000s'
    >>> format_time(EPOCH)
    '+0.000s'
    """
    return f"+{(time - EPOCH) / _SECOND:.3f}s"


_SECOND = timedelta(seconds=1)
