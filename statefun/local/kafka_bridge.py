"""Connect a LocalRuntime to a real Kafka broker: it plays the Flink job's part.

The bridge consumes the module's routable Kafka ingress topics into the runtime and produces the
records of its Kafka egresses, with kafka-python::

    rt = LocalRuntime.from_module("module.yaml", functions)
    with KafkaBridge(rt, bootstrap_servers="localhost:29092") as bridge:
        bridge.run(idle_timeout=5.0)

Each ``poll`` is one cycle: consume a batch, run the runtime to quiescence, produce the egress
records it made, then commit the consumed offsets. When an egress of module.yaml asks for
``exactly-once``, a cycle is one Kafka transaction (the egress records and the consumer offsets
commit together), so a ``read_committed`` consumer sees each greeting exactly once, as with the
Flink job; otherwise offsets are committed after the records are acknowledged (at-least-once).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from statefun.errors import InvalidArgumentError, RuntimeFailure
from statefun.extras import require
from statefun.local.module_yaml import IngressSpec, ModuleSpec

if TYPE_CHECKING:
    from statefun.local.runtime import LocalRuntime

__all__ = ["KafkaBridge"]


class KafkaBridge:
    """Feeds a :class:`LocalRuntime` from Kafka and writes its egress records back to Kafka."""

    def __init__(
        self,
        runtime: LocalRuntime,
        bootstrap_servers: str | None = None,
        *,
        topic_map: Mapping[str, str] | None = None,
        group_id: str | None = None,
        transactional: bool | None = None,
        client_id: str = "statefun-lab",
        consumer_class: Callable[..., Any] | None = None,
        producer_class: Callable[..., Any] | None = None,
    ) -> None:
        """
        Args:
            bootstrap_servers: the broker; by default the ``address`` of module.yaml's ingresses.
            topic_map: rename topics on the broker, e.g. ``{"names": "lab-names"}``; applies to
                the ingress topics read and to the egress topics written.
            group_id: the consumer group; by default the ingress's ``consumerGroupId``.
            transactional: one Kafka transaction per cycle; by default when an egress of
                module.yaml is ``exactly-once``.
            consumer_class, producer_class: kafka-python's ``KafkaConsumer`` and
                ``KafkaProducer`` by default; anything called the same way with the same
                methods (a fake broker in tests, an instrumented client) works too.
        """
        consumer_class, producer_class = _clients(consumer_class, producer_class)
        self.runtime = runtime
        module = runtime.module
        ingresses = _routable_kafka_ingresses(module)
        if bootstrap_servers is None:
            bootstrap_servers = _one_broker(ingresses)
        self.bootstrap_servers = bootstrap_servers
        self.topic_map = dict(topic_map or {})
        self._broker_to_topic: dict[str, str] = {
            self.topic_map.get(route.topic, route.topic): route.topic
            for spec in ingresses
            for route in spec.topics
        }
        first = ingresses[0]
        self.group_id = group_id or first.consumer_group_id or f"{client_id}-{first.id}"
        self._kafka_egresses = {
            egress_id for egress_id, spec in module.egresses.items() if spec.kind == "kafka"
        }
        if transactional is None:
            transactional = any(
                module.egresses[e].delivery_semantic == "exactly-once" for e in self._kafka_egresses
            )
        self.transactional = transactional
        self._consumer = self._open_consumer(consumer_class, client_id, first)
        self._producer = self._open_producer(producer_class, client_id)
        self._egress_cursor = runtime.egress_total
        self._uncommitted: dict[Any, int] = {}
        self.consumed = 0
        self.produced = 0

    def _open_consumer(
        self, consumer_class: Callable[..., Any], client_id: str, first: IngressSpec
    ) -> Any:
        """A consumer of the ingress topics that commits only when told and reads only
        committed records; without committed offsets it starts where ``first`` says."""
        return consumer_class(
            *sorted(self._broker_to_topic),
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset=_offset_reset(first),
            isolation_level="read_committed",
        )

    def _open_producer(self, producer_class: Callable[..., Any], client_id: str) -> Any:
        """An idempotent producer; a transactional one, its transactions initialised, when the
        bridge is."""
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
        }
        if self.transactional:
            config["transactional_id"] = f"{client_id}-{self.group_id}-{uuid.uuid4().hex}"
        producer = producer_class(**config)
        if self.transactional:
            producer.init_transactions()
        return producer

    # -- one cycle -------------------------------------------------------------------------

    def poll(self, timeout_ms: int = 500, max_records: int = 500) -> int:
        """Consume up to ``max_records``, process them, produce the egress, commit. Returns
        the number of records consumed.

        A function failure (``RuntimeFailure``) aborts the cycle's transaction and is raised;
        the consumed offsets stay uncommitted until a later cycle succeeds (after
        ``runtime.resume()``), so nothing is lost.
        """
        batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        cycle_start = self._egress_cursor
        if self.transactional:
            self._producer.begin_transaction()
        try:
            count = self._ingest(batches)
            self.runtime.run()
            self._produce_new_egress()
            self._commit_cycle()
        except (RuntimeFailure, ValueError):
            if self.transactional:
                self._producer.abort_transaction()
                # the aborted records are produced again, in the next transaction
                self._egress_cursor = cycle_start
            raise
        self._uncommitted.clear()
        self.consumed += count
        return count

    def _ingest(self, batches: Mapping[Any, Any]) -> int:
        """Hand the consumed records to the runtime (not run yet), noting each partition's next
        offset; returns how many."""
        from kafka import TopicPartition

        count = 0
        for partition, records in batches.items():
            topic = self._broker_to_topic[partition.topic]
            for record in records:
                if record.key is None:
                    raise InvalidArgumentError(
                        f"record {partition.topic}/{partition.partition}@{record.offset} has "
                        f"no key: the routable ingress makes the key the function id (the "
                        f"real runtime fails the job here)"
                    )
                self.runtime.ingest(
                    topic, record.key.decode("utf-8"), record.value or b"", run=False
                )
                self._uncommitted[TopicPartition(partition.topic, partition.partition)] = (
                    record.offset + 1
                )
                count += 1
        return count

    def _commit_cycle(self) -> None:
        """Commit the consumed offsets with the produced records: in the cycle's transaction, or
        once the records are acknowledged."""
        from kafka.structs import OffsetAndMetadata

        if self._uncommitted:
            offsets = {
                tp: OffsetAndMetadata(offset, "", -1) for tp, offset in self._uncommitted.items()
            }
            if self.transactional:
                self._producer.send_offsets_to_transaction(offsets, self.group_id)
            else:
                self._producer.flush()
                self._consumer.commit(offsets)
        if self.transactional:
            self._producer.commit_transaction()
        else:
            self._producer.flush()

    def _produce_new_egress(self) -> None:
        for record in self.runtime.egress_records(since=self._egress_cursor):
            if record.egress not in self._kafka_egresses:
                continue  # Kinesis egress records stay in the runtime only
            topic = self.topic_map.get(record.topic, record.topic)
            key = record.key.encode("utf-8") if record.key else None
            self._producer.send(topic, key=key, value=record.value)
            self.produced += 1
        self._egress_cursor = self.runtime.egress_total

    # -- loops -----------------------------------------------------------------------------

    def run(
        self,
        *,
        max_records: int | None = None,
        idle_timeout: float | None = None,
        until: Callable[[], bool] | None = None,
        poll_timeout_ms: int = 200,
    ) -> int:
        """Poll until ``max_records`` were consumed, nothing came for ``idle_timeout`` seconds,
        or ``until()`` is true. Returns the number of records consumed."""
        if max_records is None and idle_timeout is None and until is None:
            raise InvalidArgumentError(
                "give max_records, idle_timeout or until: run() would never stop"
            )
        total = 0
        last = time.monotonic()
        while True:
            n = self.poll(poll_timeout_ms)
            total += n
            now = time.monotonic()
            if n:
                last = now
            if max_records is not None and total >= max_records:
                return total
            if until is not None and until():
                return total
            if idle_timeout is not None and now - last >= idle_timeout:
                return total

    def close(self) -> None:
        """Close the consumer and the producer (uncommitted input is read again next time)."""
        self._consumer.close(autocommit=False)
        self._producer.close(timeout=10)

    def __enter__(self) -> KafkaBridge:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "exactly-once" if self.transactional else "at-least-once"
        return (
            f"KafkaBridge({self.bootstrap_servers}, topics={sorted(self._broker_to_topic)}, "
            f"group={self.group_id!r}, {mode}, consumed={self.consumed}, produced={self.produced})"
        )


def _offset_reset(spec: IngressSpec) -> str:
    position = str(spec.startup_position.get("type", "latest"))
    if position in ("earliest", "latest"):
        return position
    # group-offsets (and what we cannot express: specific offsets, a date) fall back to the
    # ingress's autoOffsetResetPosition, as Flink's consumer does without a committed offset
    return spec.auto_offset_reset


def _clients(
    consumer_class: Callable[..., Any] | None, producer_class: Callable[..., Any] | None
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The consumer and producer classes: the ones given, else kafka-python's."""
    if consumer_class is None or producer_class is None:
        require("kafka", extra="kafka", feature="statefun.local.KafkaBridge")
        from kafka import KafkaConsumer, KafkaProducer

        consumer_class = consumer_class or KafkaConsumer
        producer_class = producer_class or KafkaProducer
    return consumer_class, producer_class


def _routable_kafka_ingresses(module: ModuleSpec) -> list[IngressSpec]:
    """The ingresses the bridge consumes; at least one, or there is nothing to do."""
    ingresses = [
        spec for spec in module.ingresses.values() if spec.kind == "kafka" and spec.routable
    ]
    if not ingresses:
        raise InvalidArgumentError(
            "module.yaml has no routable Kafka ingress "
            "(statefun.kafka.io/routable-protobuf-ingress): nothing to consume"
        )
    return ingresses


def _one_broker(ingresses: list[IngressSpec]) -> str:
    """The ``address`` the ingresses share (without bootstrap_servers, they must share one)."""
    addresses = {spec.address for spec in ingresses}
    if len(addresses) != 1:
        raise InvalidArgumentError(
            f"the Kafka ingresses use different brokers {sorted(map(str, addresses))}: "
            f"pass bootstrap_servers"
        )
    return str(addresses.pop())
