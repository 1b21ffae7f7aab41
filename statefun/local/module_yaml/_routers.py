"""The ``- router:`` entries (only the non-routable protobuf ingress needs one)."""

from __future__ import annotations

from statefun.local.module_yaml._nodes import Node
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._specs import KAFKA_ROUTABLE_INGRESS, PROTOBUF_ROUTER, RouterSpec


def read_router(r: Reader, item: Node) -> RouterSpec:
    """A ``- router:`` entry of ``routers``."""
    body = r.entry(item, "router", "routers", "meta/type")
    meta = r.require(body, "meta", f"add `meta:` with `type: {PROTOBUF_ROUTER}`.")
    r.known(meta, "router.meta")
    type_node = r.require(meta, "type", f"add `type: {PROTOBUF_ROUTER}`.")
    router_type = r.as_text(type_node, "type", f"write `type: {PROTOBUF_ROUTER}`.")
    if router_type.lower() != PROTOBUF_ROUTER.lower():
        r.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid router type {router_type}",
            f"the only router type is `{PROTOBUF_ROUTER}`; for remote functions prefer the "
            f"routable ingress `{KAFKA_ROUTABLE_INGRESS}`, which needs no router.",
        )
    spec = r.require(body, "spec", "add `spec:` with ingress, target, messageType, descriptorSet.")
    r.known(spec, "router.spec")
    ingress_node = r.require(spec, "ingress", "add `ingress: <namespace>/<name>`.")
    ingress = r.as_text(ingress_node, "ingress", "write `ingress: example/names`.")
    r.namespace_name(ingress_node, ingress, "ingress: example/names")
    return RouterSpec(
        type=router_type,
        ingress=ingress,
        target=r.text(spec, "target", hint='write e.g. `target: "example/greeter/{{$.name}}"`.'),
        message_type=r.text(
            spec, "messageType", hint="write e.g. `messageType: example.GreetRequest`."
        ),
        descriptor_set=r.text(
            spec, "descriptorSet", hint="write e.g. `descriptorSet: classpath:messages.desc`."
        ),
        line=item.line,
        path=r.path,
    )
