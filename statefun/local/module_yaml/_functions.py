"""The ``- function:`` entries: kind, type, endpoint, states and their TTL, batch size, timeouts."""

from __future__ import annotations

import datetime
import re
import urllib.parse

from statefun.local.module_yaml._durations import format_timedelta
from statefun.local.module_yaml._nodes import Node
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._specs import (
    DEFAULT_IO_TIMEOUT,
    DEFAULT_MAX_NUM_BATCH_REQUESTS,
    DEFAULT_TIMEOUT,
    FunctionSpec,
    StateSpec,
)


def read_function(r: Reader, item: Node) -> FunctionSpec:
    """A ``- function:`` entry of ``functions``."""
    body = r.entry(item, "function", "functions", "meta/kind")
    meta = r.require(body, "meta", "add `meta:` with `kind: http` and `type: ns/name`.")
    r.known(meta, "function.meta")
    kind_node = r.require(meta, "kind", "add `kind: http`.")
    kind = r.as_text(kind_node, "kind", "write `kind: http`.").lower()
    if kind not in ("http", "grpc"):
        r.fail(
            kind_node.line,
            kind_node.key_path,
            f"unknown function kind {kind_node.value!r}; the runtime fails with "
            f'"No enum constant ...FunctionSpec.Kind.{str(kind_node.value).upper()}".',
            "write `kind: http` (remote functions are served over HTTP).",
        )
    type_node = r.require(meta, "type", "add `type: <namespace>/<name>`.")
    typename = r.as_text(type_node, "type", "write e.g. `type: example/greeter`.")
    namespace, name = r.namespace_name(type_node, typename, "type: example/greeter")

    spec = r.require(body, "spec", "add `spec:` with `endpoint:` under `function:`.")
    r.known(spec, f"function.spec:{kind}")
    if kind == "grpc":
        r.text(spec, "host")
        port = r.require(spec, "port")
        r.as_int(port, "port")
        return FunctionSpec(typename, namespace, name, "grpc", None, line=item.line, path=r.path)

    endpoint = _endpoint(r, spec)
    states = _states(r, spec)
    max_batch = r.optional_int(spec, "maxNumBatchRequests")
    timeouts = _timeouts(r, spec)
    return FunctionSpec(
        typename,
        namespace,
        name,
        "http",
        endpoint,
        states=states,
        max_num_batch_requests=(DEFAULT_MAX_NUM_BATCH_REQUESTS if max_batch is None else max_batch),
        timeout=timeouts["timeout"],
        connect_timeout=timeouts["connectTimeout"],
        read_timeout=timeouts["readTimeout"],
        write_timeout=timeouts["writeTimeout"],
        line=item.line,
        path=r.path,
    )


def _endpoint(r: Reader, spec: Node) -> str:
    example = "endpoint: http://python-worker:8000/statefun"
    node = r.require(spec, "endpoint", f"add e.g. `{example}`.")
    uri = r.as_text(node, "endpoint", f"write e.g. `{example}`.")
    if re.search(r"\s", uri):
        r.fail(
            node.line,
            node.key_path,
            f"endpoint {uri!r} contains whitespace.",
            "remove the spaces; a URL cannot contain them.",
        )
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", uri)
    if match is None:
        r.fail(
            node.line,
            node.key_path,
            f"Missing scheme in function endpoint {uri}; an http or https scheme must be provided.",
            f"write the full URL, e.g. `{example}`.",
        )
    scheme = match.group(1).lower()
    if scheme not in ("http", "https", "http+unix", "https+unix"):
        fix = f"write the full URL, e.g. `{example}`."
        if not uri[match.end() :].startswith("//"):
            fix = f"add the scheme: `endpoint: http://{uri}`."
        r.fail(
            node.line,
            node.key_path,
            f"Missing scheme in function endpoint {uri}; an http or https or http+unix or "
            f"https+unix scheme must be provided.",
            fix,
        )
    _endpoint_parts(r, node, uri, scheme, example)
    return uri


def _endpoint_parts(r: Reader, node: Node, uri: str, scheme: str, example: str) -> None:
    """Fail unless ``uri`` splits, with a host (http, https) or a socket file (+unix)."""
    try:
        parts = urllib.parse.urlsplit(uri)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        r.fail(
            node.line,
            node.key_path,
            f"endpoint {uri} is not a valid URL: {exc}.",
            f"write `{scheme}://<host>:<port>/<path>`, e.g. `{example}`.",
        )
    if scheme in ("http", "https"):
        if not host:
            r.fail(
                node.line,
                node.key_path,
                f"endpoint {uri} has no host.",
                f"write `{scheme}://<host>:<port>/<path>`, e.g. `{example}`.",
            )
    else:
        # Like the runtime: the socket file is the path up to the first `.sock` segment.
        if not any(seg.endswith(".sock") for seg in parts.path.split("/")):
            r.fail(
                node.line,
                node.key_path,
                f"{scheme} endpoint {uri} has no path segment ending in `.sock`: the "
                f"runtime cannot tell the socket file from the HTTP path.",
                f"name the socket file, then the path, e.g. "
                f"`endpoint: {scheme}:///tmp/statefun.sock/statefun`.",
            )


def _states(r: Reader, spec: Node) -> tuple[StateSpec, ...]:
    states: list[StateSpec] = []
    lines: dict[str, int] = {}
    for entry in r.list_at(spec, "states"):
        state = _state_v2(r, entry) if r.version == "2.0" else _state_v1(r, entry)
        if state.name in lines:
            r.fail(
                entry.line,
                entry.key_path,
                f"state {state.name!r} is declared twice (first at line {lines[state.name]}).",
                "remove one of the two.",
            )
        lines[state.name] = entry.line
        states.append(state)
    return tuple(states)


def _state_v1(r: Reader, entry: Node) -> StateSpec:
    if entry.kind == "str":
        return StateSpec(str(entry.value))
    if entry.kind == "map":
        name = entry.get("name")
        shown = f"`- {name.raw}`" if name is not None and name.kind == "str" else "its name"
        r.fail(
            entry.line,
            entry.key_path,
            'under version "1.0" each state is a plain name, but this one is a map; the '
            "runtime would silently drop it.",
            f'set `version: "2.0"` to use `name`/`expireAfter`/`expireMode`, or write only '
            f"{shown}.",
        )
    r.fail(
        entry.line,
        entry.key_path,
        f"not a string: this state is {entry.describe()}; the runtime would silently drop it.",
        f'quote it: `- "{entry.raw}"`.' if entry.raw else "write the state's name.",
    )


def _state_v2(r: Reader, entry: Node) -> StateSpec:
    if entry.kind != "map":
        shown = entry.raw or "seen_count"
        r.fail(
            entry.line,
            entry.key_path,
            f'missing key /name: under version "2.0" each state is a map, but this one is '
            f"{entry.describe()}.",
            f"write `- name: {shown}` (optionally with `expireAfter: 60s` and "
            f'`expireMode: after-invoke` below it), or use `version: "1.0"` for plain names.',
        )
    r.known(entry, "state")
    name = r.text(entry, "name", hint="write `name: <state name>`.")
    parsed = r.duration(entry, "expireAfter")
    if parsed is None:
        # Without expireAfter the runtime never reads expireMode.
        return StateSpec(name)
    expire_after, nanos = parsed
    if nanos < 1_000_000:
        node = entry.value["expireAfter"]
        r.fail(
            node.line,
            node.key_path,
            'expireAfter must be at least 1ms: Flink fails with "TTL is expected to be '
            'positive." when the state is registered.',
            "remove `expireAfter` to keep the state forever (the 2.2 docs' \"0 disables "
            'expiry" is wrong), or give a positive duration such as "60s".',
        )
    mode = r.optional_text(entry, "expireMode", hint="write `expireMode: after-invoke`.")
    if mode is not None and mode not in ("after-invoke", "after-write"):
        node = entry.value["expireMode"]
        hint = "write `expireMode: after-invoke` or `expireMode: after-write`."
        if mode.strip().lower() in ("after-invoke", "after-write"):
            hint = f"write it exactly, in lower case: `expireMode: {mode.strip().lower()}`."
        r.fail(
            node.line,
            node.key_path,
            "Invalid state ttl expire mode; must be one of [after-invoke, after-write].",
            hint,
        )
    return StateSpec(name, expire_after, mode or "after-invoke")


def _timeouts(r: Reader, spec: Node) -> dict[str, datetime.timedelta]:
    defaults = {
        "timeout": DEFAULT_TIMEOUT,
        "connectTimeout": DEFAULT_IO_TIMEOUT,
        "readTimeout": DEFAULT_IO_TIMEOUT,
        "writeTimeout": DEFAULT_IO_TIMEOUT,
    }
    values: dict[str, datetime.timedelta] = {}
    nanos: dict[str, int] = {}
    for key, default in defaults.items():
        parsed = r.duration(spec, key)
        if parsed is None:
            values[key] = default
            nanos[key] = default // datetime.timedelta(microseconds=1) * 1000
            continue
        if parsed[1] == 0:
            node = spec.value[key]
            r.fail(
                node.line,
                node.key_path,
                "Timeout durations must be larger than 0.",
                f'give a positive duration, e.g. `{key}: "10s"`, or remove `{key}`.',
            )
        values[key], nanos[key] = parsed
    names = {"connectTimeout": "Connect", "readTimeout": "Read", "writeTimeout": "Write"}
    too_long = [k for k in names if nanos[k] > nanos["timeout"]]
    if too_long:
        first = too_long[0]
        problem = f"{names[first]} timeout cannot be larger than request timeout."
        timeout_text = format_timedelta(values["timeout"])
        explicit = [k for k in too_long if spec.get(k) is not None]
        defaulted = [k for k in too_long if spec.get(k) is None]
        if defaulted:
            node = spec.get("timeout") or spec
            keys = ", ".join(f"`{k}: {timeout_text}`" for k in defaulted)
            problem += f" `timeout` is {timeout_text} but {'/'.join(defaulted)} default to 10s."
            hint = (
                f"also lower connectTimeout/readTimeout/writeTimeout to at most "
                f"{timeout_text}: add {keys} under `spec:`, or raise `timeout` to at least "
                f"10s."
            )
        else:
            node = spec.value[explicit[0]]
            hint = f"lower `{explicit[0]}` to at most {timeout_text}, or raise `timeout`."
        r.fail(node.line, node.key_path, problem, hint)
    return values
