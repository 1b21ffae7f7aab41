"""Byte for byte: the walkthrough greeter answers the golden request of spec §1.2."""

from __future__ import annotations

from google.protobuf.any_pb2 import Any

from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.request_reply_pb2 import FromFunction, ToFunction

GOLDEN_REQUEST = bytes.fromhex(
    "a2065b0a190a076578616d706c651207677265657465721a054a65727279120c0a0a7365656e5f636f756e74"
    "1a30122e0a23636f6d2e676f6f676c65617069732f6578616d706c652e47726565745265717565737412070a"
    "054a65727279"
)
GOLDEN_RESPONSE = bytes.fromhex(
    "a206cb010a3b0801120a7365656e5f636f756e741a2b0a25747970652e676f6f676c65617069732e636f6d2f"
    "6578616d706c652e5365656e436f756e7412020801228b010a076578616d706c6512066772656574731a780a"
    "4a747970652e676f6f676c65617069732e636f6d2f6f72672e6170616368652e666c696e6b2e737461746566"
    "756e2e666c696e6b2e696f2e4b61666b6150726f64756365725265636f7264122a0a054a6572727912160a05"
    "4a65727279120d57656c636f6d65204a657272791a096772656574696e6773"
)


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
