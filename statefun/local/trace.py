"""What the local runtime did, step by step: the trace of its events, as a table or a picture.

The events themselves are in :mod:`statefun.local.events` (re-exported here, where they have
always been importable from) and the picture is drawn by :mod:`statefun.local.flow`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from statefun.errors import InvalidArgumentError
from statefun.local import flow as _flow
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

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_VALUE_BYTES",
    "Backpressured",
    "DelayFired",
    "DelayScheduled",
    "Egressed",
    "Event",
    "Failed",
    "Ingressed",
    "MessageSent",
    "RequestSent",
    "Responded",
    "Resumed",
    "StateChanged",
    "StateExpired",
    "Trace",
]

#: How many events a runtime's trace keeps by default (the last ones; older ones are dropped).
DEFAULT_LIMIT = 100_000

#: A message or state value larger than this (serialized bytes) is kept in the trace as its
#: type and size only (a :class:`~statefun.local.values.LargeValue`), not decoded.
DEFAULT_VALUE_BYTES = 4096


class Trace(Sequence[Event]):
    """The events of a runtime, in order. Print it, or render ``to_svg()`` in a notebook.

    With a ``limit`` it is a ring buffer: it keeps the last ``limit`` events and counts the
    older ones it let go in :attr:`dropped`, so a long run cannot fill the memory.
    """

    def __init__(self, events: Iterable[Event] = (), *, limit: int | None = None) -> None:
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise InvalidArgumentError(
                f"a trace limit is a number of events of at least 1, got {limit!r}"
            )
        #: The events kept, oldest first.
        self.events: deque[Event] = deque(events, maxlen=limit)
        #: How many older events were dropped to stay within ``limit``.
        self.dropped = 0

    @property
    def limit(self) -> int | None:
        """How many events are kept at most (None: all)."""
        return self.events.maxlen

    def append(self, event: Event) -> None:
        """Add an event, dropping the oldest one when the trace is at its limit."""
        events = self.events
        if events.maxlen is not None and len(events) == events.maxlen:
            self.dropped += 1
        events.append(event)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Trace: ...
    def __getitem__(self, index: int | slice) -> Event | Trace:
        if isinstance(index, slice):
            return Trace(list(self.events)[index])
        return self.events[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return list(self.events) == list(other.events) and self.dropped == other.dropped

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def of(self, *kinds: type[Event]) -> Trace:
        """Only the events of these kinds, e.g. ``trace.of(RequestSent)``."""
        return Trace([e for e in self.events if isinstance(e, kinds)])

    def table(self) -> str:
        """One line per event: virtual time, kind, what happened."""
        lines = [str(e) for e in self.events]
        if self.dropped:
            lines.insert(
                0, f"... {self.dropped:,} earlier events dropped (trace limit {self.limit:,})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        if not self.events:
            return "Trace(empty)"
        return f"Trace({len(self.events)} events)\n{self.table()}"

    def _repr_html_(self) -> str:
        return self.to_svg()

    def flow(self, last: int | None = 40) -> tuple[list[str], list[_flow.FlowRow]]:
        """The message flow of the last ``last`` drawn events (:func:`statefun.local.flow.flow`)."""
        return _flow.flow(self.events, last)

    def to_svg(self, last: int | None = 40) -> str:
        """A message-flow picture: lanes for ingresses, addresses and egresses; one row a step."""
        return _flow.to_svg(self.events, last)
