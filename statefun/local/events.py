"""The events of the local runtime: one small record per thing it did, in virtual time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statefun.local.clock import format_time
from statefun.local.values import format_value

__all__ = [
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
]


@dataclass(frozen=True)
class Event:
    """One step of the runtime. ``time`` is virtual time."""

    time: datetime

    @property
    def kind(self) -> str:
        """The event's class name, as the trace prints it: ``"Egressed"``."""
        return type(self).__name__

    def describe(self) -> str:
        """What happened, in one line after the time and the kind (each event class words it)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{format_time(self.time):>10}  {self.kind:<14} {self.describe()}"


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
    """A function asked for a message to be sent after a delay; it fires at ``due``."""

    source: str
    target: str
    due: datetime
    value: object

    def describe(self) -> str:
        return (
            f"{self.source} -> {self.target} at {format_time(self.due)} {format_value(self.value)}"
        )


@dataclass(frozen=True)
class DelayFired(Event):
    """A delayed message came due and was delivered."""

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
    """A response changed a state of an address (``after`` is None when it deleted it)."""

    address: str
    name: str
    before: object
    after: object  # None: deleted

    def describe(self) -> str:
        after = "deleted" if self.after is None else format_value(self.after)
        return f"{self.address} {self.name}: {format_value(self.before)} -> {after}"


@dataclass(frozen=True)
class StateExpired(Event):
    """A state's TTL (``expireAfter`` in module.yaml) ran out and the runtime cleared it."""

    address: str
    name: str
    value: object

    def describe(self) -> str:
        return f"{self.address} {self.name} ({format_value(self.value)}) expired (TTL)"


@dataclass(frozen=True)
class Backpressured(Event):
    """An address has ``maxNumBatchRequests`` messages waiting: input pauses meanwhile."""

    address: str
    backlog: int

    def describe(self) -> str:
        return (
            f"{self.address} has {self.backlog} messages waiting (maxNumBatchRequests): "
            f"input paused until its request completes"
        )


@dataclass(frozen=True)
class Failed(Event):
    """An address's batch failed; nothing of it was applied (``rt.resume()`` sends it again)."""

    address: str
    batch: int
    reason: str

    def describe(self) -> str:
        return f"{self.address} batch={self.batch}: {self.reason}"


@dataclass(frozen=True)
class Resumed(Event):
    """``rt.resume()`` sent a failed batch again."""

    address: str
    batch: int

    def describe(self) -> str:
        return f"{self.address} resending the same batch of {self.batch}"
