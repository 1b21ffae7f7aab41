"""``- ingress:`` entries: Kafka and Kinesis, their routing, startup positions and options."""

from __future__ import annotations

import datetime

import pytest
from module_yaml_texts import (
    ING,
    KAFKA_TOPICS,
    MODULE,
    WALKTHROUGH,
    edit,
    fails,
    ingress_module,
    line_of,
)

from statefun.local.module_yaml import (
    RoutingSpec,
    parse_module,
)


def test_type_url_without_slash_is_rejected() -> None:
    error = fails(edit(WALKTHROUGH, "com.googleapis/example.GreetRequest", "example.GreetRequest"))
    assert (error.line, error.key_path) == (27, f"{ING}.spec.topics[0].typeUrl")
    assert "would never match" in error.problem
    assert "com.googleapis/example.GreetRequest" in (error.hint or "")


def test_empty_topics_are_rejected() -> None:
    error = fails(ingress_module("address: kafka-broker:9092\ntopics: []\n"))
    assert error.problem == "Routing config for routable Kafka ingress cannot be empty."
    assert error.key_path == f"{ING}.spec.topics"


def test_missing_topics_are_rejected() -> None:
    error = fails(ingress_module("address: kafka-broker:9092\n"))
    assert error.problem == "Routing config for routable Kafka ingress cannot be empty."


def test_missing_address() -> None:
    error = fails(
        edit(
            WALKTHROUGH,
            "            address: kafka-broker:9092\n            consumerGroupId",
            "            consumerGroupId",
        )
    )
    assert error.key_path == f"{ING}.spec.address"
    assert "missing key `address`" in error.problem


def test_target_must_be_a_function_type() -> None:
    error = fails(edit(WALKTHROUGH, "- example/greeter", "- greeter"))
    assert error.problem == "greeter does not conform to the <namespace>/<name> format"
    assert error.key_path == f"{ING}.spec.topics[0].targets[0]"


def test_unknown_ingress_type_lists_supported_ones() -> None:
    error = fails(ingress_module(KAFKA_TOPICS, type_="statefun.kafka.io/kafka-ingress"))
    assert error.key_path == f"{ING}.meta.type"
    for supported in (
        "statefun.kafka.io/routable-protobuf-ingress",
        "statefun.kafka.io/protobuf-ingress",
        "statefun.kinesis.io/routable-protobuf-ingress",
    ):
        assert supported in error.problem


def test_ingress_type_is_case_sensitive_with_hint() -> None:
    error = fails(ingress_module(KAFKA_TOPICS, type_="Statefun.Kafka.IO/routable-protobuf-ingress"))
    assert "type: statefun.kafka.io/routable-protobuf-ingress" in (error.hint or "")


def test_kafka_ingress_options() -> None:
    ingress = parse_module(
        ingress_module(
            KAFKA_TOPICS
            + """\
consumerGroupId: g
autoOffsetResetPosition: EARLIEST
startupPosition:
  type: Specific-Offsets
  offsets:
    - names/0: 42
    - my/topic/3: 0
properties:
  - max.poll.records: 500
  - enable.auto.commit: false
  - client.id: lab
"""
        )
    ).ingresses["example/names"]
    assert ingress.auto_offset_reset == "earliest"
    assert ingress.startup_position == {
        "type": "specific-offsets",
        "offsets": {("names", 0): 42, ("my/topic", 3): 0},
    }
    assert ingress.properties == {
        "max.poll.records": "500",
        "enable.auto.commit": "false",
        "client.id": "lab",
    }


@pytest.mark.parametrize("kind", ["group-offsets", "earliest", "latest", "LATEST"])
def test_kafka_startup_positions(kind: str) -> None:
    ingress = parse_module(
        ingress_module(KAFKA_TOPICS + f"startupPosition:\n  type: {kind}\n")
    ).ingresses["example/names"]
    assert ingress.startup_position == {"type": kind.lower()}


def test_kafka_startup_date() -> None:
    ingress = parse_module(
        ingress_module(
            KAFKA_TOPICS + "startupPosition:\n  type: date\n  date: 2020-02-01 04:15:00.000 +0100\n"
        )
    ).ingresses["example/names"]
    assert ingress.startup_position == {
        "type": "date",
        "date": datetime.datetime(2020, 2, 1, 3, 15, tzinfo=datetime.UTC),
    }


@pytest.mark.parametrize(
    "date",
    ["2020-02-01 04:15:00 +0000", "2020-02-01T04:15:00.000Z", "2020-13-01 04:15:00.000 +0000"],
)
def test_kafka_startup_date_format(date: str) -> None:
    error = fails(
        ingress_module(KAFKA_TOPICS + f"startupPosition:\n  type: date\n  date: {date}\n")
    )
    assert error.problem == (
        f"Unable to parse date string for startup position: {date}; the date should conform to "
        f"the pattern yyyy-MM-dd HH:mm:ss.SSS Z"
    )
    assert error.key_path == f"{ING}.spec.startupPosition.date"
    assert "2020-02-01 04:15:00.000 +0000" in (error.hint or "")


def test_invalid_kafka_startup_position() -> None:
    error = fails(ingress_module(KAFKA_TOPICS + "startupPosition:\n  type: beginning\n"))
    assert error.problem == (
        "Invalid startup position type: beginning; valid values are "
        "[group-offsets, earliest, latest, specific-offsets, date]"
    )
    assert error.key_path == f"{ING}.spec.startupPosition.type"


@pytest.mark.parametrize(
    ("offsets", "problem"),
    [
        ("    - names: 1\n", "names does not conform to the <topic>/<partition_id> format"),
        ("    - names/x: 1\n", "does not conform to the <topic>/<partition_id> format"),
        ('    - names/0: "1"\n', "value for key-value pair at names/0 is not a long"),
        ("    - names/0: -1\n", "Invalid offset value: -1"),
        ("    names/0: 1\n", "not a key-value list"),
    ],
)
def test_invalid_specific_offsets(offsets: str, problem: str) -> None:
    error = fails(
        ingress_module(
            KAFKA_TOPICS + "startupPosition:\n  type: specific-offsets\n  offsets:\n" + offsets
        )
    )
    assert problem in error.problem


def test_invalid_auto_offset_reset() -> None:
    error = fails(ingress_module(KAFKA_TOPICS + "autoOffsetResetPosition: newest\n"))
    assert error.problem == (
        "Invalid autoOffsetResetPosition: NEWEST; valid values are [EARLIEST, LATEST]"
    )
    assert error.key_path == f"{ING}.spec.autoOffsetResetPosition"


def test_duplicate_topic_in_one_ingress() -> None:
    error = fails(
        ingress_module(
            KAFKA_TOPICS + "  - topic: names\n    typeUrl: com.googleapis/example.GreetRequest\n"
        )
    )
    assert "listed twice" in error.problem
    assert error.key_path == f"{ING}.spec.topics[1]"


KINESIS_STREAMS = """\
streams:
  - stream: names
    typeUrl: com.googleapis/example.GreetRequest
    targets: [example/greeter]
"""


def test_kinesis_ingress() -> None:
    ingress = parse_module(
        ingress_module(
            KINESIS_STREAMS
            + """\
awsRegion:
  type: custom-endpoint
  endpoint: https://localhost:4567
  id: us-west-1
awsCredentials:
  type: basic
  accessKeyId: AKIA
  secretAccessKey: secret
startupPosition:
  type: earliest
clientConfigProperties:
  - SocketTimeout: 9999
""",
            type_="statefun.kinesis.io/routable-protobuf-ingress",
        )
    ).ingresses["example/names"]
    assert ingress.kind == "kinesis"
    assert ingress.routable
    assert ingress.address is None
    assert ingress.topics == (
        RoutingSpec("names", "com.googleapis/example.GreetRequest", ("example/greeter",)),
    )
    assert ingress.aws_region == {
        "type": "custom-endpoint",
        "endpoint": "https://localhost:4567",
        "id": "us-west-1",
    }
    assert ingress.aws_credentials == {
        "type": "basic",
        "accessKeyId": "AKIA",
        "secretAccessKey": "secret",
    }
    assert ingress.startup_position == {"type": "earliest"}
    assert ingress.properties == {"SocketTimeout": "9999"}


def test_kinesis_startup_position_is_case_sensitive() -> None:
    error = fails(
        ingress_module(
            KINESIS_STREAMS + "startupPosition:\n  type: EARLIEST\n",
            type_="statefun.kinesis.io/routable-protobuf-ingress",
        )
    )
    assert error.problem == (
        "Invalid startup position type: EARLIEST; valid values are [earliest, latest, date]"
    )
    assert "case-sensitive" in (error.hint or "")


def test_kinesis_empty_streams() -> None:
    error = fails(
        ingress_module("streams: []\n", type_="statefun.kinesis.io/routable-protobuf-ingress")
    )
    assert error.problem == "Routing config for routable Kinesis ingress cannot be empty."


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("awsRegion:\n  type: moon\n", "Invalid AWS region type: moon; valid values are"),
        ("awsRegion:\n  type: specific\n", "missing key `id`"),
        ("awsCredentials:\n  type: token\n", "Invalid AWS credential type: token"),
        ("awsCredentials:\n  type: profile\n", "missing key `profileName`"),
    ],
)
def test_kinesis_aws_settings_errors(block: str, problem: str) -> None:
    error = fails(
        ingress_module(
            KINESIS_STREAMS + block, type_="statefun.kinesis.io/routable-protobuf-ingress"
        ),
        plain=False,  # `type: token` is the learner's word here, not PyYAML's jargon
    )
    assert problem in error.problem


def test_a_partition_with_too_many_digits_is_a_module_error() -> None:
    offsets = "type: specific-offsets\n              offsets:\n"
    offsets += f"                - names/{'1' * 30}: 1"
    text = edit(MODULE, "type: earliest", offsets)
    error = fails(text)
    assert error.line == line_of(text, "- names/111")
    assert "<topic>/<partition_id>" in error.problem
