"""The local runtime beside the real one: same egress and state; and its Kafka bridge."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from real_engine import E2EHandle, expected_greetings

import greeter
from statefun.local import KafkaBridge, LocalRuntime

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def per_key(records: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, greeting in records:
        out.setdefault(key, []).append(greeting)
    return out


def test_same_ingress_sequence_same_egress_and_state_as_the_real_runtime(
    e2e_stack: E2EHandle,
) -> None:
    jerry, george, elaine = e2e_stack.unique_names("Jerry", "George", "Elaine")
    names = [jerry, george, jerry, jerry, elaine, george, jerry, elaine, jerry]

    e2e_stack.produce(names)
    real = [(g.key, g.greeting) for g in e2e_stack.collect(names, len(names))]

    local = LocalRuntime.from_module(REPO / "module.yaml", greeter.functions)
    local.ingest_many("names", [(n, GreetRequest(name=n)) for n in names])
    mine = [(r.key or "", r.value.greeting) for r in local.egress("example/greets", GreetResponse)]  # type: ignore[attr-defined]

    assert per_key(mine) == per_key(real)
    assert per_key(mine) == per_key(expected_greetings(names))
    # The real runtime's final state, read through the function: one more request per name is
    # greeted with the next count, so its seen_count was exactly what the local runtime holds.
    e2e_stack.produce([jerry, george, elaine])
    after = per_key([(g.key, g.greeting) for g in e2e_stack.collect(names, len(names) + 3)])
    for name in (jerry, george, elaine):
        seen = local.state("example/greeter", name)["seen_count"]
        assert isinstance(seen, SeenCount)
        assert after[name][-1] == greeter.compute_greeting(name, seen.seen + 1).greeting


def fresh_topics(handle: E2EHandle, names: list[str]) -> tuple[str, str, str]:
    """Two new topics (names, greetings) with ``names`` produced to the first; and a group id.

    The bridge tests use their own topics so the real StateFun job, which reads ``names``
    and writes ``greetings``, never sees their records.
    """
    from kafka import KafkaProducer

    token = uuid.uuid4().hex[:6]
    names_topic, greetings_topic = f"lab-names-{token}", f"lab-greetings-{token}"
    admin = KafkaAdminClient(bootstrap_servers=handle.bootstrap)
    try:
        admin.create_topics([NewTopic(t, 1, 1) for t in (names_topic, greetings_topic)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=handle.bootstrap, acks="all")
    for name in names:
        producer.send(
            names_topic, key=name.encode(), value=GreetRequest(name=name).SerializeToString()
        )
    producer.flush(timeout=30)
    producer.close()
    return names_topic, greetings_topic, f"lab-{token}"


def committed_greetings(handle: E2EHandle, topic: str) -> list[tuple[str, str]]:
    """(key, greeting) of every committed record of ``topic``, read until 5 s of silence (the
    bridge has committed its last transaction when its run returns), so duplicates show."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=handle.bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
        group_id=None,
    )
    got = [(m.key.decode(), GreetResponse.FromString(m.value).greeting) for m in consumer]
    consumer.close()
    return got


def test_the_kafka_bridge_plays_the_flink_job_against_a_real_broker(e2e_stack: E2EHandle) -> None:
    names = ["Jerry", "Newman", "Jerry", "Jerry", "Newman", "Jerry"]  # fresh topics: fresh names
    names_topic, greetings_topic, group = fresh_topics(e2e_stack, names)

    rt = LocalRuntime.from_module(REPO / "module.yaml", greeter.functions)
    with KafkaBridge(
        rt,
        e2e_stack.bootstrap,
        topic_map={"names": names_topic, "greetings": greetings_topic},
        group_id=group,
    ) as bridge:
        assert bridge.transactional  # module.yaml's egress is exactly-once
        consumed = bridge.run(max_records=len(names), idle_timeout=60)
    assert consumed == len(names)
    assert bridge.produced == len(names)

    got = committed_greetings(e2e_stack, greetings_topic)
    assert per_key(got) == per_key(expected_greetings(names))
    assert rt.state("example/greeter", "Jerry") == {"seen_count": SeenCount(seen=4)}


def test_the_bridge_loses_nothing_when_a_function_fails(e2e_stack: E2EHandle) -> None:
    from statefun import StatefulFunctions
    from statefun.errors import RuntimeFailure

    names = ["Jerry", "Elaine", "Jerry", "Elaine", "Jerry"]
    names_topic, greetings_topic, group = fresh_topics(e2e_stack, names)

    broken = {"Elaine": True}
    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        if broken.get(request.name):
            raise RuntimeError(f"cannot greet {request.name} yet")
        greeter.greet(context, request)

    rt = LocalRuntime.from_module(REPO / "module.yaml", functions)
    bridge = KafkaBridge(
        rt,
        e2e_stack.bootstrap,
        topic_map={"names": names_topic, "greetings": greetings_topic},
        group_id=group,
    )
    try:
        with pytest.raises(RuntimeFailure, match="cannot greet Elaine yet"):
            bridge.run(max_records=len(names), idle_timeout=60)
        broken["Elaine"] = False  # the fix; the next cycle resends the failed batch first
        bridge.run(until=lambda: len(rt.egress("example/greets")) >= len(names), idle_timeout=10)
    finally:
        bridge.close()

    # exactly once: the aborted transaction's greetings are not visible, none is missing
    got = committed_greetings(e2e_stack, greetings_topic)
    assert per_key(got) == per_key(expected_greetings(names))
