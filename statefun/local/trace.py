"""What the local runtime did, step by step: events, a text table and a message-flow picture."""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import overload

from statefun.local.clock import EPOCH
from statefun.local.values import format_value

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


def _t(time: datetime) -> str:
    """Virtual time as an offset from the clock's start: ``+61.000s``."""
    return f"+{(time - EPOCH) / timedelta(seconds=1):.3f}s"


@dataclass(frozen=True)
class Event:
    """One step of the runtime. ``time`` is virtual time."""

    time: datetime

    @property
    def kind(self) -> str:
        return type(self).__name__

    def describe(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{_t(self.time):>10}  {self.kind:<14} {self.describe()}"


@dataclass(frozen=True)
class Ingressed(Event):
    """A record arrived on an ingress and was routed to its targets."""

    ingress: str
    topic: str
    key: str
    targets: tuple[str, ...]
    value: object

    def describe(self) -> str:
        return (
            f"{self.ingress} [{self.topic}] key={self.key!r} {format_value(self.value)} "
            f"-> {', '.join(self.targets)}"
        )


@dataclass(frozen=True)
class MessageSent(Event):
    """A function sent a message to another address (or to itself)."""

    source: str
    target: str
    value: object

    def describe(self) -> str:
        return f"{self.source} -> {self.target} {format_value(self.value)}"


@dataclass(frozen=True)
class RequestSent(Event):
    """The runtime invoked an address with a batch of messages and its current states."""

    address: str
    batch: int
    states: tuple[tuple[str, bool], ...]  # (name, has a value)
    transport: str
    attempt: int = 1

    def describe(self) -> str:
        states = ", ".join(f"{n}={'set' if present else 'empty'}" for n, present in self.states)
        retry = f" (attempt {self.attempt})" if self.attempt > 1 else ""
        return f"{self.address} batch={self.batch} states[{states}] via {self.transport}{retry}"


@dataclass(frozen=True)
class Responded(Event):
    """A response was applied: its effects, in the runtime's order."""

    address: str
    messages: int
    delayed: int
    egresses: int
    mutations: int

    def describe(self) -> str:
        return (
            f"{self.address} messages={self.messages} delayed={self.delayed} "
            f"egress={self.egresses} mutations={self.mutations}"
        )


@dataclass(frozen=True)
class DelayScheduled(Event):
    source: str
    target: str
    due: datetime
    value: object

    def describe(self) -> str:
        return f"{self.source} -> {self.target} at {_t(self.due)} {format_value(self.value)}"


@dataclass(frozen=True)
class DelayFired(Event):
    source: str
    target: str
    value: object

    def describe(self) -> str:
        return f"{self.source} -> {self.target} {format_value(self.value)}"


@dataclass(frozen=True)
class Egressed(Event):
    """A record went out on an egress."""

    egress: str
    topic: str
    key: str | None
    value: object

    def describe(self) -> str:
        return f"{self.egress} [{self.topic}] key={self.key!r} {format_value(self.value)}"


@dataclass(frozen=True)
class StateChanged(Event):
    address: str
    name: str
    before: object
    after: object  # None: deleted

    def describe(self) -> str:
        after = "deleted" if self.after is None else format_value(self.after)
        return f"{self.address} {self.name}: {format_value(self.before)} -> {after}"


@dataclass(frozen=True)
class StateExpired(Event):
    address: str
    name: str
    value: object

    def describe(self) -> str:
        return f"{self.address} {self.name} ({format_value(self.value)}) expired (TTL)"


@dataclass(frozen=True)
class Backpressured(Event):
    address: str
    backlog: int

    def describe(self) -> str:
        return (
            f"{self.address} has {self.backlog} messages waiting (maxNumBatchRequests): "
            f"input paused until its request completes"
        )


@dataclass(frozen=True)
class Failed(Event):
    address: str
    batch: int
    reason: str

    def describe(self) -> str:
        return f"{self.address} batch={self.batch}: {self.reason}"


@dataclass(frozen=True)
class Resumed(Event):
    address: str
    batch: int

    def describe(self) -> str:
        return f"{self.address} resending the same batch of {self.batch}"


FlowRow = tuple[str, int, int, str, str]  # (kind, from lane, to lane, label, color)


class Trace(Sequence[Event]):
    """The events of a runtime, in order. Print it, or render ``to_svg()`` in a notebook.

    With a ``limit`` it is a ring buffer: it keeps the last ``limit`` events and counts the
    older ones it let go in :attr:`dropped`, so a long run cannot fill the memory.
    """

    def __init__(self, events: Iterable[Event] = (), *, limit: int | None = None) -> None:
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise ValueError(f"a trace limit is a number of events of at least 1, got {limit!r}")
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

    def flow(self, last: int | None = 40) -> tuple[list[str], list[FlowRow]]:
        """The message flow of the last ``last`` drawn events: lanes and one row per step.

        A row is ``(kind, from lane, to lane, label, color)`` with kind ``arrow``, ``box`` or
        ``note``; :meth:`to_svg` draws it.
        """
        drawn = (
            Ingressed
            | RequestSent
            | MessageSent
            | DelayFired
            | Egressed
            | StateChanged
            | StateExpired
            | Failed
            | Backpressured
        )
        # Which address produced each egress record: the latest Responded before it (a
        # response's egress events follow its Responded), found over the whole trace.
        producer: dict[int, str] = {}
        responder = "?"
        for index, e in enumerate(self.events):
            if isinstance(e, Responded):
                responder = e.address
            elif isinstance(e, Egressed):
                producer[index] = responder
        shown = [(i, e) for i, e in enumerate(self.events) if isinstance(e, drawn)]
        if last is not None:
            shown = shown[-last:]
        lanes: list[str] = []

        def lane(name: str) -> int:
            if name not in lanes:
                lanes.append(name)
            return lanes.index(name)

        rows: list[FlowRow] = []
        for index, e in shown:
            if isinstance(e, Ingressed):
                for target in e.targets:
                    rows.append(
                        (
                            "arrow",
                            lane(e.ingress),
                            lane(f"{target}/{e.key}"),
                            f"{e.key}: {format_value(e.value)}",
                            "#1f77b4",
                        )
                    )
            elif isinstance(e, RequestSent):
                i = lane(e.address)
                rows.append(("box", i, i, f"request, batch of {e.batch}", "#555"))
            elif isinstance(e, MessageSent | DelayFired):
                label = format_value(e.value) + (" (delayed)" if isinstance(e, DelayFired) else "")
                rows.append(("arrow", lane(e.source), lane(e.target), label, "#2ca02c"))
            elif isinstance(e, Egressed):
                rows.append(
                    (
                        "arrow",
                        lane(producer[index]),
                        lane(e.egress),
                        format_value(e.value),
                        "#ff7f0e",
                    )
                )
            elif isinstance(e, StateChanged):
                i = lane(e.address)
                after = "deleted" if e.after is None else format_value(e.after)
                rows.append(("note", i, i, f"{e.name} = {after}", "#9467bd"))
            elif isinstance(e, StateExpired):
                i = lane(e.address)
                rows.append(("note", i, i, f"{e.name} expired", "#8c564b"))
            elif isinstance(e, Failed):
                i = lane(e.address)
                rows.append(("note", i, i, f"FAILED: {e.reason[:60]}", "#d62728"))
            elif isinstance(e, Backpressured):
                i = lane(e.address)
                rows.append(("note", i, i, f"backpressure ({e.backlog} waiting)", "#d62728"))
        return lanes, rows

    def to_svg(self, last: int | None = 40) -> str:
        """A message-flow picture: lanes for ingresses, addresses and egresses; one row a step."""
        lanes, rows = self.flow(last)
        width, top, step = 190, 44, 26
        svg_w = max(1, len(lanes)) * width + 120  # room for notes right of the last lane
        svg_h = top + step * (len(rows) + 1)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{svg_w}" height="{svg_h}" '
            f'font-family="sans-serif" font-size="11">',
            '<defs><marker id="arr" markerWidth="8" markerHeight="8" refX="7" refY="4" '
            'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
        ]
        for i, name in enumerate(lanes):
            x = i * width + width // 2
            out.append(
                f'<text x="{x}" y="16" text-anchor="middle" font-weight="bold">'
                f"{html.escape(name)}</text>"
            )
            out.append(
                f'<line x1="{x}" y1="24" x2="{x}" y2="{svg_h - 6}" stroke="#bbb" '
                'stroke-dasharray="4,3"/>'
            )
        for r, (kind, a, b, label, color) in enumerate(rows):
            y = top + r * step
            xa, xb = a * width + width // 2, b * width + width // 2
            text = html.escape(label if len(label) <= 48 else label[:45] + "...")
            if kind == "arrow" and a != b:
                out.append(
                    f'<line x1="{xa}" y1="{y}" x2="{xb}" y2="{y}" stroke="{color}" '
                    'stroke-width="1.5" marker-end="url(#arr)"/>'
                )
                out.append(
                    f'<text x="{(xa + xb) // 2}" y="{y - 4}" text-anchor="middle" '
                    f'fill="{color}">{text}</text>'
                )
            elif kind == "box" or (kind == "arrow" and a == b):
                out.append(
                    f'<rect x="{xa - 80}" y="{y - 12}" width="160" height="18" rx="3" '
                    f'fill="white" stroke="{color}"/>'
                )
                out.append(
                    f'<text x="{xa}" y="{y + 1}" text-anchor="middle" fill="{color}">{text}</text>'
                )
            else:
                out.append(f'<text x="{xa + 6}" y="{y + 1}" fill="{color}">{text}</text>')
        out.append("</svg>")
        return "\n".join(out)
