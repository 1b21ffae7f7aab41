"""Ingress routing: one rule for ``LocalRuntime.ingest`` and ``statefun-lab run --ingress``."""

from __future__ import annotations

import pytest
from messages_pb2 import GreetRequest
from module_yaml_texts import module_with

from statefun import StatefulFunctions
from statefun.errors import IngressRoutingError, StatefunError
from statefun.local import LocalRuntime
from statefun.local.module_yaml import ModuleSpec, parse_module
from statefun.local.routing import route_of

MODULE = module_with(
    """\
    functions:
      - function:
          meta: {kind: http, type: example/greeter}
          spec: {endpoint: "http://localhost:8000/statefun", states: [seen_count]}
    ingresses:
      - ingress:
          meta: {type: statefun.kafka.io/routable-protobuf-ingress, id: example/names}
          spec:
            address: kafka-broker:9092
            consumerGroupId: g
            topics:
              - {topic: names, typeUrl: com.googleapis/example.GreetRequest,
                 targets: [example/greeter]}
              - {topic: more, typeUrl: com.googleapis/example.GreetRequest,
                 targets: [example/greeter]}
      - ingress:
          meta: {type: statefun.kafka.io/routable-protobuf-ingress, id: example/one}
          spec:
            address: kafka-broker:9092
            consumerGroupId: g
            topics:
              - {topic: solo, typeUrl: com.googleapis/example.GreetRequest,
                 targets: [example/greeter]}
      - ingress:
          meta: {type: statefun.kafka.io/protobuf-ingress, id: example/raw}
          spec:
            address: kafka-broker:9092
            consumerGroupId: g
            topics: [raw]
            messageType: example.GreetRequest
            descriptorSet: classpath:messages.desc
    """
)


@pytest.fixture(scope="module")
def module() -> ModuleSpec:
    return parse_module(MODULE)


def test_a_topic_routes_to_its_ingress_and_routing(module: ModuleSpec) -> None:
    ingress, route = route_of(module, "more")
    assert (ingress.id, route.topic, route.targets) == (
        "example/names",
        "more",
        ("example/greeter",),
    )


def test_the_id_of_an_ingress_with_one_topic_routes_to_that_topic(module: ModuleSpec) -> None:
    ingress, route = route_of(module, "example/one")
    assert (ingress.id, route.topic) == ("example/one", "solo")


def test_the_id_of_an_ingress_with_several_topics_asks_for_the_topic(module: ModuleSpec) -> None:
    with pytest.raises(IngressRoutingError) as caught:
        route_of(module, "example/names")
    assert str(caught.value) == (
        "ingress example/names reads several topics ('names', 'more'): name the topic the "
        "record arrives on instead of the ingress id, e.g. 'names'."
    )
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, StatefunError)


@pytest.mark.parametrize("name", ["example/raw", "raw"])
def test_an_ingress_that_needs_a_router_is_refused_by_id_and_by_topic(
    module: ModuleSpec, name: str
) -> None:
    with pytest.raises(IngressRoutingError, match=r"^ingress example/raw is a "
                       r"statefun\.kafka\.io/protobuf-ingress, which needs a router"):  # fmt: skip
        route_of(module, name)


def test_an_unknown_name_lists_the_ids_and_topics(module: ModuleSpec) -> None:
    with pytest.raises(ValueError, match="no ingress with id or topic 'nope'"):
        route_of(module, "nope")


def test_the_runtime_refuses_a_record_for_an_ingress_that_needs_a_router() -> None:
    # Regression: the runtime routed a record on a one-topic plain protobuf ingress to its
    # empty targets (raw bytes were dropped silently; a message failed with "carries  (typeUrl
    # '')"). It now refuses it as `statefun-lab run --ingress` does.
    functions = StatefulFunctions()
    functions.bind("example/greeter")(lambda context, message: None)
    rt = LocalRuntime.from_module(parse_module(MODULE), functions)
    for value in (GreetRequest(name="Jo"), b"\x0a\x02Jo"):
        with pytest.raises(IngressRoutingError, match="needs a router"):
            rt.ingest("raw", "Jo", value)
    assert list(rt.trace) == []
