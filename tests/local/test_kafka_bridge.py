"""KafkaBridge against a fake broker: clients with kafka-python's interface, no Kafka.

The fake keeps what a broker would: each topic's records, each group's committed offsets, and
the records producers committed (a transaction's only when it commits, as a ``read_committed``
consumer sees them). The real broker is exercised in the e2e tier.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from kafka.structs import OffsetAndMetadata, TopicPartition
from messages_pb2 import GreetRequest, GreetResponse

import greeter
from statefun import StatefulFunctions, kafka_egress_record
from statefun.errors import InvalidArgumentError, RuntimeFailure
from statefun.local import KafkaBridge, LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "module.yaml"


class Record(NamedTuple):
    """What kafka-python's ``ConsumerRecord`` offers the bridge."""

    key: bytes | None
    value: bytes
    offset: int


class FakeBroker:
    def __init__(self) -> None:
        self.topics: dict[str, list[tuple[bytes | None, bytes]]] = defaultdict(list)
        self.committed_offsets: dict[tuple[str, TopicPartition], int] = {}
        self.records: list[tuple[str, bytes | None, bytes]] = []  # committed output
        self.log: list[str] = []  # the calls that matter for ordering
        self.consumer_config: dict[str, Any] = {}
        self.producer_config: dict[str, Any] = {}
        self.closed: list[str] = []

    def put(self, topic: str, key: str | None, name: str) -> None:
        value = GreetRequest(name=name).SerializeToString()
        self.topics[topic].append((None if key is None else key.encode(), value))

    def greetings(self) -> list[tuple[str, str, str]]:
        return [
            (topic, (key or b"").decode(), GreetResponse.FromString(value).greeting)
            for topic, key, value in self.records
        ]

    def consumer(self, *topics: str, **config: Any) -> FakeConsumer:
        self.consumer_config = {"topics": topics, **config}
        return FakeConsumer(self, topics, config["group_id"])

    def producer(self, **config: Any) -> FakeProducer:
        self.producer_config = config
        return FakeProducer(self, transactional="transactional_id" in config)


class FakeConsumer:
    def __init__(self, broker: FakeBroker, topics: tuple[str, ...], group: str) -> None:
        self.broker, self.group = broker, group
        self.position = {
            topic: broker.committed_offsets.get((group, TopicPartition(topic, 0)), 0)
            for topic in topics
        }

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        batches: dict[TopicPartition, list[Record]] = {}
        for topic, position in self.position.items():
            records = self.broker.topics[topic][position : position + max_records]
            if records:
                batches[TopicPartition(topic, 0)] = [
                    Record(key, value, position + i) for i, (key, value) in enumerate(records)
                ]
                self.position[topic] = position + len(records)
        return batches

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.broker.log.append("commit offsets")
        for tp, meta in offsets.items():
            self.broker.committed_offsets[(self.group, tp)] = meta.offset

    def close(self, autocommit: bool = True) -> None:
        self.broker.closed.append(f"consumer autocommit={autocommit}")


class FakeProducer:
    def __init__(self, broker: FakeBroker, transactional: bool) -> None:
        self.broker, self.transactional = broker, transactional
        self.pending: list[tuple[str, bytes | None, bytes]] = []
        self.pending_offsets: dict[tuple[str, TopicPartition], int] = {}
        self.in_transaction = False

    def init_transactions(self) -> None:
        self.broker.log.append("init transactions")

    def begin_transaction(self) -> None:
        assert not self.in_transaction
        self.in_transaction = True

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> None:
        assert self.in_transaction or not self.transactional
        self.pending.append((topic, key, value))

    def flush(self) -> None:
        if not self.transactional:
            self.broker.log.append("flush")
            self.broker.records += self.pending
            self.pending = []

    def send_offsets_to_transaction(
        self, offsets: dict[TopicPartition, OffsetAndMetadata], group_id: str
    ) -> None:
        self.pending_offsets.update({(group_id, tp): m.offset for tp, m in offsets.items()})

    def commit_transaction(self) -> None:
        self.broker.log.append("commit transaction")
        self.broker.records += self.pending
        self.broker.committed_offsets.update(self.pending_offsets)
        self._end()

    def abort_transaction(self) -> None:
        self.broker.log.append("abort transaction")
        self._end()

    def _end(self) -> None:
        self.pending, self.pending_offsets, self.in_transaction = [], {}, False

    def close(self, timeout: float | None = None) -> None:
        self.broker.closed.append("producer")


def bridge(broker: FakeBroker, rt: LocalRuntime | None = None, **kwargs: Any) -> KafkaBridge:
    rt = rt or LocalRuntime.from_module(MODULE, greeter.functions)
    return KafkaBridge(rt, consumer_class=broker.consumer, producer_class=broker.producer, **kwargs)


def offset(broker: FakeBroker, group: str = "my-group-id", topic: str = "names") -> int | None:
    return broker.committed_offsets.get((group, TopicPartition(topic, 0)))


def test_the_clients_are_configured_from_module_yaml() -> None:
    broker = FakeBroker()
    b = bridge(broker)
    assert b.transactional  # the egress is exactly-once
    assert broker.consumer_config == {
        "topics": ("names",),
        "bootstrap_servers": "kafka-broker:9092",
        "group_id": "my-group-id",
        "client_id": "statefun-lab",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
    }
    assert broker.producer_config["acks"] == "all"
    assert broker.producer_config["enable_idempotence"] is True
    assert broker.producer_config["transactional_id"].startswith("statefun-lab-my-group-id-")
    assert broker.log == ["init transactions"]


def test_a_cycle_is_one_transaction_of_greetings_and_offsets() -> None:
    broker = FakeBroker()
    for name in ("Jerry", "Jerry", "Elaine"):
        broker.put("names", name, name)
    b = bridge(broker)
    assert b.poll() == 3
    assert sorted(broker.greetings(), key=lambda g: g[1]) == [  # in order per key
        ("greetings", "Elaine", "Welcome Elaine"),
        ("greetings", "Jerry", "Welcome Jerry"),
        ("greetings", "Jerry", "Nice to see you again Jerry"),
    ]
    assert offset(broker) == 3
    assert broker.log == ["init transactions", "commit transaction"]
    assert (b.consumed, b.produced) == (3, 3)
    assert b.poll() == 0
    assert len(broker.records) == 3


def test_at_least_once_commits_offsets_after_the_records_are_flushed() -> None:
    broker = FakeBroker()
    broker.put("names", "Jerry", "Jerry")
    b = bridge(broker, transactional=False, group_id="mine")
    assert "transactional_id" not in broker.producer_config
    assert b.poll() == 1
    assert broker.log == ["flush", "commit offsets", "flush"]
    assert broker.greetings() == [("greetings", "Jerry", "Welcome Jerry")]
    assert offset(broker, "mine") == 1


def test_a_failure_aborts_the_cycle_and_a_later_cycle_produces_it_all_once() -> None:
    broken = {"Newman"}
    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    def greet(context: Any, request: GreetRequest) -> None:
        if request.name in broken:
            raise RuntimeError("the database is down")
        response = GreetResponse(name=request.name, greeting=f"Hi {request.name}")
        record = kafka_egress_record(topic="greetings", key=request.name, value=response)
        context.pack_and_send_egress("example/greets", record)

    broker = FakeBroker()
    broker.put("names", "Jerry", "Jerry")
    broker.put("names", "Newman", "Newman")
    rt = LocalRuntime.from_module(MODULE, functions)
    b = bridge(broker, rt)
    with pytest.raises(RuntimeFailure, match="the database is down"):
        b.poll()
    assert broker.records == [] and offset(broker) is None  # nothing of the cycle is visible
    assert broker.log[-1] == "abort transaction"
    broken.clear()
    rt.resume()
    assert b.poll() == 0  # nothing new to read, but the aborted cycle's work is redone
    assert broker.greetings() == [
        ("greetings", "Jerry", "Hi Jerry"),
        ("greetings", "Newman", "Hi Newman"),
    ]
    assert offset(broker) == 2


def test_a_record_without_a_key_is_refused_and_its_cycle_aborted() -> None:
    broker = FakeBroker()
    broker.put("names", None, "Nobody")
    b = bridge(broker)
    with pytest.raises(InvalidArgumentError, match=r"names/0@0 has no key"):
        b.poll()
    assert broker.log[-1] == "abort transaction"
    assert offset(broker) is None


def test_topic_map_renames_the_topics_on_the_broker() -> None:
    broker = FakeBroker()
    broker.put("lab-names", "Kramer", "Kramer")
    b = bridge(broker, topic_map={"names": "lab-names", "greetings": "lab-greetings"})
    assert broker.consumer_config["topics"] == ("lab-names",)
    assert b.poll() == 1
    assert broker.greetings() == [("lab-greetings", "Kramer", "Welcome Kramer")]
    assert offset(broker, topic="lab-names") == 1


def test_run_stops_on_a_count_an_idle_time_or_a_condition() -> None:
    broker = FakeBroker()
    for name in ("A", "B", "C"):
        broker.put("names", name, name)
    b = bridge(broker)
    assert b.run(max_records=3) == 3
    assert b.run(idle_timeout=0) == 0
    assert b.run(until=lambda: True) == 0
    with pytest.raises(ValueError, match="would never stop"):
        b.run()


def test_close_leaves_the_offsets_to_the_commits() -> None:
    broker = FakeBroker()
    with bridge(broker) as b:
        assert repr(b) == (
            "KafkaBridge(kafka-broker:9092, topics=['names'], group='my-group-id', "
            "exactly-once, consumed=0, produced=0)"
        )
    assert broker.closed == ["consumer autocommit=False", "producer"]


def test_a_module_without_a_routable_kafka_ingress_is_refused() -> None:
    head, rest = MODULE.read_text().split("    ingresses:")
    text = head + "    egresses:" + rest.split("    egresses:")[1]
    rt = LocalRuntime.from_module(text, greeter.functions)
    with pytest.raises(InvalidArgumentError, match="no routable Kafka ingress"):
        bridge(FakeBroker(), rt)
