"""``- router:`` entries, with the non-routable protobuf ingress that needs them."""

from __future__ import annotations

from module_yaml_texts import (
    fails,
    module_with,
)

from statefun.local.module_yaml import (
    RouterSpec,
    RoutingSpec,
    parse_module,
)


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
