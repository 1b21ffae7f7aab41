"""module.yaml is loaded and validated like the StateFun 2.2.2 runtime does, with clear errors."""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import textwrap

import pytest

from statefun.errors import ModuleYamlError, ModuleYamlWarning, StatefunError
from statefun.local.module_yaml import (
    EgressSpec,
    FunctionSpec,
    IngressSpec,
    ModuleSpec,
    RouterSpec,
    RoutingSpec,
    StateSpec,
    load_module,
    merge_modules,
    parse_duration,
    parse_module,
)

DATA = pathlib.Path(__file__).parent / "data"

# The walkthrough / greeter example's module.yaml (spec §5.1), line numbers matter below.
WALKTHROUGH = textwrap.dedent(
    """\
    version: "1.0"
    module:
      meta:
        type: remote
      spec:
        functions:
          - function:
              meta:
                kind: http
                type: example/greeter
              spec:
                endpoint: http://python-worker:8000/statefun
                states:
                  - seen_count
                maxNumBatchRequests: 500
                timeout: 2min
        ingresses:
          - ingress:
              meta:
                type: statefun.kafka.io/routable-protobuf-ingress
                id: example/names
              spec:
                address: kafka-broker:9092
                consumerGroupId: my-group-id
                topics:
                  - topic: names
                    typeUrl: com.googleapis/example.GreetRequest
                    targets:
                      - example/greeter
        egresses:
          - egress:
              meta:
                type: statefun.kafka.io/generic-egress
                id: example/greets
              spec:
                address: kafka-broker:9092
                deliverySemantic:
                  type: exactly-once
                  transactionTimeoutMillis: 100000
    """
)

FN = "module.spec.functions[0].function"
ING = "module.spec.ingresses[0].ingress"
EG = "module.spec.egresses[0].egress"


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def fails(text: str, path: str | None = "module.yaml") -> ModuleYamlError:
    with pytest.raises(ModuleYamlError) as info:
        parse_module(text, path=path)
    return info.value


def module_with(body: str, version: str = "1.0") -> str:
    """A module whose ``spec:`` holds ``body`` (indented by 4)."""
    return f'version: "{version}"\nmodule:\n  meta:\n    type: remote\n  spec:\n' + textwrap.indent(
        textwrap.dedent(body), "    "
    )


def ingress_module(spec: str, type_: str = "statefun.kafka.io/routable-protobuf-ingress") -> str:
    header = f"ingresses:\n  - ingress:\n      meta:\n        type: {type_}\n"
    header += "        id: example/names\n      spec:\n"
    return module_with(header + textwrap.indent(textwrap.dedent(spec), " " * 8))


def egress_module(spec: str, type_: str = "statefun.kafka.io/generic-egress") -> str:
    header = f"egresses:\n  - egress:\n      meta:\n        type: {type_}\n"
    header += "        id: example/greets\n      spec:\n"
    return module_with(header + textwrap.indent(textwrap.dedent(spec), " " * 8))


KAFKA_TOPICS = """\
address: kafka-broker:9092
topics:
  - topic: names
    typeUrl: com.googleapis/example.GreetRequest
    targets:
      - example/greeter
"""


# ------------------------------------------------------------------------------------------------
# Valid modules
# ------------------------------------------------------------------------------------------------


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


def test_load_module_reads_a_file_or_the_module_yaml_in_a_directory() -> None:
    from_file = load_module(DATA / "greeter" / "module.yaml")
    from_dir = load_module(str(DATA / "greeter"))
    assert from_file == from_dir
    assert from_file.path == str(DATA / "greeter" / "module.yaml")
    # Same content as the inline walkthrough, one comment line further down.
    inline = parse_module(WALKTHROUGH, path=from_file.path)
    assert from_file.functions["example/greeter"] == dataclasses.replace(
        inline.functions["example/greeter"], line=8
    )


def test_load_module_missing_file_names_the_path(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ModuleYamlError) as info:
        load_module(tmp_path / "nope.yaml")
    assert info.value.path == str(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)


def test_version_2_module_with_ttl_timeouts_and_unix_socket() -> None:
    module = load_module(DATA / "v2" / "module.yaml")
    assert module.version == "2.0"
    cart = module.function("shop/cart")
    assert cart.kind == "http"  # kind is case-insensitive
    assert cart.endpoint == "http+unix:///tmp/uds/cart.sock/statefun"
    assert cart.states == (
        StateSpec("items", datetime.timedelta(seconds=60), "after-write"),
        StateSpec("session", datetime.timedelta(hours=1), "after-invoke"),
        StateSpec("owner", None, "after-invoke"),
    )
    assert cart.state_names == ("items", "session", "owner")
    assert cart.max_num_batch_requests == 0  # <= 0 disables backpressure
    assert cart.timeout == datetime.timedelta(seconds=5)
    assert cart.connect_timeout == datetime.timedelta(seconds=1)
    assert cart.read_timeout == datetime.timedelta(seconds=2)
    assert cart.write_timeout == datetime.timedelta(milliseconds=5000)

    # The type splits at the last '/'.
    pricing = module.function("shop.internal/pricing/engine")
    assert (pricing.namespace, pricing.name) == ("shop.internal/pricing", "engine")
    assert pricing.endpoint == "https://pricing:8443/fn"
    assert pricing.states == ()
    assert pricing.timeout == datetime.timedelta(minutes=1)
    assert pricing.max_num_batch_requests == 1000


def test_v2_expire_mode_defaults_to_after_invoke_and_is_ignored_without_expire_after() -> None:
    module = parse_module(
        edit(
            WALKTHROUGH.replace('"1.0"', '"2.0"'),
            "              - seen_count\n",
            "              - name: seen_count\n"
            '                expireAfter: "60s"\n'
            "              - name: other\n"
            "                expireMode: whatever\n",
        )
    )
    assert module.function("example/greeter").states == (
        StateSpec("seen_count", datetime.timedelta(seconds=60), "after-invoke"),
        StateSpec("other"),
    )


def test_version_1_file_may_use_the_2_2_timeouts_and_unix_endpoints() -> None:
    text = edit(
        WALKTHROUGH,
        "timeout: 2min",
        "timeout: 2min\n            readTimeout: 30s",
    )
    text = edit(text, "http://python-worker:8000/statefun", "https+unix:///run/fn.sock")
    fn = parse_module(text).function("example/greeter")
    assert fn.read_timeout == datetime.timedelta(seconds=30)
    assert fn.endpoint == "https+unix:///run/fn.sock"


def test_unknown_keys_are_ignored_like_the_runtime_with_a_warning() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", "timeout: 2min\n            colour: blue")
    text = edit(text, "module:\n", "comment: hello\nmodule:\n")
    with pytest.warns(ModuleYamlWarning) as caught:
        module = parse_module(text)
    assert module.function("example/greeter").timeout == datetime.timedelta(minutes=2)
    assert [w.message for w in caught] == list(module.warnings)
    assert [(w.line, w.key_path) for w in module.warnings] == [
        (2, "comment"),
        (18, f"{FN}.spec.colour"),
    ]


def test_grpc_kind_is_a_placeholder_with_host_and_port() -> None:
    fn = parse_module(
        module_with(
            """\
            functions:
              - function:
                  meta: {kind: grpc, type: ex/rpc}
                  spec: {host: localhost, port: 9000}
            """
        )
    ).function("ex/rpc")
    assert (fn.kind, fn.endpoint, fn.states) == ("grpc", None, ())


def test_modules_may_be_empty_lists_and_flow_style() -> None:
    module = parse_module(module_with("functions: []\ningresses: []\n"))
    assert (module.functions, module.ingresses, module.egresses) == ({}, {}, {})


def test_specs_are_frozen() -> None:
    fn = parse_module(WALKTHROUGH).function("example/greeter")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fn.timeout = datetime.timedelta(0)  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# Durations
# ------------------------------------------------------------------------------------------------

UNITS = {
    datetime.timedelta(days=3): ["d", "day", "days"],
    datetime.timedelta(hours=3): ["h", "hour", "hours"],
    datetime.timedelta(minutes=3): ["min", "minute", "minutes"],
    datetime.timedelta(seconds=3): ["s", "sec", "secs", "second", "seconds"],
    datetime.timedelta(milliseconds=3): ["ms", "milli", "millis", "millisecond", "milliseconds"],
    datetime.timedelta(microseconds=3): ["µs", "micro", "micros", "microsecond", "microseconds"],
}


@pytest.mark.parametrize(
    ("label", "expected"),
    [(label, expected) for expected, labels in UNITS.items() for label in labels],
)
def test_parse_duration_every_unit(label: str, expected: datetime.timedelta) -> None:
    assert parse_duration(f"3{label}") == expected
    # Spaces and case do not matter. (Only ASCII is upper-cased: "µ".upper() is a Greek Mu.)
    shouted = "".join(c.upper() if c.isascii() else c for c in label)
    assert parse_duration(f"  3 {shouted}  ") == expected


@pytest.mark.parametrize("label", ["ns", "nano", "nanos", "nanosecond", "nanoseconds"])
def test_parse_duration_nanoseconds_truncate_to_microseconds(label: str) -> None:
    assert parse_duration(f"3500{label}") == datetime.timedelta(microseconds=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60000", datetime.timedelta(minutes=1)),  # no unit means milliseconds
        ("2min", datetime.timedelta(minutes=2)),
        ("1minutes", datetime.timedelta(minutes=1)),
        ("10seconds", datetime.timedelta(seconds=10)),
        ("10second", datetime.timedelta(seconds=10)),
        ("60000millisecond", datetime.timedelta(minutes=1)),
        ("0", datetime.timedelta(0)),
    ],
)
def test_parse_duration_upstream_examples(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "hint"),
    [
        ("5mins", "Time interval unit label 'mins' does not match", "`5min`"),
        ("5m", "unit label 'm' does not match", "`5min`"),
        ("1.5s", "unit label '.5s' does not match", "1500ms"),
        ("", "argument is an empty- or whitespace-only string", "60s"),
        ("-5s", "text does not start with a number", "negative"),
        ("PT1M", "text does not start with a number", "ISO-8601"),
        ("5 fortnights", "unit label 'fortnights'", "d, h, min, s, ms"),
        ("99999999999999999999s", "cannot be re represented as 64bit number", "smaller"),
        ("9999999999d", "cannot be represented as a duration", "smaller"),
    ],
)
def test_parse_duration_rejects_like_flink_with_a_fix(text: str, problem: str, hint: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    message = str(info.value)
    assert problem in message
    assert hint in message.split("Fix:", 1)[1]


def test_unknown_unit_lists_flinks_recognized_units() -> None:
    with pytest.raises(ValueError, match=r"MINUTES: \(min \| minute \| minutes\)"):
        parse_duration("5mins")


# ------------------------------------------------------------------------------------------------
# Errors: top level and YAML
# ------------------------------------------------------------------------------------------------


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


def test_yaml_syntax_error_becomes_module_yaml_error_with_line() -> None:
    text = edit(WALKTHROUGH, "    timeout: 2min", "    timeout: [2min")
    error = fails(text)
    assert error.problem.startswith("the `[` at column 22 is not closed on its line")
    assert error.line == line_of(text, "[2min")
    assert error.hint is not None and "`timeout: [2min]`" in error.hint


def test_tab_indentation_gets_a_hint() -> None:
    text = edit(WALKTHROUGH, "            timeout: 2min", "\ttimeout: 2min")
    error = fails(text)
    assert error.line == line_of(text, "\ttimeout")
    assert error.problem == f"line {error.line} starts with a tab; YAML indents with spaces only."
    assert error.hint == (
        "replace the tab with 12 spaces, to line it up with `maxNumBatchRequests:`."
    )


def test_empty_file() -> None:
    error = fails("# nothing here\n")
    assert error.problem == "the file is empty."
    assert error.line == 1


def test_top_level_must_be_a_map() -> None:
    assert "not a map" in fails("- version\n").problem


def test_duplicate_keys_are_rejected() -> None:
    text = edit(WALKTHROUGH, "    timeout: 2min", "    timeout: 2min\n            timeout: 3min")
    error = fails(text)
    assert error.line == line_of(text, "timeout: 3min")
    assert error.key_path == f"{FN}.spec.timeout"
    assert f"first written at line {line_of(text, 'timeout: 2min')}" in error.problem


def test_error_without_path_says_module_yaml() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', "1.0"), path=None)
    assert str(error).startswith("module.yaml:1: version:")


# ------------------------------------------------------------------------------------------------
# Errors: functions
# ------------------------------------------------------------------------------------------------


def test_unquoted_number_timeout_fails_not_a_string_with_unit_hint() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", "timeout: 60000")
    error = fails(text)
    assert (error.line, error.key_path) == (16, f"{FN}.spec.timeout")
    assert "not a string" in error.problem
    assert '"60s"' in (error.hint or "")
    assert '"60000ms"' in (error.hint or "")


def test_quoted_unitless_timeout_is_milliseconds() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", 'timeout: "60000"')
    assert parse_module(text).function("example/greeter").timeout == datetime.timedelta(minutes=1)


def test_mins_is_not_a_unit_and_the_hint_says_min() -> None:
    error = fails(edit(WALKTHROUGH, "timeout: 2min", "timeout: 2mins"))
    assert (error.line, error.key_path) == (16, f"{FN}.spec.timeout")
    assert "Time interval unit label 'mins' does not match any of the recognized units" in (
        error.problem
    )
    assert "`2min`" in (error.hint or "")


def test_short_timeout_alone_fails_because_of_the_10s_defaults() -> None:
    error = fails(edit(WALKTHROUGH, "timeout: 2min", "timeout: 5s"))
    assert error.problem.startswith("Connect timeout cannot be larger than request timeout.")
    assert (error.line, error.key_path) == (16, f"{FN}.spec.timeout")
    hint = error.hint or ""
    assert "also lower connectTimeout/readTimeout/writeTimeout" in hint
    assert "`connectTimeout: 5s`, `readTimeout: 5s`, `writeTimeout: 5s`" in hint


def test_short_timeout_passes_when_all_three_are_lowered() -> None:
    text = edit(
        WALKTHROUGH,
        "timeout: 2min",
        "timeout: 5s\n            connectTimeout: 5s\n            readTimeout: 5s\n"
        "            writeTimeout: 4s",
    )
    fn = parse_module(text).function("example/greeter")
    assert (fn.timeout, fn.write_timeout) == (
        datetime.timedelta(seconds=5),
        datetime.timedelta(seconds=4),
    )


def test_short_timeout_with_one_default_left_names_only_that_one() -> None:
    text = edit(
        WALKTHROUGH,
        "timeout: 2min",
        "timeout: 5s\n            connectTimeout: 5s\n            readTimeout: 5s",
    )
    error = fails(text)
    assert error.problem.startswith("Write timeout cannot be larger than request timeout.")
    assert "`writeTimeout: 5s`" in (error.hint or "")
    assert "`readTimeout" not in (error.hint or "")


def test_explicit_timeout_larger_than_request_timeout_points_at_it() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", "timeout: 2min\n            readTimeout: 3min")
    error = fails(text)
    assert error.problem == "Read timeout cannot be larger than request timeout."
    assert (error.line, error.key_path) == (17, f"{FN}.spec.readTimeout")
    assert "lower `readTimeout` to at most 2min" in (error.hint or "")


def test_zero_timeout_is_rejected() -> None:
    error = fails(
        edit(WALKTHROUGH, "timeout: 2min", "timeout: 2min\n            connectTimeout: 0ms")
    )
    assert error.problem == "Timeout durations must be larger than 0."
    assert error.key_path == f"{FN}.spec.connectTimeout"


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


def test_unknown_function_kind() -> None:
    error = fails(edit(WALKTHROUGH, "kind: http", "kind: https"))
    assert (error.line, error.key_path) == (9, f"{FN}.meta.kind")
    assert "No enum constant" in error.problem
    assert "kind: http" in (error.hint or "")


@pytest.mark.parametrize("typename", ["greeter", "/greeter", "example/"])
def test_function_type_needs_namespace_and_name(typename: str) -> None:
    error = fails(edit(WALKTHROUGH, "type: example/greeter", f"type: {typename}"))
    assert error.problem == f"{typename} does not conform to the <namespace>/<name> format"
    assert (error.line, error.key_path) == (10, f"{FN}.meta.type")


def test_missing_endpoint() -> None:
    error = fails(
        edit(WALKTHROUGH, "            endpoint: http://python-worker:8000/statefun\n", "")
    )
    assert error.key_path == f"{FN}.spec.endpoint"
    assert error.line == 11  # the `spec:` that lacks it
    assert "missing key `endpoint`" in error.problem


@pytest.mark.parametrize(
    ("endpoint", "problem", "hint"),
    [
        (
            "python-worker:8000/statefun",
            "an http or https or http+unix or https+unix scheme must be provided",
            "http://python-worker:8000/statefun",
        ),
        ("/statefun", "Missing scheme in function endpoint /statefun; an http or https", "http://"),
        ("ftp://worker/statefun", "Missing scheme in function endpoint ftp://", "http://"),
        ("http:///statefun", "has no host", "http://<host>"),
        ("http://:8000/statefun", "has no host", "http://<host>"),
        ("http://worker:port/statefun", "is not a valid URL", "http://<host>:<port>"),
        ("http+unix:///tmp/fn/statefun", "no path segment ending in `.sock`", ".sock/statefun"),
    ],
)
def test_bad_endpoints(endpoint: str, problem: str, hint: str) -> None:
    error = fails(edit(WALKTHROUGH, "http://python-worker:8000/statefun", endpoint))
    assert (error.line, error.key_path) == (12, f"{FN}.spec.endpoint")
    assert problem in error.problem
    assert hint in (error.hint or "")


def test_v2_plain_string_state_shows_the_map_form() -> None:
    error = fails(WALKTHROUGH.replace('"1.0"', '"2.0"'))
    assert (error.line, error.key_path) == (14, f"{FN}.spec.states[0]")
    assert "missing key /name" in error.problem
    assert "`- name: seen_count`" in (error.hint or "")
    assert "expireAfter" in (error.hint or "")


def test_v1_map_state_hints_at_version_2() -> None:
    error = fails(
        edit(WALKTHROUGH, "- seen_count", "- name: seen_count\n                expireAfter: 1min")
    )
    assert (error.line, error.key_path) == (14, f"{FN}.spec.states[0]")
    assert 'version: "2.0"' in (error.hint or "")
    assert "`- seen_count`" in (error.hint or "")


def test_v1_non_string_state_is_rejected_not_dropped() -> None:
    error = fails(edit(WALKTHROUGH, "- seen_count", "- 42"))
    assert "not a string" in error.problem
    assert '- "42"' in (error.hint or "")


def test_states_must_be_a_list() -> None:
    error = fails(edit(WALKTHROUGH, "states:\n              - seen_count", "states: seen_count"))
    assert error.key_path == f"{FN}.spec.states"
    assert error.problem.startswith("not a list")


def test_duplicate_state_name() -> None:
    error = fails(edit(WALKTHROUGH, "- seen_count", "- seen_count\n              - seen_count"))
    assert error.key_path == f"{FN}.spec.states[1]"
    assert "declared twice (first at line 14)" in error.problem


V2_STATE = WALKTHROUGH.replace('"1.0"', '"2.0"').replace(
    "              - seen_count\n",
    "              - name: seen_count\n"
    "                expireAfter: 60s\n"
    "                expireMode: MODE\n",
)


def test_invalid_expire_mode() -> None:
    error = fails(V2_STATE.replace("MODE", "after-read"))
    assert error.problem == (
        "Invalid state ttl expire mode; must be one of [after-invoke, after-write]."
    )
    assert (error.line, error.key_path) == (16, f"{FN}.spec.states[0].expireMode")


def test_expire_mode_is_case_sensitive() -> None:
    error = fails(V2_STATE.replace("MODE", "After-Write"))
    assert "`expireMode: after-write`" in (error.hint or "")


def test_expire_after_zero_is_rejected() -> None:
    error = fails(
        V2_STATE.replace("expireAfter: 60s", "expireAfter: 0ms").replace("MODE", "after-write")
    )
    assert error.key_path == f"{FN}.spec.states[0].expireAfter"
    assert "TTL is expected to be positive." in error.problem
    assert "remove `expireAfter`" in (error.hint or "")


def test_expire_after_must_be_a_string() -> None:
    error = fails(
        V2_STATE.replace("expireAfter: 60s", "expireAfter: 60000").replace("MODE", "after-write")
    )
    assert "not a string" in error.problem


def test_max_num_batch_requests_must_be_an_int() -> None:
    error = fails(edit(WALKTHROUGH, "maxNumBatchRequests: 500", 'maxNumBatchRequests: "500"'))
    assert (error.line, error.key_path) == (15, f"{FN}.spec.maxNumBatchRequests")
    assert error.problem.startswith("not an integer")
    assert "maxNumBatchRequests: 500" in (error.hint or "")


def test_max_num_batch_requests_must_fit_an_int() -> None:
    error = fails(edit(WALKTHROUGH, "maxNumBatchRequests: 500", "maxNumBatchRequests: 3000000000"))
    assert "out of range" in error.problem


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


def test_grpc_port_must_be_an_int() -> None:
    error = fails(
        module_with(
            """\
            functions:
              - function:
                  meta: {kind: grpc, type: ex/rpc}
                  spec: {host: localhost, port: "9000"}
            """
        )
    )
    assert error.key_path == "module.spec.functions[0].function.spec.port"


# ------------------------------------------------------------------------------------------------
# Errors and options: ingresses
# ------------------------------------------------------------------------------------------------


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


def test_duplicate_topic_in_one_ingress() -> None:
    error = fails(
        ingress_module(
            KAFKA_TOPICS + "  - topic: names\n    typeUrl: com.googleapis/example.GreetRequest\n"
        )
    )
    assert "listed twice" in error.problem
    assert error.key_path == f"{ING}.spec.topics[1]"


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


def test_non_routable_kafka_ingress_and_router() -> None:
    module = parse_module(
        module_with(
            """\
            ingresses:
              - ingress:
                  meta:
                    type: statefun.kafka.io/protobuf-ingress
                    id: example/raw
                  spec:
                    address: kafka-broker:9092
                    topics: [names, more]
                    messageType: example.GreetRequest
                    descriptorSet: classpath:messages.desc
            routers:
              - router:
                  meta:
                    type: org.apache.flink.statefun.sdk/protobuf-router
                  spec:
                    ingress: example/raw
                    target: "example/greeter/{{$.name}}"
                    messageType: example.GreetRequest
                    descriptorSet: classpath:messages.desc
            """
        )
    )
    ingress = module.ingresses["example/raw"]
    assert not ingress.routable
    assert ingress.topics == (RoutingSpec("names", "", ()), RoutingSpec("more", "", ()))
    assert (ingress.message_type, ingress.descriptor_set) == (
        "example.GreetRequest",
        "classpath:messages.desc",
    )
    assert module.routers == (
        RouterSpec(
            type="org.apache.flink.statefun.sdk/protobuf-router",
            ingress="example/raw",
            target="example/greeter/{{$.name}}",
            message_type="example.GreetRequest",
            descriptor_set="classpath:messages.desc",
            line=17,
            path=None,
        ),
    )


def test_invalid_router_type() -> None:
    error = fails(
        module_with(
            """\
            routers:
              - router:
                  meta: {type: example/router}
                  spec: {ingress: a/b, target: x, messageType: y, descriptorSet: z}
            """
        )
    )
    assert error.problem == "Invalid router type example/router"
    assert error.key_path == "module.spec.routers[0].router.meta.type"


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
        )
    )
    assert problem in error.problem


# ------------------------------------------------------------------------------------------------
# Errors and options: egresses
# ------------------------------------------------------------------------------------------------


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


def test_duplicate_egress_ids() -> None:
    one = (
        "  - egress:\n"
        "      meta: {type: statefun.kafka.io/generic-egress, id: example/greets}\n"
        '      spec: {address: "k:9092"}\n'
    )
    error = fails(module_with("egresses:\n" + one + one))
    assert error.problem.startswith("A binding for the key example/greets was previously defined.")


# ------------------------------------------------------------------------------------------------
# ModuleSpec lookups and merging
# ------------------------------------------------------------------------------------------------


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


def test_merge_modules_combines_everything() -> None:
    greeter = load_module(DATA / "greeter")
    shop = load_module(DATA / "v2")
    merged = merge_modules([greeter, shop])
    assert list(merged.functions) == [
        "example/greeter",
        "shop/cart",
        "shop.internal/pricing/engine",
    ]
    assert merged.ingresses == greeter.ingresses
    assert merged.egresses == greeter.egresses
    assert merged.version == "1.0+2.0"
    assert merged.functions["shop/cart"].path == shop.path
    assert merge_modules([greeter]) == greeter


def test_merge_modules_rejects_duplicates_naming_both_files() -> None:
    first = parse_module(WALKTHROUGH, path="a/module.yaml")
    second = parse_module(WALKTHROUGH, path="b/module.yaml")
    with pytest.raises(ModuleYamlError) as info:
        merge_modules([first, second])
    error = info.value
    assert error.problem.startswith("A binding for the key example/greeter was previously defined.")
    assert "a/module.yaml:7" in error.problem
    assert (error.path, error.line) == ("b/module.yaml", 7)


def test_merge_modules_rejects_duplicate_ingress_ids() -> None:
    first = parse_module(WALKTHROUGH, path="a.yaml")
    second = parse_module(
        edit(WALKTHROUGH, "type: example/greeter", "type: example/other"), path="b.yaml"
    )
    with pytest.raises(ModuleYamlError, match="A binding for the key example/names"):
        merge_modules([first, second])


def test_merge_needs_a_module() -> None:
    with pytest.raises(ValueError):
        merge_modules([])


def test_public_names() -> None:
    import statefun.local.module_yaml as module_yaml

    assert sorted(module_yaml.__all__) == sorted(
        [
            "EgressSpec",
            "FunctionSpec",
            "IngressSpec",
            "ModuleSpec",
            "RouterSpec",
            "RoutingSpec",
            "StateSpec",
            "DEFAULT_MAX_BYTES",
            "load_module",
            "merge_modules",
            "parse_duration",
            "parse_module",
            "read_module",
        ]
    )
    assert {IngressSpec, ModuleSpec} <= {getattr(module_yaml, n) for n in module_yaml.__all__}
