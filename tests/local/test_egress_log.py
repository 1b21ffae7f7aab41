"""The egress log: records kept raw, decoded when read, counted across clears."""

from __future__ import annotations

from datetime import datetime

import pytest
from messages_pb2 import GreetResponse

from statefun.errors import InvalidArgumentError, UnknownEgressError
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.kinesis_egress_pb2 import KinesisEgressRecord
from statefun.local.clock import EPOCH
from statefun.local.egress_log import EgressLog, EgressRecord, RawEgress, decode_egress

GREETING = GreetResponse(greeting="Hello Jerry").SerializeToString()


def kafka(topic: str, key: str = "Jerry", value: bytes = GREETING) -> RawEgress:
    record = KafkaProducerRecord(topic=topic, key=key, value_bytes=value)
    return ("example/greets", True, record.SerializeToString(), EPOCH)


def test_a_kafka_record_decodes_with_no_key_as_none() -> None:
    assert decode_egress(kafka("greetings", key="")) == EgressRecord(
        "example/greets", "greetings", None, GREETING, EPOCH
    )


def test_a_kinesis_record_decodes_with_its_stream_and_hash_key() -> None:
    record = KinesisEgressRecord(
        stream="s", partition_key="p", value_bytes=b"v", explicit_hash_key="h"
    )
    time = datetime(2021, 1, 1, tzinfo=EPOCH.tzinfo)
    raw = ("example/kinesis", False, record.SerializeToString(), time)
    assert decode_egress(raw) == EgressRecord("example/kinesis", "s", "p", b"v", time, "h")


def test_bytes_that_are_no_record_fail_with_how_to_build_one() -> None:
    with pytest.raises(InvalidArgumentError, match="not a valid KafkaProducerRecord") as caught:
        decode_egress(("example/greets", True, b"\xff\xff", EPOCH))
    assert "kafka_egress_record" in str(caught.value)


def test_the_log_counts_across_clears_and_reads_since_a_place() -> None:
    log = EgressLog()
    log.raw.extend([kafka("a"), kafka("b")])
    assert (len(log), log.total) == (2, 2)
    assert log.clear() == 2
    log.raw.append(kafka("c"))
    assert (len(log), log.total) == (1, 3)
    assert [r.topic for r in log.since(0)] == ["c"]
    assert [r.topic for r in log.since(3)] == []


def test_select_by_egress_id_or_topic_decoding_values() -> None:
    log = EgressLog()
    log.raw.extend([kafka("a"), kafka("b")])
    declared = ["example/greets"]
    assert [r.topic for r in log.select(None, None, declared, {})] == ["a", "b"]
    assert [r.topic for r in log.select("b", None, declared, {})] == ["b"]
    typed = log.select("example/greets", None, declared, {"example/greets": GreetResponse})
    assert typed[0].value == GreetResponse(greeting="Hello Jerry")
    assert log.select("a", GreetResponse, declared, {})[0].value.greeting == "Hello Jerry"


def test_select_of_an_unknown_egress_names_the_declared_ones() -> None:
    with pytest.raises(UnknownEgressError, match="example/greets"):
        EgressLog().select("nowhere", None, ["example/greets"], {})
