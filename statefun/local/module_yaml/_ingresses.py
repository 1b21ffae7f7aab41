"""The ``- ingress:`` entries: Kafka (routable or with a router) and Kinesis, their routing and
startup positions."""

from __future__ import annotations

import datetime
import re
from typing import Any

from statefun.local.module_yaml._io import aws_credentials, aws_region, io_meta
from statefun.local.module_yaml._java import INT_MAX, LONG_MAX, LONG_MIN
from statefun.local.module_yaml._nodes import Node, join
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._specs import (
    INGRESS_TYPES,
    KAFKA_ROUTABLE_INGRESS,
    KINESIS_ROUTABLE_INGRESS,
    IngressSpec,
    RoutingSpec,
)


def read_ingress(r: Reader, item: Node) -> IngressSpec:
    """An ``- ingress:`` entry of ``ingresses``."""
    body = r.entry(item, "ingress", "ingresses", "meta/id")
    id_, type_ = io_meta(r, body, "ingress", INGRESS_TYPES)
    spec = r.require(body, "spec", "add `spec:` under `ingress:`.")
    r.known(spec, f"ingress.spec:{type_}")
    common: dict[str, Any] = {"id": id_, "type": type_, "line": item.line, "path": r.path}
    if type_ == KINESIS_ROUTABLE_INGRESS:
        return IngressSpec(
            address=None,
            topics=_routes(r, spec, "streams", "stream", "Kinesis"),
            startup_position=_kinesis_startup(r, spec),
            properties=r.properties(spec, "clientConfigProperties"),
            aws_region=aws_region(r, spec),
            aws_credentials=aws_credentials(r, spec),
            **common,
        )
    address = r.text(spec, "address", hint="add e.g. `address: kafka-broker:9092`.")
    consumer_group = r.optional_text(spec, "consumerGroupId")
    reset = _auto_offset_reset(r, spec)
    startup = _kafka_startup(r, spec)
    properties = r.properties(spec, "properties")
    if type_ == KAFKA_ROUTABLE_INGRESS:
        topics = _routes(r, spec, "topics", "topic", "Kafka")
        extra: dict[str, Any] = {}
    else:
        topic_names: list[str] = []
        for node in r.list_at(spec, "topics"):
            topic_names.append(r.as_text(node, "topics", "write each topic as a name."))
        topics = tuple(RoutingSpec(t, "", ()) for t in topic_names)
        extra = {
            "message_type": r.text(spec, "messageType"),
            "descriptor_set": r.text(spec, "descriptorSet"),
        }
    return IngressSpec(
        address=address,
        topics=topics,
        consumer_group_id=consumer_group,
        auto_offset_reset=reset,
        startup_position=startup,
        properties=properties,
        **common,
        **extra,
    )


def _routes(r: Reader, spec: Node, key: str, name_key: str, system: str) -> tuple[RoutingSpec, ...]:
    routes: dict[str, RoutingSpec] = {}
    lines: dict[str, int] = {}
    example = (
        f"`- {name_key}: names` with `typeUrl: com.googleapis/example.GreetRequest` and "
        f"`targets: [example/greeter]`"
    )
    nodes = r.list_at(spec, key)
    if not nodes:
        node = spec.get(key)
        if node is None:
            r.not_where_expected(spec, key)
        r.fail(
            (node or spec).line,
            join(spec.key_path, key),
            f"Routing config for routable {system} ingress cannot be empty.",
            f"list at least one {name_key} under `{key}:`, e.g. {example}.",
        )
    for entry in nodes:
        route = _route(r, entry, key, name_key, example)
        name = route.topic
        if name in routes:
            r.fail(
                entry.line,
                entry.key_path,
                f"{name_key} {name!r} is listed twice in this ingress (first at line "
                f"{lines[name]}); the runtime would keep only the last routing.",
                "merge the two entries: one typeUrl, and all targets in one list.",
            )
        routes[name] = route
        lines[name] = entry.line
    return tuple(routes.values())


def _route(r: Reader, entry: Node, key: str, name_key: str, example: str) -> RoutingSpec:
    """One entry of ``topics`` or ``streams``: its name, ``typeUrl`` and ``targets``."""
    if entry.kind != "map":
        r.fail(
            entry.line,
            entry.key_path,
            f"each entry of `{key}` must be a map with `{name_key}`, `typeUrl` and "
            f"`targets`, but this one is {entry.describe()}.",
            f"write {example}.",
        )
    r.known(entry, name_key)
    name = r.text(entry, name_key, hint=f"write `{name_key}: <name>`.")
    type_url_node = r.require(
        entry, "typeUrl", "add e.g. `typeUrl: com.googleapis/example.GreetRequest`."
    )
    type_url = r.as_text(type_url_node, "typeUrl", None)
    if "/" not in type_url or not type_url.rsplit("/", 1)[1]:
        r.fail(
            type_url_node.line,
            type_url_node.key_path,
            f"typeUrl {type_url!r} has no message name after a '/': the runtime matches "
            f"message types by the text after the last '/', so it would never match "
            f"(the 2.2 Kafka docs show this mistake).",
            f"prefix the full protobuf name, e.g. "
            f"`typeUrl: com.googleapis/{type_url or 'example.GreetRequest'}`.",
        )
    targets: list[str] = []
    for target in r.list_at(entry, "targets"):
        if target.kind != "str":
            r.fail(
                target.line,
                target.key_path,
                f"not a string: this target is {target.describe()}; the runtime would "
                f"silently drop it.",
                "write the function type, e.g. `- example/greeter`.",
            )
        r.namespace_name(target, str(target.value), "- example/greeter")
        targets.append(str(target.value))
    return RoutingSpec(name, type_url, tuple(targets))


def _auto_offset_reset(r: Reader, spec: Node) -> str:
    node = spec.get("autoOffsetResetPosition")
    if node is None:
        return "latest"
    value = r.as_text(node, "autoOffsetResetPosition", "write `autoOffsetResetPosition: earliest`.")
    if value.upper() not in ("EARLIEST", "LATEST"):
        r.fail(
            node.line,
            node.key_path,
            f"Invalid autoOffsetResetPosition: {value.upper()}; valid values are "
            f"[EARLIEST, LATEST]",
            "write `autoOffsetResetPosition: earliest` or `latest`.",
        )
    return value.lower()


def _kafka_startup(r: Reader, spec: Node) -> dict[str, object]:
    node = r.optional_map(spec, "startupPosition", "startupPosition:kafka")
    if node is None:
        return {"type": "latest"}
    r.known(node, "startupPosition:kafka")
    kinds = ("group-offsets", "earliest", "latest", "specific-offsets", "date")
    type_node = r.require(node, "type", "add e.g. `type: earliest`.")
    kind = r.as_text(type_node, "type", "write e.g. `type: earliest`.").lower()
    if kind not in kinds:
        r.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid startup position type: {kind}; valid values are [{', '.join(kinds)}]",
            "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
        )
    if kind == "specific-offsets":
        return {"type": kind, "offsets": _specific_offsets(r, node)}
    if kind == "date":
        return {"type": kind, "date": _startup_date(r, node)}
    return {"type": kind}


def _specific_offsets(r: Reader, node: Node) -> dict[tuple[str, int], int]:
    example = "`offsets:` then `  - names/0: 42`"
    offsets_node = node.get("offsets")
    if offsets_node is None:
        return {}
    if offsets_node.kind != "list":
        r.fail(
            offsets_node.line,
            offsets_node.key_path,
            f"not a key-value list: `offsets` is {offsets_node.describe()}.",
            f"write one `- <topic>/<partition>: <offset>` per line, e.g. {example}.",
        )
    offsets: dict[tuple[str, int], int] = {}
    for item in offsets_node.value:
        if item.kind != "map" or len(item.value) != 1:
            r.fail(
                item.line,
                item.key_path,
                "not a key-value list: each offset must be a single `<topic>/<partition>: "
                "<offset>`.",
                f"start every offset with its own `- `, e.g. {example}.",
            )
        ((key, value),) = item.value.items()
        topic, _, partition = key.rpartition("/")
        if (
            not topic
            or not re.fullmatch(r"[0-9]+", partition)
            or len(partition.lstrip("0")) > 10
            or int(partition) > INT_MAX
        ):
            r.fail(
                item.line,
                item.key_path,
                f"{key} does not conform to the <topic>/<partition_id> format",
                "write the topic, a slash and the partition number, e.g. `- names/0: 42`.",
            )
        if value.kind != "int" or not LONG_MIN <= value.value <= LONG_MAX:
            r.fail(
                value.line,
                value.key_path,
                f"value for key-value pair at {key} is not a long: {value.raw or value.describe()}",
                f"write the offset as a number without quotes, e.g. `- {key}: 42`.",
            )
        if value.value < 0:
            r.fail(
                value.line,
                value.key_path,
                f"Invalid offset value: {value.value}; must be a numeric integer with value "
                f"between 0 and {LONG_MAX}",
                "offsets start at 0.",
            )
        offsets[(topic, int(partition))] = int(value.value)
    return offsets


def _startup_date(r: Reader, node: Node) -> datetime.datetime:
    example = "date: 2020-02-01 04:15:00.000 +0000"
    date_node = r.require(node, "date", f"add e.g. `{example}`.")
    text = r.as_text(date_node, "date", f"write e.g. `{example}`.")
    parsed: datetime.datetime | None = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}", text):
        try:
            parsed = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %z")
        except ValueError:
            parsed = None
    if parsed is None:
        r.fail(
            date_node.line,
            date_node.key_path,
            f"Unable to parse date string for startup position: {text}; the date should "
            f"conform to the pattern yyyy-MM-dd HH:mm:ss.SSS Z",
            f"write milliseconds and a numeric UTC offset, e.g. `{example}`.",
        )
    return parsed


def _kinesis_startup(r: Reader, spec: Node) -> dict[str, object]:
    node = r.optional_map(spec, "startupPosition", "startupPosition:kinesis")
    if node is None:
        return {"type": "latest"}
    r.known(node, "startupPosition:kinesis")
    kinds = ("earliest", "latest", "date")
    type_node = r.require(node, "type", "add e.g. `type: earliest`.")
    kind = r.as_text(type_node, "type", "write e.g. `type: earliest`.")
    if kind not in kinds:
        hint = "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + "."
        if kind.lower() in kinds:
            hint = f"Kinesis startup types are case-sensitive: write `type: {kind.lower()}`."
        r.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid startup position type: {kind}; valid values are [{', '.join(kinds)}]",
            hint,
        )
    if kind == "date":
        return {"type": kind, "date": _startup_date(r, node)}
    return {"type": kind}
