"""Byte for byte: the walkthrough greeter answers the golden request of spec §1.2."""

from __future__ import annotations

from golden import GOLDEN_REQUEST, GOLDEN_RESPONSE
from google.protobuf.any_pb2 import Any

from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.request_reply_pb2 import FromFunction, ToFunction


def test_golden_request_is_what_the_runtime_sends() -> None:
    request = ToFunction.FromString(GOLDEN_REQUEST).invocation
    assert (request.target.namespace, request.target.type, request.target.id) == (
        "example",
        "greeter",
        "Jerry",
    )
    assert [s.state_name for s in request.state] == ["seen_count"]
    assert not request.state[0].state_value
    assert len(request.invocations) == 1
    assert not request.invocations[0].HasField("caller")
    assert request.invocations[0].argument.type_url == "com.googleapis/example.GreetRequest"


def test_greeter_returns_the_golden_response_byte_for_byte() -> None:
    import greeter  # the walkthrough's greeter/greeter.py, unchanged

    assert greeter.handler(GOLDEN_REQUEST) == GOLDEN_RESPONSE


def test_golden_response_decodes_to_the_documented_effects() -> None:
    from messages_pb2 import GreetResponse, SeenCount

    response = FromFunction.FromString(GOLDEN_RESPONSE).invocation_result
    (mutation,) = response.state_mutations
    assert mutation.mutation_type == FromFunction.PersistedValueMutation.MODIFY
    stored = Any.FromString(mutation.state_value)
    assert stored.type_url == "type.googleapis.com/example.SeenCount"
    assert SeenCount.FromString(stored.value).seen == 1
    (egress,) = response.outgoing_egresses
    assert (egress.egress_namespace, egress.egress_type) == ("example", "greets")
    record = KafkaProducerRecord()
    assert egress.argument.Unpack(record)
    assert (record.topic, record.key) == ("greetings", "Jerry")
    assert GreetResponse.FromString(record.value_bytes) == GreetResponse(
        name="Jerry", greeting="Welcome Jerry"
    )
