"""The spec dataclasses: frozen values; ModuleSpec's lookups by function type, ingress or topic."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from module_yaml_texts import (
    KAFKA_TOPICS,
    WALKTHROUGH,
    ingress_module,
)

from statefun.errors import ModuleYamlError, StatefunError
from statefun.local.module_yaml import (
    RoutingSpec,
    parse_module,
)


def test_specs_are_frozen() -> None:
    fn = parse_module(WALKTHROUGH).function("example/greeter")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fn.timeout = datetime.timedelta(0)  # type: ignore[misc]


def test_function_lookup_error_names_the_declared_types() -> None:
    module = parse_module(WALKTHROUGH)
    with pytest.raises(KeyError) as info:
        module.function("example/greter")
    message = str(info.value)
    assert "'example/greeter'" in message
    assert "Did you mean 'example/greeter'?" in message
    assert isinstance(info.value, StatefunError)


def test_ingress_for_accepts_an_id_or_a_topic() -> None:
    module = parse_module(WALKTHROUGH)
    by_id = module.ingress_for("example/names")
    by_topic = module.ingress_for("names")
    assert by_id == by_topic
    assert by_topic[1] == RoutingSpec(
        "names", "com.googleapis/example.GreetRequest", ("example/greeter",)
    )


def test_ingress_for_unknown_name_lists_ids_and_topics() -> None:
    module = parse_module(WALKTHROUGH)
    with pytest.raises(ValueError) as info:
        module.ingress_for("greetings")
    assert "'example/names'" in str(info.value)
    assert "'names'" in str(info.value)
    assert not isinstance(info.value, ModuleYamlError)


def test_ingress_for_an_id_with_several_topics_has_no_single_routing() -> None:
    module = parse_module(
        ingress_module(
            KAFKA_TOPICS
            + "  - topic: logins\n    typeUrl: x/y.Login\n    targets: [example/greeter]\n"
        )
    )
    ingress, route = module.ingress_for("example/names")
    assert route is None
    assert module.ingress_for("logins") == (ingress, ingress.topics[1])
