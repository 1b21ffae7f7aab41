"""The delayed messages a local runtime holds until the virtual clock reaches their time."""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime

from statefun.local.mailbox import Envelope

__all__ = ["Timers"]


class Timers:
    """Delayed messages by due time; those due at the same time fire in the order sent."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Envelope]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, due: datetime, envelope: Envelope) -> None:
        """Hold ``envelope`` until ``due``."""
        heapq.heappush(self._heap, (due, next(self._seq), envelope))

    def next_due(self, until: datetime) -> datetime | None:
        """When the next message is due, if that is by ``until``; else None."""
        heap = self._heap
        if heap and heap[0][0] <= until:
            return heap[0][0]
        return None

    def pop(self, due: datetime) -> Envelope | None:
        """The next message due at exactly ``due``, taken out; None when there is no more."""
        heap = self._heap
        if heap and heap[0][0] == due:
            return heapq.heappop(heap)[2]
        return None

    def waiting(self) -> list[tuple[datetime, Envelope]]:
        """Every message waiting, with its due time, in firing order."""
        return [(due, env) for due, _, env in sorted(self._heap, key=lambda t: (t[0], t[1]))]
