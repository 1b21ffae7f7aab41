"""The local runtime: Flink StateFun 2.x semantics inside the Python process.

from statefun.local import LocalRuntime
rt = LocalRuntime.from_module("module.yaml", functions)
rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
rt.state("example/greeter", "Jerry")        # {'seen_count': SeenCount(seen=1)}
rt.egress("example/greets", GreetResponse)  # [EgressRecord(topic='greetings', ...)]
"""

from __future__ import annotations

from statefun.errors import ModuleCheckError, ModuleYamlError, RuntimeFailure
from statefun.local.check import assert_module_matches, check_module
from statefun.local.clock import EPOCH, VirtualClock
from statefun.local.kafka_bridge import KafkaBridge
from statefun.local.module_yaml import ModuleSpec, load_module, parse_module
from statefun.local.runtime import EgressRecord, LocalRuntime, StateView
from statefun.local.trace import Trace
from statefun.local.transport import (
    HttpTransport,
    InProcessTransport,
    MockTransport,
    Transport,
    WSGITransport,
)

__all__ = [
    "EPOCH",
    "EgressRecord",
    "HttpTransport",
    "InProcessTransport",
    "KafkaBridge",
    "LocalRuntime",
    "MockTransport",
    "ModuleCheckError",
    "ModuleSpec",
    "ModuleYamlError",
    "RuntimeFailure",
    "StateView",
    "Trace",
    "Transport",
    "VirtualClock",
    "WSGITransport",
    "assert_module_matches",
    "check_module",
    "load_module",
    "parse_module",
]
