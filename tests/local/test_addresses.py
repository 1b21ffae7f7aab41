"""Per-function-type info computed once, and the view of an address's states."""

from __future__ import annotations

from google.protobuf.any_pb2 import Any
from messages_pb2 import SeenCount
from module_builder import build_module, function

from statefun.local.addresses import StateView, function_infos


def test_function_infos_hold_the_ttl_states_and_the_batch_limit() -> None:
    states = [{"name": "a", "expireAfter": "1s"}, {"name": "b"}]
    module = build_module(function("example/greeter", states, maxNumBatchRequests=7), version="2.0")
    info = function_infos(module)["example/greeter"]
    assert info.state_names == ("a", "b")
    assert info.states == {"a", "b"}
    assert list(info.ttl) == ["a"]
    assert info.limit == 7
    assert info.spec is module.functions["example/greeter"]


def test_a_state_view_decodes_its_values() -> None:
    packed = Any()
    packed.Pack(SeenCount(seen=2))
    view = StateView("example/greeter/Jerry", {"seen_count": packed.SerializeToString()})
    assert dict(view) == {"seen_count": SeenCount(seen=2)}
    assert len(view) == 1
    assert repr(view) == "{'seen_count': SeenCount(seen=2)}"
    assert view.address == "example/greeter/Jerry"
