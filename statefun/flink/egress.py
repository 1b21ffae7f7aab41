"""Reading what a running stack committed to Kafka: :class:`StackEgress`.

:meth:`StackEgress.egress` returns the committed records of a topic (read ``read_committed``:
each once, only what a completed checkpoint committed), going on from where the previous call
stopped, and raises as soon as the function fails while it waits; :meth:`StackEgress.greetings`
is the walkthrough's shorthand (``(name, greeting)`` of the ``example.GreetResponse`` records).
"""

from __future__ import annotations

import time
from typing import Any, TypeVar, overload

from google.protobuf.message import Message

from statefun.errors import FlinkStackError, FunctionFailedError, StackTimeoutError
from statefun.flink.base import StackBase
from statefun.flink.ingress import message_class
from statefun.flink.kafka import CommittedReader, EgressRecord

__all__ = ["StackEgress"]

M = TypeVar("M", bound=Message)
_R = TypeVar("_R")


class StackEgress(StackBase):
    """The part of :class:`~statefun.flink.FlinkStack` that reads its egress topics."""

    def _egress_topic(self, egress_or_topic: str | None) -> str:
        if egress_or_topic is None or egress_or_topic in self.module.egresses:
            if len(self.egress_topics) == 1:
                return self.egress_topics[0]
            raise FlinkStackError(
                f"which topic? The egress writes to the topics its functions choose; this "
                f"stack knows {list(self.egress_topics)}: pass one of them."
            )
        return egress_or_topic

    @overload
    def egress(
        self,
        egress_or_topic: str | None = ...,
        message_type: None = ...,
        *,
        count: int | None = ...,
        timeout: float = ...,
        from_start: bool = ...,
    ) -> list[EgressRecord[Message]]: ...

    @overload
    def egress(
        self,
        egress_or_topic: str | None,
        message_type: type[M],
        *,
        count: int | None = ...,
        timeout: float = ...,
        from_start: bool = ...,
    ) -> list[EgressRecord[M]]: ...

    def egress(
        self,
        egress_or_topic: str | None = None,
        message_type: type[Message] | None = None,
        *,
        count: int | None = None,
        timeout: float = 60.0,
        from_start: bool = False,
    ) -> list[EgressRecord[Any]]:
        """Committed records of a topic (or of the egress id's topic), decoded as
        ``message_type`` (None: raw bytes), read ``read_committed``: only what a completed
        checkpoint committed, each once.

        Each call returns the records after those the previous call (for this topic and
        type) returned; the first call starts at the topic's beginning (``from_start=True``:
        start over). ``count``: wait (``timeout`` s at most) for that many; None: what is
        committed now. Raises :class:`~statefun.errors.FunctionFailedError` as soon as the
        function raises while waiting, :class:`~statefun.errors.StackTimeoutError` on timeout.
        """
        topic = self._egress_topic(egress_or_topic)
        reader, pending = self._reader(topic, message_type, from_start)
        errors_at_start = self._server.error_count() if self._server is not None else 0
        deadline = time.monotonic() + timeout
        while True:
            if count is not None and len(pending) >= count:
                return _take(pending, count)
            pending += reader.poll(timeout_ms=200)
            if count is None and reader.at_end():
                pending += reader.poll(timeout_ms=0)
                return _take(pending, None)
            if count is not None and len(pending) >= count:
                continue
            self._check_function_errors(errors_at_start)
            if time.monotonic() >= deadline:
                if count is None:
                    return _take(pending, None)
                raise self._egress_timeout(topic, count, len(pending), timeout)

    def _reader(
        self, topic: str, message_type: type[Message] | None, from_start: bool
    ) -> tuple[CommittedReader[Any], list[EgressRecord[Any]]]:
        """The reader of ``topic`` as ``message_type``, and the records it read and no call
        returned yet; a new one at the topic's beginning on the first call or ``from_start``."""
        key = (topic, message_type.DESCRIPTOR.full_name if message_type else None)
        reader = self._readers.get(key)
        if reader is None or from_start:
            if reader is not None:
                reader.close()
            reader = CommittedReader(self.bootstrap, topic, message_type)
            self._readers[key] = reader
            self._pending[key] = []
        return reader, self._pending[key]

    def _egress_timeout(
        self, topic: str, count: int, arrived: int, timeout: float
    ) -> StackTimeoutError:
        return StackTimeoutError(
            f"timed out after {timeout:g}s waiting for {count} committed record(s) on "
            f"topic {topic!r}; {arrived} arrived (kept for the next call). Records "
            f"are committed when a checkpoint completes (every "
            f"{self.checkpoint_interval}); is the job running (stack.status())?\n"
            f"{self.logs('statefun', 15)}",
            log_path=str(self.log_path("statefun")),
        )

    def _check_function_errors(self, seen: int) -> None:
        if self._server is None or self._server.error_count() <= seen:
            return
        errors = self._function_errors()
        if errors:
            raise FunctionFailedError(
                f"the function raised while Flink called it "
                f"({self._server.error_count() - seen} time(s)); Flink retries the batch "
                f"until the function's timeout in module.yaml, then restarts the job. Fix "
                f"the function (rebinding it is enough when it is served from this process) "
                f"and read again. The last "
                f"error:\n{errors[-1]}",
                errors=errors,
                log_path=str(self.log_path("functions")),
            )

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        """The walkthrough's shorthand: ``(name, greeting)`` of the next committed
        ``example.GreetResponse`` records of the egress topic (see :meth:`egress`)."""
        cls = message_class("example.GreetResponse")
        records = self.egress(None, cls, count=count, timeout=timeout)
        return [(getattr(r.value, "name", ""), getattr(r.value, "greeting", "")) for r in records]


def _take(pending: list[_R], count: int | None) -> list[_R]:
    """Remove and return the first ``count`` of ``pending`` (all of them for None)."""
    n = len(pending) if count is None else count
    got, pending[:] = pending[:n], pending[n:]
    return got
