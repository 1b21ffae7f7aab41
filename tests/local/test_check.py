"""check_module finds every mismatch between module.yaml and the bound Python functions."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from module_yaml_texts import module_with

from statefun.core import StatefulFunctions
from statefun.errors import ModuleCheckError
from statefun.local.check import assert_module_matches, check_module
from statefun.local.module_yaml import ModuleSpec, parse_module


def _add_ping_to_the_default_pool() -> None:
    """Register ``checktest.Ping`` as importing a generated ``_pb2`` module would."""
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName("statefun_lab/check_test.proto")
        return
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(
        name="statefun_lab/check_test.proto", package="checktest", syntax="proto3"
    )
    file.message_type.add(name="Ping")
    pool.AddSerializedFile(file.SerializeToString())


_add_ping_to_the_default_pool()


def module(
    type_url: str = "com.googleapis/checktest.Ping",
    targets: str = "[example/greeter]",
    extra: str = "",
) -> ModuleSpec:
    """The walkthrough's function and ingress; ``extra`` goes under ``module.spec``."""
    text = module_with(
        f"""\
        functions:
          - function:
              meta: {{kind: http, type: example/greeter}}
              spec:
                endpoint: http://python-worker:8000/statefun
                states: [seen_count]
        ingresses:
          - ingress:
              meta: {{type: statefun.kafka.io/routable-protobuf-ingress, id: example/names}}
              spec:
                address: kafka-broker:9092
                topics:
                  - topic: names
                    typeUrl: {type_url}
                    targets: {targets}
        """
    )
    return parse_module(text + textwrap.indent(extra, "    "), path="m.yaml")


def greet(context: Any, message: Any) -> None:
    """A bound function; its body does not matter here."""


def registry(*typenames: str) -> StatefulFunctions:
    functions = StatefulFunctions()
    for typename in typenames:
        functions.register(typename, greet)
    return functions


class FakeRegistry:
    """Anything with the upstream ``functions`` dict keyed by ``(namespace, type)`` works."""

    def __init__(self, *keys: tuple[str, str]) -> None:
        self.functions = dict.fromkeys(keys, object())


def test_matching_module_and_functions_have_no_problems() -> None:
    assert check_module(module(), registry("example/greeter")) == []
    assert_module_matches(module(), registry("example/greeter"))


def test_a_fake_registry_with_a_functions_dict_is_enough() -> None:
    assert check_module(module(), FakeRegistry(("example", "greeter"))) == []


def test_egress_free_module_is_fine() -> None:
    assert module().egresses == {}
    assert check_module(module(), registry("example/greeter")) == []


def test_declared_but_not_bound() -> None:
    problems = check_module(module(), registry())
    assert len(problems) == 1
    problem = problems[0]
    assert "function type 'example/greeter' is declared in m.yaml:7" in problem
    assert "no Python function is bound to it" in problem
    assert "@functions.bind('example/greeter')" in problem


def test_declared_but_bound_under_a_typo_suggests_the_name() -> None:
    problems = check_module(module(), registry("example/greter"))
    assert len(problems) == 2
    assert "(did you mean 'example/greter'?)" in problems[0]
    assert (
        "function 'example/greter' is bound with @functions.bind but m.yaml does not"
        in (problems[1])
    )
    assert "Unknown provider for type example/greter" in problems[1]
    assert "(did you mean 'example/greeter'?)" in problems[1]
    assert "`type: example/greter`" in problems[1]


def test_bound_but_not_declared_is_listed_in_sorted_order() -> None:
    problems = check_module(module(), registry("example/greeter", "z/last", "a/first"))
    assert [p.split("'")[1] for p in problems] == ["a/first", "z/last"]


def test_type_url_not_in_the_descriptor_pool() -> None:
    problems = check_module(module("com.googleapis/checktest.Missing"), registry("example/greeter"))
    assert len(problems) == 1
    problem = problems[0]
    assert "ingress 'example/names' topic 'names' (m.yaml:13)" in problem
    assert "'checktest.Missing'" in problem
    assert "not in the protobuf descriptor pool" in problem
    assert "import the module that defines it (e.g. `import messages_pb2`)" in problem


def test_type_url_of_a_well_known_type_is_found_once_imported() -> None:
    from google.protobuf import timestamp_pb2  # noqa: F401  (registers the type)

    assert (
        check_module(
            module("type.googleapis.com/google.protobuf.Timestamp"), registry("example/greeter")
        )
        == []
    )


def test_ingress_target_not_declared() -> None:
    problems = check_module(
        module(targets="[example/greeter, example/greter]"), registry("example/greeter")
    )
    assert len(problems) == 1
    assert "targets 'example/greter', which module.yaml does not declare" in problems[0]
    assert "(did you mean 'example/greeter'?)" in problems[0]


def test_non_routable_ingress_without_router() -> None:
    raw = """\
      - ingress:
          meta: {type: statefun.kafka.io/protobuf-ingress, id: example/raw}
          spec:
            address: kafka-broker:9092
            topics: [raw]
            messageType: checktest.Ping
            descriptorSet: classpath:x.desc
    """
    # One level deeper than `ingresses:`, to sit next to the routable ingress.
    problems = check_module(
        module(extra=textwrap.indent(textwrap.dedent(raw), "  ")), registry("example/greeter")
    )
    assert len(problems) == 1
    assert "ingress 'example/raw'" in problems[0]
    assert "no router routes it" in problems[0]
    assert "routable-protobuf-ingress" in problems[0]


def test_router_for_an_undeclared_ingress() -> None:
    router = """\
    routers:
      - router:
          meta: {type: org.apache.flink.statefun.sdk/protobuf-router}
          spec:
            ingress: example/nothing
            target: "example/greeter/{{$.name}}"
            messageType: checktest.Ping
            descriptorSet: classpath:x.desc
    """
    problems = check_module(module(extra=textwrap.dedent(router)), registry("example/greeter"))
    assert len(problems) == 1
    assert "routes ingress 'example/nothing', which module.yaml does not declare" in problems[0]


def test_assert_module_matches_raises_with_every_problem() -> None:
    with pytest.raises(ModuleCheckError) as info:
        assert_module_matches(module("x/checktest.Missing"), registry("other/fn"))
    error = info.value
    assert len(error.problems) == 3
    assert isinstance(error, ValueError)
    assert str(error).startswith("module.yaml does not match the functions:\n- ")


def test_public_names() -> None:
    import statefun.local.check as check

    assert sorted(check.__all__) == ["FunctionRegistry", "assert_module_matches", "check_module"]
