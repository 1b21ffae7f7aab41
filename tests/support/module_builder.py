"""Builds module.yaml documents for tests (valid YAML through PyYAML, parsed by our loader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from statefun.local import ModuleSpec, parse_module

ROOT = Path(__file__).resolve().parents[2]


def function(typename: str, states: list[Any] | None = None, **spec: Any) -> dict[str, Any]:
    body = {"endpoint": "http://localhost:1/statefun", "states": states or [], **spec}
    return {"function": {"meta": {"kind": "http", "type": typename}, "spec": body}}


def build_module(
    *functions: dict[str, Any],
    version: str = "1.0",
    targets: tuple[str, ...] = ("example/greeter",),
) -> ModuleSpec:
    """A module with ``functions``, the walkthrough's names ingress and two egresses."""
    document = {
        "version": version,
        "module": {
            "meta": {"type": "remote"},
            "spec": {
                "functions": list(functions),
                "ingresses": [
                    {
                        "ingress": {
                            "meta": {
                                "type": "statefun.kafka.io/routable-protobuf-ingress",
                                "id": "example/names",
                            },
                            "spec": {
                                "address": "kafka:9092",
                                "topics": [
                                    {
                                        "topic": "names",
                                        "typeUrl": "com.googleapis/example.GreetRequest",
                                        "targets": list(targets),
                                    }
                                ],
                            },
                        }
                    }
                ],
                "egresses": [
                    {
                        "egress": {
                            "meta": {
                                "type": "statefun.kafka.io/generic-egress",
                                "id": "example/greets",
                            },
                            "spec": {"address": "kafka:9092"},
                        }
                    },
                    {
                        "egress": {
                            "meta": {
                                "type": "statefun.kinesis.io/generic-egress",
                                "id": "example/kinesis",
                            },
                            "spec": {},
                        }
                    },
                ],
            },
        },
    }
    return parse_module(yaml.safe_dump(document, sort_keys=False), path="test-module.yaml")
