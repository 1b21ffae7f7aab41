"""The egress records a local runtime captured, kept raw and decoded when read.

A record is stored as a plain tuple (:data:`RawEgress`, untracked by the GC) and decoded into an
:class:`EgressRecord` when read, as Flink's sinks decode them after the response.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import NamedTuple

from google.protobuf.message import DecodeError, Message

from statefun.errors import InvalidArgumentError, UnknownEgressError
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.kinesis_egress_pb2 import KinesisEgressRecord
from statefun.local.values import format_value

__all__ = ["EgressLog", "EgressRecord", "RawEgress", "decode_egress"]


class EgressRecord(NamedTuple):
    """A record that went out on an egress. ``value`` is decoded when a type was given."""

    egress: str
    topic: str  # the Kinesis stream for a Kinesis egress
    key: str | None  # the Kinesis partition key for a Kinesis egress
    value: object
    time: datetime
    explicit_hash_key: str | None = None

    def __repr__(self) -> str:
        value = format_value(self.value)
        return f"EgressRecord(topic={self.topic!r}, key={self.key!r}, value={value})"


#: An egress record as stored: ``(egress id, True for Kafka, the serialised
#: KafkaProducerRecord or KinesisEgressRecord, time)``.
RawEgress = tuple[str, bool, bytes, datetime]


def decode_egress(raw: RawEgress) -> EgressRecord:
    """The :class:`EgressRecord` of a stored record, its value as raw bytes.

    :raises InvalidArgumentError: when the bytes are not the record the egress takes.
    """
    egress_id, is_kafka, record, time = raw
    try:
        if is_kafka:
            kafka = KafkaProducerRecord.FromString(record)
            return EgressRecord(egress_id, kafka.topic, kafka.key or None, kafka.value_bytes, time)
        kinesis = KinesisEgressRecord.FromString(record)
    except DecodeError as e:
        kind = "KafkaProducerRecord" if is_kafka else "KinesisEgressRecord"
        raise InvalidArgumentError(
            f"a record sent to egress {egress_id} is not a valid {kind} ({len(record)} bytes): "
            f"{e}. Build it with kafka_egress_record/kinesis_egress_record."
        ) from e
    return EgressRecord(
        egress_id,
        kinesis.stream,
        kinesis.partition_key,
        kinesis.value_bytes,
        time,
        kinesis.explicit_hash_key or None,
    )


class EgressLog:
    """The records captured so far, oldest first, and how many were cleared before them."""

    __slots__ = ("cleared", "raw")

    def __init__(self) -> None:
        #: The records captured since the last :meth:`clear`, as stored.
        self.raw: list[RawEgress] = []
        #: How many records :meth:`clear` forgot.
        self.cleared = 0

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def total(self) -> int:
        """How many records were ever captured (cleared ones included)."""
        return self.cleared + len(self.raw)

    def clear(self) -> int:
        """Forget the records captured so far; returns how many."""
        count = len(self.raw)
        self.cleared += count
        self.raw.clear()
        return count

    def since(self, since: int) -> list[EgressRecord]:
        """The records from number ``since`` on, counted from the first ever captured."""
        start = max(0, since - self.cleared)
        return [decode_egress(raw) for raw in self.raw[start:]]

    def select(
        self,
        egress: str | None,
        value_type: type[Message] | None,
        declared: Collection[str],
        egress_types: Mapping[str, type[Message]],
    ) -> list[EgressRecord]:
        """The records sent to ``egress`` (an egress id or topic; all when None), oldest first,
        their values decoded as ``value_type``, else as ``egress_types`` says for their egress.

        :raises UnknownEgressError: when ``egress`` is neither ``declared`` nor a topic written.
        """
        if (
            egress is not None
            and egress not in declared
            and not any(decode_egress(raw).topic == egress for raw in self.raw)
        ):
            raise UnknownEgressError(egress, sorted(declared))
        out = []
        for raw in self.raw:
            r = decode_egress(raw)
            if egress is not None and egress not in (r.egress, r.topic):
                continue
            decode_as = value_type or egress_types.get(r.egress)
            if decode_as is not None and isinstance(r.value, bytes):
                r = r._replace(value=decode_as.FromString(r.value))
            out.append(r)
        return out
