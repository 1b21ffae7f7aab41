"""The ``- egress:`` entries: Kafka (with its delivery semantic) and Kinesis."""

from __future__ import annotations

from typing import Any

from statefun.local.module_yaml._io import aws_credentials, aws_region, io_meta
from statefun.local.module_yaml._nodes import Node
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._specs import EGRESS_TYPES, KINESIS_EGRESS, EgressSpec


def read_egress(r: Reader, item: Node) -> EgressSpec:
    """An ``- egress:`` entry of ``egresses``."""
    body = r.entry(item, "egress", "egresses", "meta/id")
    id_, type_ = io_meta(r, body, "egress", EGRESS_TYPES)
    spec = r.require(body, "spec", "add `spec:` under `egress:`.")
    r.known(spec, f"egress.spec:{type_}")
    common: dict[str, Any] = {"id": id_, "type": type_, "line": item.line, "path": r.path}
    if type_ == KINESIS_EGRESS:
        max_outstanding = r.optional_int(spec, "maxOutstandingRecords")
        return EgressSpec(
            address=None,
            properties=r.properties(spec, "clientConfigProperties"),
            aws_region=aws_region(r, spec),
            aws_credentials=aws_credentials(r, spec),
            max_outstanding_records=1000 if max_outstanding is None else max_outstanding,
            **common,
        )
    address = r.text(spec, "address", hint="add e.g. `address: kafka-broker:9092`.")
    properties = r.properties(spec, "properties")
    semantic, txn_timeout = _delivery_semantic(r, spec)
    return EgressSpec(
        address=address,
        delivery_semantic=semantic,
        transaction_timeout_millis=txn_timeout,
        properties=properties,
        **common,
    )


def _delivery_semantic(r: Reader, spec: Node) -> tuple[str, int | None]:
    node = r.optional_map(spec, "deliverySemantic", "deliverySemantic")
    if node is None:
        return "at-least-once", None
    r.known(node, "deliverySemantic")
    kinds = ("at-least-once", "exactly-once", "none")
    type_node = r.require(node, "type", "add e.g. `type: at-least-once`.")
    kind = r.as_text(type_node, "type", "write e.g. `type: at-least-once`.").lower()
    if kind not in kinds:
        r.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid delivery semantic type: {kind}; valid types are "
            f"[at-least-once, exactly-once, none]",
            "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
        )
    if kind != "exactly-once":
        return kind, None
    timeout_node = r.require(
        node,
        "transactionTimeoutMillis",
        "exactly-once needs `transactionTimeoutMillis`, e.g. `transactionTimeoutMillis: 100000`.",
    )
    millis = r.as_int(timeout_node, "transactionTimeoutMillis", long=True)
    if millis <= 0:
        r.fail(
            timeout_node.line,
            timeout_node.key_path,
            f"transactionTimeoutMillis must be larger than 0, got {millis}.",
            "give the Kafka transaction timeout in milliseconds, e.g. "
            "`transactionTimeoutMillis: 100000`.",
        )
    return kind, millis
