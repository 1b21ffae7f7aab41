"""The rules of the Flink StateFun 2.x runtime (spec §3), one test each, on the local runtime."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as TypingAny

import pytest
from google.protobuf.any_pb2 import Any
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from module_builder import build_module, function

from statefun import StatefulFunctions, kafka_egress_record, kinesis_egress_record
from statefun.errors import RuntimeFailure
from statefun.local import LocalRuntime
from statefun.local.trace import (
    Backpressured,
    DelayFired,
    Failed,
    RequestSent,
    Resumed,
)
from statefun.local.transport import Attempt, InProcessTransport, MockTransport, TransportError
from statefun.request_reply_pb2 import FromFunction, ToFunction


def batches(rt: LocalRuntime, address: str | None = None) -> list[tuple[str, int]]:
    return [
        (e.address.rsplit("/", 1)[-1], e.batch)
        for e in rt.trace.of(RequestSent)
        if address is None or e.address == address
    ]


def counting_greeter() -> tuple[StatefulFunctions, list[TypingAny]]:
    """A greeter that records what each invocation saw: (id, caller, seen before)."""
    fns = StatefulFunctions()
    log: list[TypingAny] = []

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest):  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
        log.append((context.address.identity, context.caller, seen.seen))
        seen.seen += 1
        context.state("seen_count").pack(seen)
        context.pack_and_send_egress(
            "example/greets",
            kafka_egress_record(
                topic="greetings",
                key=request.name,
                value=GreetResponse(name=request.name, greeting=f"{request.name} #{seen.seen}"),
            ),
        )

    return fns, log


def runtime(fns: StatefulFunctions, *specs: TypingAny, **kw: TypingAny) -> LocalRuntime:
    module = build_module(*(specs or (function("example/greeter", ["seen_count"]),)))
    return LocalRuntime.from_module(module, fns, **kw)


# -- batching -----------------------------------------------------------------------------------


def test_first_message_alone_then_what_arrived_meanwhile_in_one_batch() -> None:
    fns, log = counting_greeter()
    rt = runtime(fns)
    rt.ingest_many("names", [(n, GreetRequest(name=n)) for n in ["A", "A", "B", "A", "A"]])
    assert batches(rt) == [("A", 1), ("B", 1), ("A", 3)]
    # the second batch carried the state written by the first (fresh values), and the batch
    # shares the context: each invocation sees the previous one's write
    assert [entry for entry in log if entry[0] == "A"] == [
        ("A", None, 0),
        ("A", None, 1),
        ("A", None, 2),
        ("A", None, 3),
    ]
    greetings = [r.value.greeting for r in rt.egress("example/greets", GreetResponse)]
    assert greetings == ["A #1", "B #1", "A #2", "A #3", "A #4"]


def test_one_by_one_ingestion_never_batches() -> None:
    fns, _ = counting_greeter()
    rt = runtime(fns)
    for n in ["A", "A", "A"]:
        rt.ingest("names", key=n, value=GreetRequest(name=n))
    assert batches(rt) == [("A", 1), ("A", 1), ("A", 1)]


def test_a_message_to_itself_arrives_in_a_later_batch() -> None:
    fns = StatefulFunctions()
    sizes: list[tuple[str, int]] = []

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        sizes.append((message.name, context.caller is not None))
        if message.name == "first":
            context.pack_and_send(
                "example/greeter", context.address.identity, GreetRequest(name="to-self")
            )

    rt = runtime(fns)
    rt.ingest_many("names", [("A", GreetRequest(name="first")), ("A", GreetRequest(name="x"))])
    assert sizes == [("first", False), ("x", False), ("to-self", True)]
    assert batches(rt) == [("A", 1), ("A", 1), ("A", 1)]


def test_every_declared_state_is_sent_on_every_request_with_its_value_or_empty() -> None:
    fns = StatefulFunctions()
    seen: list[TypingAny] = []

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        seen.append({name: context[name] is not None for name in ("seen_count", "other")})
        context.state("other").pack(SeenCount(seen=1))

    rt = runtime(fns, function("example/greeter", ["seen_count", "other"]))
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert seen == [
        {"seen_count": False, "other": False},
        {"seen_count": False, "other": True},
    ]
    assert [e.states for e in rt.trace.of(RequestSent)] == [
        (("seen_count", False), ("other", False)),
        (("seen_count", False), ("other", True)),
    ]


def test_max_num_batch_requests_pauses_input_until_the_request_completes() -> None:
    fns, _ = counting_greeter()
    rt = runtime(fns, function("example/greeter", ["seen_count"], maxNumBatchRequests=2))
    rt.ingest_many("names", [("A", GreetRequest(name="A"))] * 5 + [("B", GreetRequest(name="B"))])
    # A1 alone; A2, A3 fill the backlog to the limit: input (A4, A5, B1) waits for A's
    # completion; then A4, A5 fill it again and wait for the next one; only then B1.
    assert batches(rt) == [("A", 1), ("A", 2), ("A", 2), ("B", 1)]
    assert [e.backlog for e in rt.trace.of(Backpressured)] == [2, 2]
    greetings = [r.value.greeting for r in rt.egress("example/greets", GreetResponse)]
    assert greetings == ["A #1", "A #2", "A #3", "A #4", "A #5", "B #1"]


def test_max_num_batch_requests_zero_disables_backpressure() -> None:
    fns, _ = counting_greeter()
    rt = runtime(fns, function("example/greeter", ["seen_count"], maxNumBatchRequests=0))
    rt.ingest_many("names", [("A", GreetRequest(name="A"))] * 6)
    assert batches(rt) == [("A", 1), ("A", 5)]
    assert not rt.trace.of(Backpressured)


def test_fan_out_to_every_target_in_order_with_no_caller() -> None:
    fns = StatefulFunctions()
    calls: list[TypingAny] = []

    @fns.bind("example/greeter")
    def a(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        calls.append(("greeter", context.caller))

    @fns.bind("example/audit")
    def b(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        calls.append(("audit", context.caller))

    module = build_module(
        function("example/greeter"),
        function("example/audit"),
        targets=("example/greeter", "example/audit"),
    )
    rt = LocalRuntime.from_module(module, fns)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert calls == [("greeter", None), ("audit", None)]


# -- effects ------------------------------------------------------------------------------------


def test_effects_apply_in_the_runtime_order() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        if message.name == "go":
            context.state("seen_count").pack(SeenCount(seen=7))
            context.pack_and_send_egress(
                "example/greets", kafka_egress_record(topic="t", key="k", value=GreetResponse())
            )
            context.pack_and_send_after(
                timedelta(seconds=1), "example/greeter", "B", GreetRequest(name="later")
            )
            context.pack_and_send("example/greeter", "B", GreetRequest(name="now"))

    rt = runtime(fns)
    rt.ingest("names", key="A", value=GreetRequest(name="go"))
    kinds = [e.kind for e in rt.trace][2:7]
    assert kinds == ["Responded", "MessageSent", "DelayScheduled", "Egressed", "StateChanged"]


def test_delayed_messages_fire_on_the_virtual_clock_in_time_order_with_the_sender_as_caller() -> (
    None
):
    fns = StatefulFunctions()
    got: list[TypingAny] = []

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        got.append((message.name, repr(context.caller), rt.now - start))
        if message.name == "plan":
            for seconds, name in [(30, "thirty"), (10, "ten"), (20, "twenty"), (10, "ten-b")]:
                context.pack_and_send_after(
                    timedelta(seconds=seconds), "example/greeter", "B", GreetRequest(name=name)
                )

    rt = runtime(fns)
    start = rt.now
    rt.ingest("names", key="A", value=GreetRequest(name="plan"))
    rt.advance(timedelta(seconds=15))
    assert [g[0] for g in got] == ["plan", "ten", "ten-b"]
    assert rt.now - start == timedelta(seconds=15)
    rt.advance(timedelta(seconds=60))
    assert got[1:] == [
        ("ten", "example/greeter/A", timedelta(seconds=10)),
        ("ten-b", "example/greeter/A", timedelta(seconds=10)),
        ("twenty", "example/greeter/A", timedelta(seconds=20)),
        ("thirty", "example/greeter/A", timedelta(seconds=30)),
    ]
    assert len(rt.trace.of(DelayFired)) == 4


def test_advance_needs_a_timedelta_and_never_goes_back() -> None:
    rt = runtime(counting_greeter()[0])
    with pytest.raises(TypeError, match="timedelta"):
        rt.advance(61)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backwards"):
        rt.advance(timedelta(seconds=-1))


# -- state TTL (module.yaml version "2.0") ---------------------------------------------------------


def ttl_runtime(mode: str) -> tuple[LocalRuntime, list[TypingAny]]:
    fns = StatefulFunctions()
    seen: list[TypingAny] = []

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        count = context.state("seen_count").unpack(SeenCount)
        seen.append(None if count is None else count.seen)
        if message.name == "write":
            context.state("seen_count").pack(SeenCount(seen=(count.seen if count else 0) + 1))

    states = [{"name": "seen_count", "expireAfter": "60s", "expireMode": mode}]
    rt = LocalRuntime.from_module(
        build_module(function("example/greeter", states), version="2.0"), fns
    )
    return rt, seen


def test_ttl_after_invoke_every_request_refreshes_it() -> None:
    rt, seen = ttl_runtime("after-invoke")
    rt.ingest("names", key="A", value=GreetRequest(name="write"))
    rt.advance(timedelta(seconds=50))
    rt.ingest("names", key="A", value=GreetRequest(name="read"))  # refreshes: expires at 110s
    rt.advance(timedelta(seconds=50))
    assert rt.state("example/greeter", "A") == {"seen_count": SeenCount(seen=1)}
    rt.advance(timedelta(seconds=10))
    assert rt.state("example/greeter", "A") == {}
    rt.ingest("names", key="A", value=GreetRequest(name="write"))
    assert seen == [None, 1, None]
    (expired,) = [e for e in rt.trace if e.kind == "StateExpired"]
    assert (expired.address, expired.name) == ("example/greeter/A", "seen_count")
    assert expired.time - rt.trace[0].time == timedelta(seconds=110)


def test_ttl_after_write_only_writes_refresh_it() -> None:
    rt, seen = ttl_runtime("after-write")
    rt.ingest("names", key="A", value=GreetRequest(name="write"))
    rt.advance(timedelta(seconds=50))
    rt.ingest("names", key="A", value=GreetRequest(name="read"))  # no refresh
    rt.advance(timedelta(seconds=10))
    rt.ingest("names", key="A", value=GreetRequest(name="read"))
    assert seen == [None, 1, None]


def test_the_go_further_module_forgets_a_user_after_60_seconds() -> None:
    from pathlib import Path

    import greeter

    module = Path(__file__).resolve().parents[2] / "module-2.0.yaml"
    rt = LocalRuntime.from_module(
        module, greeter.functions, egress_types={"example/greets": GreetResponse}
    )
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.advance(timedelta(seconds=30))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.advance(timedelta(seconds=61))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert [r.value.greeting for r in rt.egress("example/greets")] == [
        "Welcome Jerry",
        "Nice to see you again Jerry",
        "Welcome Jerry",
    ]


# -- failures -------------------------------------------------------------------------------------


def test_a_raising_function_applies_nothing_and_resume_resends_the_same_batch() -> None:
    fns = StatefulFunctions()
    broken = {"yes": True}
    requests: list[bytes] = []

    @fns.bind("example/greeter")
    def fn(context, message: GreetRequest):  # type: ignore[no-untyped-def]
        count = context.state("seen_count").unpack(SeenCount) or SeenCount()
        if message.name == "boom" and broken["yes"]:
            raise ValueError("cannot greet boom")
        count.seen += 1
        context.state("seen_count").pack(count)

    rt = runtime(fns)
    original = InProcessTransport(fns)  # what runtime(fns) binds

    class Recording:
        def describe(self) -> str:
            return original.describe()

        def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
            requests.append(request)
            return original.send(typename, request, timeout)

    rt.bind("example/greeter", Recording())
    rt.ingest("names", key="A", value=GreetRequest(name="ok"))
    with pytest.raises(RuntimeFailure, match="cannot greet boom") as info:
        rt.ingest_many(
            "names",
            [
                ("A", GreetRequest(name="ok")),
                ("A", GreetRequest(name="boom")),
                ("A", GreetRequest(name="ok")),
            ],
        )
    assert isinstance(info.value.__cause__, ValueError)
    assert "Nothing of this batch" in str(info.value)
    assert rt.state("example/greeter", "A") == {"seen_count": SeenCount(seen=2)}
    assert rt.failure is info.value
    assert rt.trace.of(Failed)[0].batch == 2
    failed_request = requests[-1]
    assert len(ToFunction.FromString(failed_request).invocation.invocations) == 2
    # more input while failed: it waits behind the failed batch, nothing is lost
    with pytest.raises(RuntimeFailure):
        rt.ingest("names", key="A", value=GreetRequest(name="ok"))
    broken["yes"] = False  # "re-bind" the fixed function
    rt.resume()
    assert requests[-3] == failed_request  # the very same bytes, resent
    assert rt.trace.of(Resumed)[-1].batch == 2
    assert rt.state("example/greeter", "A") == {"seen_count": SeenCount(seen=5)}
    assert rt.failure is None


def ok(response: FromFunction) -> Attempt:
    return Attempt(200, "application/octet-stream", response.SerializeToString())


def scripted_runtime(
    *answers: Attempt | Exception, **spec: TypingAny
) -> tuple[LocalRuntime, MockTransport]:
    rt = LocalRuntime.from_module(
        build_module(
            function("example/greeter", ["seen_count"], **spec), function("example/other")
        ),
        StatefulFunctions(),
    )
    transport = MockTransport(*answers)
    rt.bind("example/greeter", transport)
    return rt, transport


def response(**kinds: TypingAny) -> FromFunction:
    out = FromFunction()
    result = out.invocation_result
    for name, value in kinds.get("mutations", []):
        m = result.state_mutations.add(state_name=name)
        if value is not None:
            m.mutation_type = FromFunction.PersistedValueMutation.MODIFY
            m.state_value = value
    for egress_id, any in kinds.get("egress", []):
        ns, _, t = egress_id.rpartition("/")
        result.outgoing_egresses.add(egress_namespace=ns, egress_type=t, argument=any)
    for target, delay in kinds.get("delayed", []):
        ns, t, i = target.split("/")
        d = result.delayed_invocations.add(delay_in_ms=delay)
        d.target.namespace, d.target.type, d.target.id = ns, t, i
        d.argument.Pack(GreetRequest())
    for target in kinds.get("messages", []):
        ns, t, i = target.split("/")
        m2 = result.outgoing_messages.add()
        m2.target.namespace, m2.target.type, m2.target.id = ns, t, i
        m2.argument.Pack(GreetRequest())
    return out


def _packed(message: TypingAny) -> Any:
    any = Any()
    any.Pack(message)
    return any


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (
            response(mutations=[("undeclared", b"x")]),
            "Accessing a non-existing remote function state: undeclared",
        ),
        (
            response(egress=[("example/nope", _packed(kafka_egress_record("t", GreetResponse())))]),
            r"Unknown egress example/nope \(module.yaml declares "
            r"\['example/greets', 'example/kinesis'\]\)",
        ),
        (
            response(egress=[("example/greets", _packed(GreetResponse()))]),
            "expects only messages of type org.apache.flink.statefun.flink.io.KafkaProducerRecord",
        ),
        (
            response(
                egress=[("example/kinesis", _packed(kafka_egress_record("t", GreetResponse())))]
            ),
            "kinesis_egress_record",
        ),
        (response(delayed=[("example/greeter/B", -5)]), "negative delay"),
        (response(messages=["example/nobody/1"]), "Unknown provider for type example/nobody"),
    ],
)
def test_responses_the_real_runtime_would_fail_on_apply_nothing(
    bad: FromFunction, match: str
) -> None:
    # the valid effects in the same response must not be applied either
    good = response(
        mutations=[("seen_count", _packed(SeenCount(seen=9)).SerializeToString())],
        egress=[("example/greets", _packed(kafka_egress_record("t", GreetResponse())))],
    )
    combined = FromFunction()
    combined.MergeFrom(good)
    combined.MergeFrom(bad)
    rt, _ = scripted_runtime(ok(combined))
    with pytest.raises(RuntimeFailure, match=match):
        rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert rt.state("example/greeter", "A") == {}
    assert rt.egress("example/greets") == []


def test_kinesis_egress_records_are_captured() -> None:
    record = kinesis_egress_record(
        stream="s", value=GreetResponse(name="x"), partition_key="p", explicit_hash_key="7"
    )
    rt, _ = scripted_runtime(ok(response(egress=[("example/kinesis", _packed(record))])))
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    (captured,) = rt.egress("example/kinesis", GreetResponse)
    assert (captured.topic, captured.key, captured.explicit_hash_key) == ("s", "p", "7")
    assert captured.value == GreetResponse(name="x")


def test_wrong_content_type_fails_without_retry() -> None:
    rt, transport = scripted_runtime(Attempt(200, "application/octet-stream; charset=utf-8", b""))
    with pytest.raises(RuntimeFailure, match="Wrong HTTP content-type"):
        rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert len(transport.requests) == 1


def test_empty_body_is_an_empty_response() -> None:
    rt, _ = scripted_runtime(Attempt(200, "application/octet-stream", b""))
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert rt.failure is None and rt.state("example/greeter", "A") == {}


def test_unparsable_body_fails() -> None:
    rt, _ = scripted_runtime(Attempt(200, "application/octet-stream", b"\xff\xff"))
    with pytest.raises(RuntimeFailure, match="Unable to parse a Protobuf message"):
        rt.ingest("names", key="A", value=GreetRequest(name="A"))


@pytest.mark.parametrize("status", [400, 404, 413])
def test_non_retryable_status_fails_at_once(status: int) -> None:
    rt, transport = scripted_runtime(Attempt(status, "text/plain", b"why it failed"))
    with pytest.raises(
        RuntimeFailure, match=f"Non successful HTTP response code {status} \\(why it failed\\)"
    ):
        rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert len(transport.requests) == 1


@pytest.mark.parametrize("status", [500, 503, 429, 408])
def test_retryable_status_is_retried_with_backoff_until_the_timeout(status: int) -> None:
    # backoff 10 ms, doubling: after 7 attempts 10+20+...+640 = 1270 ms would exceed 1 s
    rt, transport = scripted_runtime(
        Attempt(status, "text/plain", b"busy"),
        timeout="1s",
        connectTimeout="1s",
        readTimeout="1s",
        writeTimeout="1s",
    )
    with pytest.raises(RuntimeFailure, match="Maximal request time has elapsed"):
        rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert len(transport.requests) == 7


def test_a_retry_that_succeeds_applies_the_response() -> None:
    good = ok(response(mutations=[("seen_count", _packed(SeenCount(seen=1)).SerializeToString())]))
    rt, transport = scripted_runtime(
        TransportError("connection refused"), Attempt(500, None, b""), good
    )
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    assert len(transport.requests) == 3
    assert rt.state("example/greeter", "A") == {"seen_count": SeenCount(seen=1)}


# -- step by step ---------------------------------------------------------------------------------


def test_step_by_step_mode() -> None:
    fns, _ = counting_greeter()
    rt = runtime(fns, auto_run=False)
    rt.ingest_many("names", [("A", GreetRequest(name="A"))] * 3)
    assert rt.pending == ("message ingress -> example/greeter/A: GreetRequest(name='A')",) * 3
    assert rt.step()
    assert batches(rt) == [("A", 1)]
    assert rt.pending[-1] == "response of example/greeter/A (batch of 1)"
    assert rt.run() == 4  # deliver, deliver, complete (sends the batch of 2), complete
    assert batches(rt) == [("A", 1), ("A", 2)]
    assert not rt.step()


def test_a_routable_kinesis_ingress_routes_by_partition_key() -> None:
    import yaml

    from statefun.local import parse_module

    document = {
        "version": "1.0",
        "module": {
            "meta": {"type": "remote"},
            "spec": {
                "functions": [function("example/greeter", ["seen_count"])],
                "ingresses": [
                    {
                        "ingress": {
                            "meta": {
                                "type": "statefun.kinesis.io/routable-protobuf-ingress",
                                "id": "example/kinesis-names",
                            },
                            "spec": {
                                "awsRegion": {"type": "specific", "id": "us-west-2"},
                                "streams": [
                                    {
                                        "stream": "names-stream",
                                        "typeUrl": "com.googleapis/example.GreetRequest",
                                        "targets": ["example/greeter"],
                                    }
                                ],
                            },
                        }
                    }
                ],
            },
        },
    }
    fns = StatefulFunctions()
    log: list[TypingAny] = []

    @fns.bind("example/greeter")
    def count(context, request: GreetRequest):  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
        log.append((context.address.identity, context.caller, seen.seen))
        seen.seen += 1
        context.state("seen_count").pack(seen)

    module = parse_module(yaml.safe_dump(document), path="kinesis.yaml")
    rt = LocalRuntime.from_module(module, fns)
    rt.ingest("names-stream", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("example/kinesis-names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert log == [("Jerry", None, 0), ("Jerry", None, 1)]


def test_a_corrupt_egress_record_is_a_clear_error_when_read() -> None:
    # Flink's Kafka sink decodes the record after the response is applied; so does the runtime
    bad = Any(
        type_url="type.googleapis.com/org.apache.flink.statefun.flink.io.KafkaProducerRecord",
        value=b"\xff\xff\xff",
    )
    rt, _ = scripted_runtime(ok(response(egress=[("example/greets", bad)])))
    rt.record_trace = False
    rt.ingest("names", key="A", value=GreetRequest(name="A"))
    with pytest.raises(ValueError, match="not a valid KafkaProducerRecord"):
        rt.egress("example/greets")
    # with the trace on, the record is decoded before the response applies: nothing applies
    traced, _ = scripted_runtime(ok(response(egress=[("example/greets", bad)])))
    with pytest.raises(RuntimeFailure, match="not a valid KafkaProducerRecord"):
        traced.ingest("names", key="A", value=GreetRequest(name="A"))
    assert traced.egress_total == 0
