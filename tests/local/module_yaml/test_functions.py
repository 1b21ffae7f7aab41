"""``- function:`` entries: kind, type, endpoint, states and their TTL, batch size, timeouts."""

from __future__ import annotations

import datetime

import pytest
from module_yaml_texts import (
    DATA,
    FN,
    WALKTHROUGH,
    edit,
    fails,
    module_with,
)

from statefun.local.module_yaml import (
    StateSpec,
    load_module,
    parse_module,
)


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
