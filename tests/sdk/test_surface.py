"""The import surface of apache-flink-statefun 2.2.2 is all there."""

from __future__ import annotations

import importlib

import statefun


def test_top_level_names_match_upstream_2_2_2() -> None:
    for name in (
        "StatefulFunctions",
        "RequestReplyHandler",
        "AsyncRequestReplyHandler",
        "kafka_egress_record",
        "kinesis_egress_record",
    ):
        assert hasattr(statefun, name), name
    assert sorted(statefun.__all__) == sorted(
        [
            "AsyncRequestReplyHandler",
            "RequestReplyHandler",
            "StatefulFunctions",
            "kafka_egress_record",
            "kinesis_egress_record",
        ]
    )


def test_submodules_and_their_names() -> None:
    core = importlib.import_module("statefun.core")
    for name in (
        "AnyStateHandle",
        "StatefulFunctions",
        "StatefulFunction",
        "SdkAddress",
        "parse_typename",
        "deduce_protobuf_types",
        "kafka_egress_record",
        "kinesis_egress_record",
    ):
        assert hasattr(core, name), name
    rr = importlib.import_module("statefun.request_reply")
    for name in (
        "RequestReplyHandler",
        "AsyncRequestReplyHandler",
        "BatchContext",
        "InvocationContext",
    ):
        assert hasattr(rr, name), name
    pb = importlib.import_module("statefun.request_reply_pb2")
    assert (
        pb.ToFunction.DESCRIPTOR.full_name
        == "org.apache.flink.statefun.flink.core.polyglot.ToFunction"
    )
    assert pb.FromFunction.DESCRIPTOR.file.name == "request-reply.proto"
    kafka = importlib.import_module("statefun.kafka_egress_pb2")
    assert (
        kafka.KafkaProducerRecord.DESCRIPTOR.full_name
        == "org.apache.flink.statefun.flink.io.KafkaProducerRecord"
    )
    kinesis = importlib.import_module("statefun.kinesis_egress_pb2")
    assert (
        kinesis.KinesisEgressRecord.DESCRIPTOR.full_name
        == "org.apache.flink.statefun.flink.io.KinesisEgressRecord"
    )


def test_field_numbers_are_the_upstream_ones() -> None:
    from statefun.kafka_egress_pb2 import KafkaProducerRecord
    from statefun.kinesis_egress_pb2 import KinesisEgressRecord
    from statefun.request_reply_pb2 import Address, FromFunction, ToFunction

    def numbers(message: type) -> dict[str, int]:
        return {f.name: f.number for f in message.DESCRIPTOR.fields}

    assert numbers(Address) == {"namespace": 1, "type": 2, "id": 3}
    assert numbers(ToFunction) == {"invocation": 100}
    assert numbers(ToFunction.PersistedValue) == {"state_name": 1, "state_value": 2}
    assert numbers(ToFunction.Invocation) == {"caller": 1, "argument": 2}
    assert numbers(ToFunction.InvocationBatchRequest) == {"target": 1, "state": 2, "invocations": 3}
    assert numbers(FromFunction) == {"invocation_result": 100}
    assert numbers(FromFunction.PersistedValueMutation) == {
        "mutation_type": 1,
        "state_name": 2,
        "state_value": 3,
    }
    assert dict(FromFunction.PersistedValueMutation.MutationType.items()) == {
        "DELETE": 0,
        "MODIFY": 1,
    }
    assert numbers(FromFunction.Invocation) == {"target": 1, "argument": 2}
    assert numbers(FromFunction.DelayedInvocation) == {"delay_in_ms": 1, "target": 2, "argument": 3}
    assert numbers(FromFunction.EgressMessage) == {
        "egress_namespace": 1,
        "egress_type": 2,
        "argument": 3,
    }
    assert numbers(FromFunction.InvocationResponse) == {
        "state_mutations": 1,
        "outgoing_messages": 2,
        "delayed_invocations": 3,
        "outgoing_egresses": 4,
    }
    assert numbers(KafkaProducerRecord) == {"key": 1, "value_bytes": 2, "topic": 3}
    assert numbers(KinesisEgressRecord) == {
        "partition_key": 1,
        "value_bytes": 2,
        "stream": 3,
        "explicit_hash_key": 4,
    }


def test_runs_on_the_default_upb_backend_without_workarounds() -> None:
    import os

    from google.protobuf.internal import api_implementation

    assert "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION" not in os.environ
    assert api_implementation.Type() == "upb"


def test_generated_code_is_up_to_date() -> None:
    """The committed _pb2.py files are what the regeneration command produces."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                "-I",
                str(root / "statefun" / "protos"),
                f"--python_out={out}",
                "request-reply.proto",
                "kafka-egress.proto",
                "kinesis-egress.proto",
            ],
            check=True,
            cwd=root / "statefun" / "protos",
        )
        for name in ("request_reply_pb2.py", "kafka_egress_pb2.py", "kinesis_egress_pb2.py"):
            assert (Path(out) / name).read_text() == (root / "statefun" / name).read_text(), name
