"""The top level: format version, module type and spec, the four lists, duplicates across them."""

from __future__ import annotations

import datetime

import pytest
from module_yaml_texts import (
    WALKTHROUGH,
    edit,
    fails,
    module_with,
)

from statefun.errors import StatefunError
from statefun.local.module_yaml import (
    EgressSpec,
    FunctionSpec,
    RoutingSpec,
    StateSpec,
    parse_module,
)


def test_walkthrough_module_parses_to_the_right_specs() -> None:
    module = parse_module(WALKTHROUGH, path="greeter/module.yaml")

    assert module.version == "1.0"
    assert module.path == "greeter/module.yaml"
    assert module.routers == ()
    assert module.functions == {
        "example/greeter": FunctionSpec(
            typename="example/greeter",
            namespace="example",
            name="greeter",
            kind="http",
            endpoint="http://python-worker:8000/statefun",
            states=(StateSpec("seen_count"),),
            max_num_batch_requests=500,
            timeout=datetime.timedelta(minutes=2),
            connect_timeout=datetime.timedelta(seconds=10),
            read_timeout=datetime.timedelta(seconds=10),
            write_timeout=datetime.timedelta(seconds=10),
            line=7,
            path="greeter/module.yaml",
        )
    }
    greeter = module.function("example/greeter")
    assert greeter.state_names == ("seen_count",)
    assert greeter.states[0].expire_after is None
    assert greeter.states[0].expire_mode == "after-invoke"

    ingress = module.ingresses["example/names"]
    assert ingress.kind == "kafka"
    assert ingress.routable
    assert ingress.address == "kafka-broker:9092"
    assert ingress.consumer_group_id == "my-group-id"
    assert ingress.auto_offset_reset == "latest"
    assert ingress.startup_position == {"type": "latest"}  # the code's default, not the docs'
    assert ingress.properties == {}
    assert ingress.topics == (
        RoutingSpec("names", "com.googleapis/example.GreetRequest", ("example/greeter",)),
    )
    assert ingress.line == 18

    egress = module.egresses["example/greets"]
    assert egress == EgressSpec(
        id="example/greets",
        type="statefun.kafka.io/generic-egress",
        address="kafka-broker:9092",
        delivery_semantic="exactly-once",
        transaction_timeout_millis=100000,
        properties={},
        line=31,
        path="greeter/module.yaml",
    )
    assert egress.kind == "kafka"


def test_modules_may_be_empty_lists_and_flow_style() -> None:
    module = parse_module(module_with("functions: []\ningresses: []\n"))
    assert (module.functions, module.ingresses, module.egresses) == ({}, {}, {})


def test_errors_are_value_errors_and_statefun_errors() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', "1.0"))
    assert isinstance(error, ValueError)
    assert isinstance(error, StatefunError)


def test_unquoted_version_fails_with_hint_to_quote_it() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', "1.0"))
    assert (error.path, error.line, error.key_path) == ("module.yaml", 1, "version")
    assert "not a string" in error.problem
    assert 'version: "1.0"' in (error.hint or "")
    assert str(error).startswith("module.yaml:1: version: not a string")


def test_unquoted_integer_version_suggests_the_dotted_string() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', "2"))
    assert 'version: "2.0"' in (error.hint or "")


@pytest.mark.parametrize(
    ("version", "hint"), [('"3.0"', "3.x"), ('"1"', '"1.0"'), ('"v2"', '"2.0"')]
)
def test_unrecognized_version(version: str, hint: str) -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', version))
    assert error.problem.startswith("Unrecognized format version: ")
    assert error.line == 1
    assert hint in (error.hint or "")


def test_missing_version() -> None:
    error = fails(WALKTHROUGH.replace('version: "1.0"\n', ""))
    assert error.key_path == "version"
    assert "missing key `version`" in error.problem
    assert 'version: "2.0"' in (error.hint or "")


def test_module_type_must_be_remote() -> None:
    error = fails(edit(WALKTHROUGH, "type: remote", "type: embedded"))
    assert error.problem == "Unknown module type embedded, currently supported: REMOTE"
    assert (error.line, error.key_path) == (4, "module.meta.type")
    assert "type: remote" in (error.hint or "")


def test_module_type_missing() -> None:
    error = fails(edit(WALKTHROUGH, "  meta:\n    type: remote\n", ""))
    assert error.problem.startswith("Unable to find a module type in module.yaml")
    assert error.key_path == "module.meta.type"


def test_module_spec_missing() -> None:
    text = 'version: "1.0"\nmodule:\n  meta:\n    type: remote\n'
    error = fails(text, path="mods/module.yaml")
    assert error.problem.startswith("A module without a spec at mods/module.yaml")
    assert (error.line, error.key_path) == (2, "module.spec")


def test_empty_file() -> None:
    error = fails("# nothing here\n")
    assert error.problem == "the file is empty."
    assert error.line == 1


def test_top_level_must_be_a_map() -> None:
    assert "not a map" in fails("- version\n").problem


def test_error_without_path_says_module_yaml() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', "1.0"), path=None)
    assert str(error).startswith("module.yaml:1: version:")


def test_duplicate_function_types() -> None:
    text = edit(
        WALKTHROUGH,
        "    ingresses:\n",
        """\
      - function:
          meta:
            kind: http
            type: example/greeter
          spec:
            endpoint: http://other:8000/statefun
    ingresses:
""",
    )
    error = fails(text)
    assert error.problem.startswith("A binding for the key example/greeter was previously defined.")
    assert "first at line 7" in error.problem
    assert (error.line, error.key_path) == (17, "module.spec.functions[1]")


def test_duplicate_ingress_ids() -> None:
    one = (
        "  - ingress:\n"
        "      meta: {type: statefun.kafka.io/routable-protobuf-ingress, id: example/names}\n"
        "      spec:\n"
        "        address: k:9092\n"
        "        topics: [{topic: t, typeUrl: x/y.Z, targets: [ex/f]}]\n"
    )
    error = fails(module_with("ingresses:\n" + one + one))
    assert error.problem.startswith("A binding for the key example/names was previously defined.")
    assert error.key_path == "module.spec.ingresses[1]"


def test_duplicate_egress_ids() -> None:
    one = (
        "  - egress:\n"
        "      meta: {type: statefun.kafka.io/generic-egress, id: example/greets}\n"
        '      spec: {address: "k:9092"}\n'
    )
    error = fails(module_with("egresses:\n" + one + one))
    assert error.problem.startswith("A binding for the key example/greets was previously defined.")
