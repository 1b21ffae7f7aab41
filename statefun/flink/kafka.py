"""Kafka clients for the stack's broker (kafka-python): produce, read committed records.

* :class:`Producer`: records keyed by a string (the routable ingress's function id), values
  given as protobuf messages (serialized with their own class) or bytes;
* :class:`CommittedReader`: a ``read_committed`` consumer of one topic, without a consumer
  group, that keeps its position between reads: it sees what the exactly-once egress committed
  (one checkpoint after the function ran), never an aborted transaction's records;
* :func:`wait_for_broker` and :func:`create_topics`, used while the stack starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from google.protobuf.message import DecodeError, Message

from statefun.errors import FlinkStackError, StackTimeoutError
from statefun.flink.processes import poll

__all__ = [
    "CommittedReader",
    "EgressRecord",
    "Producer",
    "create_topics",
    "wait_for_broker",
]

M = TypeVar("M", bound=Message)


@dataclasses.dataclass(frozen=True)
class EgressRecord(Generic[M]):
    """A committed record of a topic: its key, its value (decoded, or the raw bytes), where."""

    topic: str
    key: str | None
    value: M | bytes
    partition: int
    offset: int
    timestamp_ms: int


class Producer:
    """Produces keyed records to the broker at ``bootstrap`` (acks=all)."""

    def __init__(self, bootstrap: str, *, client_id: str = "statefun-lab") -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, client_id=client_id
        )

    def send(self, topic: str, key: str | None, value: Message | bytes) -> None:
        """Queue one record (call :meth:`flush` to wait until the broker has it)."""
        data = value.SerializeToString() if isinstance(value, Message) else bytes(value)
        self._producer.send(topic, key=None if key is None else key.encode("utf-8"), value=data)

    def send_many(self, topic: str, records: Iterable[tuple[str | None, Message | bytes]]) -> int:
        """Queue ``(key, value)`` records and flush; returns how many were sent."""
        n = 0
        for key, value in records:
            self.send(topic, key, value)
            n += 1
        self.flush()
        return n

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every queued record is acknowledged by the broker."""
        self._producer.flush(timeout=timeout)

    def close(self) -> None:
        """Flush and close the connection."""
        self._producer.close(timeout=10)

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CommittedReader(Generic[M]):
    """A ``read_committed`` reader of every partition of ``topic``, from ``from_start`` or its
    end; values decoded with ``message_type`` (raw bytes when None)."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        message_type: type[M] | None = None,
        *,
        from_start: bool = True,
        client_id: str = "statefun-lab-reader",
    ) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.topic = topic
        self.message_type = message_type
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            client_id=client_id,
        )
        partitions = poll(
            f"the partitions of topic {topic!r}",
            lambda: self._consumer.partitions_for_topic(topic),
            30,
        )
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(self._partitions)
        if from_start:
            self._consumer.seek_to_beginning(*self._partitions)
        else:
            self.skip_to_end()

    def skip_to_end(self) -> None:
        """Move past everything committed now (the last stable offset)."""
        self._consumer.seek_to_end(*self._partitions)
        for tp in self._partitions:
            self._consumer.position(tp)

    def at_end(self) -> bool:
        """Whether everything committed so far has been read."""
        ends = self._consumer.end_offsets(self._partitions)
        return all(self._consumer.position(tp) >= ends[tp] for tp in self._partitions)

    def poll(self, timeout_ms: int = 200) -> list[EgressRecord[M]]:
        """The records that arrived (committed) since the last call, in offset order."""
        out: list[EgressRecord[M]] = []
        for records in self._consumer.poll(timeout_ms=timeout_ms).values():
            out.extend(self._decode(rec) for rec in records)
        return out

    def read(
        self,
        count: int | None = None,
        *,
        timeout: float = 30.0,
        keep: Callable[[EgressRecord[M]], bool] | None = None,
        on_timeout: Callable[[list[EgressRecord[M]]], str] | None = None,
    ) -> list[EgressRecord[M]]:
        """Read ``count`` more records (those ``keep`` accepts), or, with ``count=None``,
        everything committed now.

        Waits at most ``timeout`` seconds for ``count``; then raises
        :class:`~statefun.errors.StackTimeoutError` (``on_timeout`` adds to its message, e.g.
        a log tail).
        """
        got: list[EgressRecord[M]] = []
        deadline = time.monotonic() + timeout
        while True:
            got.extend(r for r in self.poll() if keep is None or keep(r))
            if count is None:
                if self.at_end():
                    return got
            elif len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                if count is None:
                    return got
                extra = on_timeout(got) if on_timeout is not None else ""
                shown = [r.value for r in got[-5:]]
                raise StackTimeoutError(
                    f"timed out after {timeout:g}s waiting for {count} committed record(s) on "
                    f"topic {self.topic!r}; got {len(got)} (the last: {shown}). Records are "
                    f"committed when a checkpoint completes, so allow a few seconds.{extra}"
                )

    def _decode(self, rec: Any) -> EgressRecord[M]:
        raw: bytes = rec.value or b""
        value: M | bytes = raw
        if self.message_type is not None:
            try:
                value = self.message_type.FromString(raw)
            except DecodeError as exc:
                raise FlinkStackError(
                    f"topic {self.topic!r}, offset {rec.offset}: {len(raw)} bytes that do not "
                    f"parse as {self.message_type.DESCRIPTOR.full_name} ({exc}). Pass the message "
                    f"type the function sends to this topic, or None for the raw bytes."
                ) from None
        return EgressRecord(
            topic=rec.topic,
            key=None if rec.key is None else rec.key.decode("utf-8", "replace"),
            value=value,
            partition=rec.partition,
            offset=rec.offset,
            timestamp_ms=rec.timestamp,
        )

    def close(self) -> None:
        """Close the consumer."""
        self._consumer.close()

    def __enter__(self) -> CommittedReader[M]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_broker(
    port: int, *, timeout: float, log: Path, alive: Callable[[], str | None]
) -> None:
    """Wait until the broker on 127.0.0.1:``port`` listens and answers metadata requests."""
    from kafka import KafkaAdminClient

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    def answers() -> bool:
        admin = KafkaAdminClient(
            bootstrap_servers=f"127.0.0.1:{port}",
            request_timeout_ms=3000,
            reconnect_backoff_max_ms=500,
            client_id="statefun-lab-probe",
        )
        try:
            return bool(admin.describe_cluster().get("brokers"))
        finally:
            admin.close()

    # A plain TCP poll first: kafka-python backs off for long after a refused connection.
    poll("the Kafka listener", listening, timeout, interval=0.1, log=log, alive=alive)
    poll("the Kafka broker", answers, 60, interval=0.3, log=log, alive=alive)


def create_topics(bootstrap: str, topics: Sequence[str], *, log: Path) -> None:
    """Create ``topics`` (one partition, one replica; existing ones are kept) and wait until
    each has a leader."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="statefun-lab-admin")
    try:
        for topic in topics:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])

        def have_leaders() -> bool:
            meta = admin.describe_topics(list(topics))
            return all(
                t.get("error_code", 0) == 0
                and bool(t["partitions"])
                and all(p.get("leader_id", p.get("leader", -1)) >= 0 for p in t["partitions"])
                for t in meta
            )

        poll("the topics' leaders", have_leaders, 30, log=log)
    finally:
        admin.close()
