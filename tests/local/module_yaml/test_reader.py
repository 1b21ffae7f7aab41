"""Typed values and list entries as Jackson's selectors read them; the docs' mis-indented entry."""

from __future__ import annotations

from module_yaml_texts import (
    FN,
    ING,
    KAFKA_TOPICS,
    WALKTHROUGH,
    edit,
    fails,
    ingress_module,
    line_of,
    module_with,
)


def test_documentation_trap_mis_indented_meta() -> None:
    # The docs' "Full Example": meta/spec at the same level as `function:`.
    text = edit(
        WALKTHROUGH,
        """\
      - function:
          meta:
            kind: http
            type: example/greeter
          spec:
""",
        """\
      - function:
        meta:
          kind: http
          type: example/greeter
        spec:
""",
    )
    error = fails(text)
    assert (error.line, error.key_path) == (7, FN)
    assert "/function/meta/kind" in error.problem
    assert "indent `meta:` and `spec:` under `function:`" in (error.hint or "")


def test_documentation_trap_for_ingress() -> None:
    text = edit(
        WALKTHROUGH,
        """\
      - ingress:
          meta:
            type: statefun.kafka.io/routable-protobuf-ingress
            id: example/names
          spec:
""",
        """\
      - ingress:
        meta:
          type: statefun.kafka.io/routable-protobuf-ingress
          id: example/names
        spec:
""",
    )
    error = fails(text)
    assert (error.line, error.key_path) == (18, ING)
    assert "/ingress/meta/id" in error.problem
    assert "indent `meta:` and `spec:` under `ingress:`" in (error.hint or "")


def test_entry_without_function_key() -> None:
    text = module_with(
        """\
        functions:
          - meta: {kind: http, type: ex/f}
            spec: {endpoint: "http://f"}
        """
    )
    error = fails(text)
    assert error.key_path == "module.spec.functions[0].function"
    assert "start the entry with `- function:`" in (error.hint or "")


def test_functions_must_be_a_list() -> None:
    error = fails(module_with("functions:\n  function: {}\n"))
    assert error.key_path == "module.spec.functions"
    assert error.problem.startswith("not a list")


def test_properties_entries_need_exactly_one_key() -> None:
    text = ingress_module(KAFKA_TOPICS + "properties:\n  - a: 1\n    b: 2\n")
    error = fails(text)
    assert error.key_path == f"{ING}.spec.properties[0]"
    assert error.line == line_of(text, "- a: 1")
    assert "got 2 keys; the runtime would keep only the first one" in error.problem


def test_properties_must_be_a_list() -> None:
    error = fails(ingress_module(KAFKA_TOPICS + "properties:\n  a: 1\n"))
    assert error.problem.startswith("not a key-value list")


def test_consumer_group_id_must_be_a_string() -> None:
    error = fails(ingress_module(KAFKA_TOPICS + "consumerGroupId: 42\n"))
    assert error.key_path == f"{ING}.spec.consumerGroupId"
    assert 'consumerGroupId: "42"' in (error.hint or "")
