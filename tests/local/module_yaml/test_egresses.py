"""``- egress:`` entries: Kafka with its delivery semantic, and Kinesis."""

from __future__ import annotations

import pytest
from module_yaml_texts import (
    EG,
    WALKTHROUGH,
    edit,
    egress_module,
    fails,
)

from statefun.local.module_yaml import (
    parse_module,
)


@pytest.mark.parametrize(
    ("block", "semantic"),
    [("", "at-least-once"), ("deliverySemantic:\n  type: NONE\n", "none")],
)
def test_kafka_egress_delivery_semantics(block: str, semantic: str) -> None:
    egress = parse_module(egress_module("address: k:9092\n" + block)).egresses["example/greets"]
    assert (egress.delivery_semantic, egress.transaction_timeout_millis) == (semantic, None)


def test_invalid_delivery_semantic_lists_valid_ones() -> None:
    error = fails(edit(WALKTHROUGH, "type: exactly-once", "type: exactly_once"))
    assert error.problem == (
        "Invalid delivery semantic type: exactly_once; valid types are "
        "[at-least-once, exactly-once, none]"
    )
    assert (error.line, error.key_path) == (38, f"{EG}.spec.deliverySemantic.type")


def test_exactly_once_requires_transaction_timeout() -> None:
    error = fails(edit(WALKTHROUGH, "              transactionTimeoutMillis: 100000\n", ""))
    assert error.key_path == f"{EG}.spec.deliverySemantic.transactionTimeoutMillis"
    assert "transactionTimeoutMillis: 100000" in (error.hint or "")


@pytest.mark.parametrize(
    ("value", "problem"), [("0", "must be larger than 0"), ('"100s"', "not a long")]
)
def test_transaction_timeout_must_be_a_positive_long(value: str, problem: str) -> None:
    error = fails(
        edit(WALKTHROUGH, "transactionTimeoutMillis: 100000", f"transactionTimeoutMillis: {value}")
    )
    assert problem in error.problem


def test_egress_address_is_required() -> None:
    error = fails(egress_module("properties: []\n"))
    assert error.key_path == f"{EG}.spec.address"


def test_unknown_egress_type() -> None:
    error = fails(egress_module("address: k\n", type_="statefun.kafka.io/kafka-egress"))
    assert "statefun.kafka.io/generic-egress" in error.problem
    assert "statefun.kinesis.io/generic-egress" in error.problem


def test_kinesis_egress() -> None:
    egress = parse_module(
        egress_module(
            "awsRegion: {type: specific, id: us-west-2}\nmaxOutstandingRecords: 9\n"
            "clientConfigProperties:\n  - ThreadingModel: POOLED\n",
            type_="statefun.kinesis.io/generic-egress",
        )
    ).egresses["example/greets"]
    assert egress.kind == "kinesis"
    assert egress.address is None
    assert egress.aws_region == {"type": "specific", "id": "us-west-2"}
    assert egress.aws_credentials is None
    assert egress.max_outstanding_records == 9
    assert egress.properties == {"ThreadingModel": "POOLED"}
