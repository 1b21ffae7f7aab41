"""Who sees a local runtime's events (its trace, its subscribers) and how values are shown there.

Building an event costs time, so the runtime asks :attr:`Observers.observed` first and builds
none when nobody looks. It asks several times per record, so ``observed`` is a plain field kept
up to date when :attr:`Observers.record` changes or a subscriber comes or goes, not a property
computed at each read (a fast path: see ``benchmarks/runtime.py``). A message, state or egress
value larger than ``value_bytes`` is shown as its type and size (see
:mod:`statefun.local.shown`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from google.protobuf.message import Message

from statefun.local.egress_log import RawEgress, decode_egress
from statefun.local.events import Egressed, Event
from statefun.local.mailbox import Envelope
from statefun.local.shown import shown_egress, shown_message, shown_state
from statefun.local.trace import Trace

__all__ = ["Observers"]


class Observers:
    """The trace (when recorded) and the subscribers of one runtime, and how they see values."""

    __slots__ = ("_record", "egress_types", "observed", "subscribers", "trace", "value_bytes")

    def __init__(
        self,
        trace: Trace,
        *,
        record: bool = True,
        value_bytes: int,
        egress_types: dict[str, type[Message]],
    ) -> None:
        #: The events so far (while :attr:`record` is on).
        self.trace = trace
        self._record = record
        #: Called with every event, in order of subscription (subscribe through
        #: :meth:`subscribe`, which keeps :attr:`observed` up to date).
        self.subscribers: list[Callable[[Event], None]] = []
        #: Whether anyone sees events (the trace or a subscriber): else skip building them.
        self.observed = record
        #: A value larger than this (serialized bytes) is shown as its type and size only.
        self.value_bytes = value_bytes
        #: How to decode the record values of each egress.
        self.egress_types = egress_types

    @property
    def record(self) -> bool:
        """Whether events go to the trace."""
        return self._record

    @record.setter
    def record(self, value: bool) -> None:
        self._record = value
        self.observed = value or bool(self.subscribers)

    def emit(self, event: Event) -> None:
        """Hand ``event`` to the trace and to every subscriber."""
        if self._record:
            self.trace.append(event)
        for callback in list(self.subscribers):
            callback(event)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on; returns an unsubscribe function."""
        self.subscribers.append(callback)
        self.observed = True

        def unsubscribe() -> None:
            if callback in self.subscribers:
                self.subscribers.remove(callback)
                self.observed = self._record or bool(self.subscribers)

        return unsubscribe

    def message(self, envelope: Envelope) -> object:
        """The value of a message on its way, as events show it."""
        return shown_message(envelope[2], envelope[3], self.value_bytes)

    def state(self, raw: bytes | None) -> object:
        """A stored state value as events show it; None when there is none."""
        return shown_state(raw, self.value_bytes)

    def egressed(self, raw: RawEgress, now: datetime) -> Egressed:
        """The event of an egress record captured at ``now``."""
        r = decode_egress(raw)
        value_type = self.egress_types.get(r.egress)
        value = shown_egress(r.value, value_type, self.value_bytes)  # type: ignore[arg-type]
        return Egressed(now, r.egress, r.topic, r.key, value)
