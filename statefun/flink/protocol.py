"""What the views and the failure drill need of a running stack: :class:`FlinkStackLike`.

:class:`~statefun.flink.FlinkStack` has it; so does any object with these methods (the tests'
fake stack, a stack of your own), so the widgets and :mod:`statefun.flink.drill` work with
either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from statefun.flink.status import StackStatus

__all__ = ["FlinkStackLike"]


@runtime_checkable
class FlinkStackLike(Protocol):
    """The part of :class:`~statefun.flink.FlinkStack` the views and the drill use."""

    def send(self, *names: str, topic: str | None = None) -> int:
        """Produce ``GreetRequest(name=...)`` keyed by each name to the ingress topic."""
        ...

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        """``(name, greeting)`` of the next committed greetings (None: what is committed now)."""
        ...

    def status(self) -> StackStatus:
        """The job, its checkpoints, the processes."""
        ...

    def kill_task(self) -> None:
        """Crash the job (SIGKILL the StateFun JVM)."""
        ...

    def restore(self, *, from_checkpoint: bool = True) -> Path | None:
        """Start the job again from its latest completed checkpoint; returns its path."""
        ...
