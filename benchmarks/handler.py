"""Invocations per second of the walkthrough greeter through RequestReplyHandler, beside the floor.

The floor does the same work with protobuf directly, in the same run: parse the ToFunction,
unpack each GreetRequest and the SeenCount state, compute the greeting, build the Kafka record
and the FromFunction, serialise it. ``ratio`` = handler rate / floor rate.

    .venv/bin/python benchmarks/handler.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from google.protobuf.any_pb2 import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "greeter"))

from messages_pb2 import GreetRequest, GreetResponse, SeenCount  # noqa: E402

import greeter  # noqa: E402  (the walkthrough's greeter.py, unchanged)
from statefun.kafka_egress_pb2 import KafkaProducerRecord  # noqa: E402
from statefun.request_reply_pb2 import FromFunction, ToFunction  # noqa: E402
from statefun.testing import InvocationBuilder  # noqa: E402

MODIFY = FromFunction.PersistedValueMutation.MODIFY
SEEN_URL = "type.googleapis.com/example.SeenCount"
RECORD_URL = "type.googleapis.com/org.apache.flink.statefun.flink.io.KafkaProducerRecord"


def make_request(batch: int, seen: int | None) -> bytes:
    builder = InvocationBuilder().with_target("example", "greeter", "Jerry")
    builder.with_state("seen_count", None if seen is None else SeenCount(seen=seen))
    for _ in range(batch):
        builder.with_invocation(
            GreetRequest(name="Jerry"), type_url="com.googleapis/example.GreetRequest"
        )
    return builder.SerializeToString()


def floor(request: bytes) -> bytes:
    """The greeter written against protobuf directly: the least any SDK must do."""
    batch = ToFunction.FromString(request).invocation
    value = batch.state[0].state_value
    seen = SeenCount.FromString(Any.FromString(value).value).seen if value else 0
    result = FromFunction()
    response = result.invocation_result
    for invocation in batch.invocations:
        name = GreetRequest.FromString(invocation.argument.value).name
        seen += 1
        greeting = greeter.compute_greeting(name, seen)
        record = KafkaProducerRecord(
            topic="greetings", key=name, value_bytes=greeting.SerializeToString()
        )
        egress = response.outgoing_egresses.add()
        egress.egress_namespace = "example"
        egress.egress_type = "greets"
        egress.argument.type_url = RECORD_URL
        egress.argument.value = record.SerializeToString()
    mutation = response.state_mutations.add()
    mutation.mutation_type = MODIFY
    mutation.state_name = "seen_count"
    mutation.state_value = Any(
        type_url=SEEN_URL, value=SeenCount(seen=seen).SerializeToString()
    ).SerializeToString()
    return result.SerializeToString()


def rates(
    handler: Callable[[bytes], bytes], request: bytes, batch: int, seconds: float, rounds: int = 7
) -> tuple[float, float, float]:
    """Median invocations per second of handler and floor, and the median of their ratios.

    Both are timed in alternation, round after round, in CPU time of this process, so other
    load on the machine affects both alike and the ratio stays meaningful.
    """
    calls = 1
    while True:  # calibrate: how many calls of the floor take about one slice
        start = time.process_time()
        for _ in range(calls):
            floor(request)
        elapsed = time.process_time() - start
        if elapsed > 0.02:
            break
        calls *= 2
    per_slice = max(1, int(calls * (seconds / rounds / 2) / elapsed))
    ours, base, ratios = [], [], []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_slice):
            handler(request)
        h = per_slice * batch / (time.process_time() - start)
        start = time.process_time()
        for _ in range(per_slice):
            floor(request)
        f = per_slice * batch / (time.process_time() - start)
        ours.append(h)
        base.append(f)
        ratios.append(h / f)
    return statistics.median(ours), statistics.median(base), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per measurement")
    args = parser.parse_args()
    handler = greeter.handler
    print(f"{'batch':>5} {'seen_count':>10} {'handler inv/s':>14} {'floor inv/s':>12} {'ratio':>6}")
    for batch in (1, 10, 100, 500):
        for seen in (None, 3):
            request = make_request(batch, seen)
            ours, reference = handler(request), floor(request)
            got, want = FromFunction.FromString(ours), FromFunction.FromString(reference)
            assert got == want, "the floor must build the same response as the handler"
            h, f, ratio = rates(handler, request, batch, args.seconds)
            state = "absent" if seen is None else "present"
            print(f"{batch:>5} {state:>10} {h:>14,.0f} {f:>12,.0f} {ratio:>6.2f}")
    _ = GreetResponse  # imported for readers: the greeting message the floor builds


if __name__ == "__main__":
    main()
