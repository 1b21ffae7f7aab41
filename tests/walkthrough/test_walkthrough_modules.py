"""module.yaml, module-2.0.yaml and the notebook module: the walkthrough's module (spec §5.1),
accepted by the module loader and matching the greeter's bound functions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from statefun.local.check import check_module
from statefun.local.module_yaml import load_module

MODULE_FILES = ["module.yaml", "module-2.0.yaml", "docker/notebook/module.yaml"]

# Spec §5.1, plus `startupPosition: earliest` (see the comment in module.yaml).
WALKTHROUGH_MODULE: dict[str, Any] = {
    "version": "1.0",
    "module": {
        "meta": {"type": "remote"},
        "spec": {
            "functions": [
                {
                    "function": {
                        "meta": {"kind": "http", "type": "example/greeter"},
                        "spec": {
                            "endpoint": "http://python-worker:8000/statefun",
                            "states": ["seen_count"],
                            "maxNumBatchRequests": 500,
                            "timeout": "2min",
                        },
                    }
                }
            ],
            "ingresses": [
                {
                    "ingress": {
                        "meta": {
                            "type": "statefun.kafka.io/routable-protobuf-ingress",
                            "id": "example/names",
                        },
                        "spec": {
                            "address": "kafka-broker:9092",
                            "consumerGroupId": "my-group-id",
                            "startupPosition": {"type": "earliest"},
                            "topics": [
                                {
                                    "topic": "names",
                                    "typeUrl": "com.googleapis/example.GreetRequest",
                                    "targets": ["example/greeter"],
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
                        "spec": {
                            "address": "kafka-broker:9092",
                            "deliverySemantic": {
                                "type": "exactly-once",
                                "transactionTimeoutMillis": 100000,
                            },
                        },
                    }
                }
            ],
        },
    },
}


def _load(root: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / name).read_text())
    return data


def _function_spec(module: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = module["module"]["spec"]["functions"][0]["function"]["spec"]
    return spec


def test_module_yaml_is_the_walkthrough_module(root: Path) -> None:
    assert _load(root, "module.yaml") == WALKTHROUGH_MODULE


def test_module_2_0_differs_only_by_version_and_expiring_state(root: Path) -> None:
    expected = copy.deepcopy(WALKTHROUGH_MODULE)
    expected["version"] = "2.0"
    _function_spec(expected)["states"] = [
        {"name": "seen_count", "expireAfter": "60s", "expireMode": "after-invoke"}
    ]
    assert _load(root, "module-2.0.yaml") == expected


def test_notebook_module_differs_only_by_endpoint(root: Path) -> None:
    expected = copy.deepcopy(WALKTHROUGH_MODULE)
    _function_spec(expected)["endpoint"] = "http://host.docker.internal:8000/statefun"
    assert _load(root, "docker/notebook/module.yaml") == expected


@pytest.mark.parametrize("name", MODULE_FILES)
def test_module_loads_and_matches_the_greeter(root: Path, name: str) -> None:
    import greeter

    module = load_module(root / name)

    assert check_module(module, greeter.functions) == []
    function = module.function("example/greeter")
    assert function.state_names == ("seen_count",)
    ingress, routing = module.ingress_for("names")
    assert ingress.startup_position == {"type": "earliest"}
    assert routing is not None and routing.targets == ("example/greeter",)
    egress = module.egresses["example/greets"]
    assert (egress.delivery_semantic, egress.transaction_timeout_millis) == (
        "exactly-once",
        100000,
    )


def test_module_2_0_state_expires_after_a_minute(root: Path) -> None:
    (state,) = load_module(root / "module-2.0.yaml").function("example/greeter").states
    assert state.expire_after is not None and state.expire_after.total_seconds() == 60
    assert state.expire_mode == "after-invoke"


@pytest.mark.parametrize("name", MODULE_FILES)
def test_version_and_timeout_are_yaml_strings(root: Path, name: str) -> None:
    """An unquoted `version: 1.0` is a float, which the runtime rejects (spec §4.1)."""
    module = _load(root, name)
    assert isinstance(module["version"], str)
    assert isinstance(_function_spec(module)["timeout"], str)
