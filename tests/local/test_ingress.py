"""Ingress records: the route of an ingress id or topic, the key and value checked."""

from __future__ import annotations

import pytest
from messages_pb2 import GreetRequest, SeenCount
from module_builder import build_module, function

from statefun.errors import ArgumentTypeError, InvalidArgumentError
from statefun.local.ingress import IngressRecords

MODULE = build_module(function("example/greeter"))


def test_a_route_is_found_by_ingress_id_or_topic_once() -> None:
    records = IngressRecords(MODULE)
    route = records.route("names")
    assert route.ingress.id == "example/names" and route.routing.topic == "names"
    assert route.targets == [("example", "greeter")]
    assert records.route("names") is route
    assert records.route("example/names").routing is route.routing


def test_an_unknown_ingress_fails() -> None:
    with pytest.raises(ValueError, match="nowhere"):
        IngressRecords(MODULE).route("nowhere")


def test_a_value_is_bytes_or_a_message_of_the_topic_type() -> None:
    records = IngressRecords(MODULE)
    route = records.route("names")
    jerry = GreetRequest(name="Jerry")
    assert records.take("names", "Jerry", jerry) == (route, jerry.SerializeToString())
    assert records.take("names", "Jerry", jerry)[1] == jerry.SerializeToString()  # known type
    assert records.take("example/names", "Jerry", b"raw") == (route, b"raw")
    assert records.take("names", "Jerry", bytearray(b"raw"))[1] == b"raw"  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"carries example\.GreetRequest") as caught:
        records.take("names", "Jerry", SeenCount())
    assert "the value is a example.SeenCount" in str(caught.value)
    with pytest.raises(ArgumentTypeError, match="a protobuf message or bytes, got int"):
        records.take("names", "Jerry", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nowhere"):
        records.take("nowhere", "Jerry", b"raw")


@pytest.mark.parametrize("key", [None, ""])
def test_a_record_needs_a_key(key: str | None) -> None:
    records = IngressRecords(MODULE)
    with pytest.raises(InvalidArgumentError, match=r"a record on example/names \[names\] needs"):
        records.take("names", key, b"")


def test_a_key_is_a_str() -> None:
    records = IngressRecords(MODULE)
    with pytest.raises(ArgumentTypeError, match="must be a str"):
        records.take("names", b"Jerry", b"")  # type: ignore[arg-type]
