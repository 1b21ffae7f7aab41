"""Effects: read from a wire response and from the SDK's context, they are the same records."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from google.protobuf.any_pb2 import Any
from messages_pb2 import GreetRequest, SeenCount

import greeter
from statefun import StatefulFunctions, kafka_egress_record
from statefun.local import LocalRuntime
from statefun.local.effects import Effects, from_context, from_response
from statefun.local.transport import CONTENT_TYPE, Attempt, InProcessTransport, MockTransport
from statefun.request_reply import build_response
from statefun.request_reply_pb2 import FromFunction
from statefun.testing import InvocationBuilder, StateMutation, decode_response, from_effects


def everything() -> StatefulFunctions:
    """A function that uses every kind of effect, and deletes one state."""
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        context.state("seen_count").pack(SeenCount(seen=len(request.name)))
        del context["other"]
        context.pack_and_send("example/other", "x", request)
        context.pack_and_send_after(timedelta(seconds=2), "example/greeter", "y", request)
        context.pack_and_send_egress(
            "example/greets", kafka_egress_record(topic="greetings", key="k", value=request)
        )

    return fns


def request() -> bytes:
    builder = InvocationBuilder().with_target("example", "greeter", "Jerry")
    builder.with_state("seen_count").with_state("other", SeenCount(seen=1))
    builder.with_invocation(GreetRequest(name="Jerry")).with_invocation(GreetRequest(name="Al"))
    return builder.SerializeToString()


def test_in_process_effects_equal_the_wire_response_read_back() -> None:
    transport = InProcessTransport(everything())
    context = transport.invoke("example/greeter", request())
    direct = from_context(context)
    wire = FromFunction.FromString(build_response(context)).invocation_result
    assert direct == from_response(wire)
    assert len(direct.messages) == len(direct.delayed) == len(direct.egresses) == 2
    assert [name for name, _ in direct.mutations] == ["seen_count", "other"]
    assert direct.mutations[1] == ("other", None)
    assert transport.call("example/greeter", request(), timedelta(seconds=1)) == direct


def test_a_mutation_of_an_unknown_type_is_ignored_as_on_flink() -> None:
    response = FromFunction()
    result = response.invocation_result
    kinds = FromFunction.PersistedValueMutation
    result.state_mutations.add(state_name="kept", mutation_type=kinds.MODIFY, state_value=b"v")
    result.state_mutations.add(state_name="gone", mutation_type=kinds.DELETE)
    result.state_mutations.add(state_name="future", mutation_type=7, state_value=b"?")
    assert from_response(result).mutations == [("kept", b"v"), ("gone", None)]
    assert from_response(FromFunction().invocation_result) == Effects([], [], [], [])


def test_statefun_testing_reads_a_response_as_the_runtime_does() -> None:
    response = FromFunction()
    kinds = FromFunction.PersistedValueMutation
    stored = Any()
    stored.Pack(SeenCount(seen=3))
    result = response.invocation_result
    result.state_mutations.add(
        state_name="kept", mutation_type=kinds.MODIFY, state_value=stored.SerializeToString()
    )
    result.state_mutations.add(state_name="future", mutation_type=7)
    effects = decode_response(response.SerializeToString())
    assert effects.mutations == [StateMutation("kept", False, stored)]
    assert from_effects(from_response(result)) == effects


def test_the_runtime_and_statefun_testing_agree_on_an_unknown_mutation_type() -> None:
    """Both skip it: the runtime keeps the state of the known mutation, decode_response lists
    only that one (had either applied the unknown one, the state would hold its garbage)."""
    kinds = FromFunction.PersistedValueMutation
    stored = Any()
    stored.Pack(SeenCount(seen=3))
    response = FromFunction()
    mutations = response.invocation_result.state_mutations
    mutations.add(
        state_name="seen_count", mutation_type=kinds.MODIFY, state_value=stored.SerializeToString()
    )
    mutations.add(state_name="seen_count", mutation_type=7, state_value=b"\xffgarbage")
    body = response.SerializeToString()
    root = Path(__file__).resolve().parents[2]
    rt = LocalRuntime.from_module(root / "module.yaml", greeter.functions)
    rt.bind("example/greeter", MockTransport(Attempt(200, CONTENT_TYPE, body)))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert rt.failure is None
    assert rt.state("example/greeter", "Jerry") == {"seen_count": SeenCount(seen=3)}
    assert decode_response(body).mutations == [StateMutation("seen_count", False, stored)]
