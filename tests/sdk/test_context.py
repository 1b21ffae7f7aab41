"""Every context operation, through RequestReplyHandler, as the runtime would see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as TypingAny

import pytest
from google.protobuf.any_pb2 import Any
from sdk_test_pb2 import Counter, Hello, LoginEvent, SeenCount

from statefun import RequestReplyHandler, StatefulFunctions, kafka_egress_record
from statefun.errors import MissingCallerError, UnknownStateError
from statefun.request_reply_pb2 import FromFunction
from statefun.testing import Address, InvocationBuilder, decode_response


def _any(message: TypingAny) -> Any:
    any = Any()
    any.Pack(message)
    return any


def run(fn: TypingAny, *, states: dict[str, TypingAny] | None = None, invocations=None) -> bytes:  # type: ignore[no-untyped-def]
    fns = StatefulFunctions()
    fns.register("org.foo/greeter", fn)
    builder = InvocationBuilder().with_target("org.foo", "greeter", "0")
    for name, value in (states or {"seen": None}).items():
        builder.with_state(name, value)
    for argument, caller in invocations or [(LoginEvent(user_name="u"), ("org.foo", "other", "7"))]:
        builder.with_invocation(argument, caller)
    return RequestReplyHandler(fns)(builder.SerializeToString())


def test_state_unpack_pack_round_trip() -> None:
    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        seen = context.state("seen").unpack(SeenCount)
        seen.seen += 1
        context.state("seen").pack(seen)

    effects = decode_response(run(fn, states={"seen": SeenCount(seen=100)}))
    (mutation,) = effects.mutations
    assert mutation.name == "seen" and not mutation.deleted
    assert mutation.value == _any(SeenCount(seen=101))


def test_item_get_set_del() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        assert context["a"] == _any(Counter(value=1))
        assert context["b"] is None
        context["b"] = _any(Hello(world="x"))
        del context["a"]

    effects = decode_response(run(fn, states={"a": Counter(value=1), "b": None}))
    assert [(m.name, m.deleted) for m in effects.mutations] == [("a", True), ("b", False)]
    assert effects.mutations[1].value == _any(Hello(world="x"))


def test_delete_is_invisible_on_the_wire_but_present() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        del context["seen"]

    raw = run(fn)
    mutation = FromFunction.FromString(raw).invocation_result.state_mutations[0]
    assert mutation.mutation_type == FromFunction.PersistedValueMutation.DELETE
    assert mutation.state_name == "seen"


def test_pack_delete_pack_gives_one_modify_with_the_last_value() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.state("seen").pack(SeenCount(seen=1))
        del context["seen"]
        context.state("seen").pack(SeenCount(seen=2))

    (mutation,) = decode_response(run(fn)).mutations
    assert mutation.value == _any(SeenCount(seen=2))


def test_read_only_state_produces_no_mutation_and_no_effects_is_empty_bytes() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.state("seen").unpack(SeenCount)

    assert run(fn, states={"seen": SeenCount(seen=1)}) == b""


def test_undeclared_state_says_to_declare_it_in_module_yaml() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.state("missing")

    with pytest.raises(KeyError) as info:
        run(fn)
    assert isinstance(info.value, UnknownStateError)
    text = str(info.value)
    assert "unknown state name 'missing'" in text
    assert "Add 'missing' to the `states` of 'org.foo/greeter' in module.yaml" in text
    assert "declared states: 'seen'" in text


def test_send_and_pack_and_send() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.send("bar.baz/foo", "12345", _any(Hello(world="a")))
        context.pack_and_send("a/b/c", "id", Counter(value=2))

    effects = decode_response(run(fn))
    assert [m.target for m in effects.messages] == [
        Address("bar.baz", "foo", "12345"),
        Address("a/b", "c", "id"),
    ]
    assert effects.messages[0].argument == _any(Hello(world="a"))
    assert effects.messages[1].argument == _any(Counter(value=2))


def test_reply_goes_to_the_caller_of_each_invocation() -> None:
    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        context.pack_and_reply(Hello(world=message.user_name))
        context.reply(_any(Counter(value=1)))

    effects = decode_response(
        run(
            fn,
            invocations=[
                (LoginEvent(user_name="x"), ("org.foo", "java", "1")),
                (LoginEvent(user_name="y"), ("org.foo", "py", "2")),
            ],
        )
    )
    assert [m.target for m in effects.messages] == [
        Address("org.foo", "java", "1"),
        Address("org.foo", "java", "1"),
        Address("org.foo", "py", "2"),
        Address("org.foo", "py", "2"),
    ]


def test_caller_is_none_for_ingress_messages_and_reply_says_why() -> None:
    seen: list[TypingAny] = []

    def fn(context, message):  # type: ignore[no-untyped-def]
        seen.append(context.caller)
        context.pack_and_reply(Hello())

    with pytest.raises(ValueError, match="missing id") as info:
        run(fn, invocations=[(LoginEvent(), None)])
    assert isinstance(info.value, MissingCallerError)
    assert "came from an ingress and has no caller" in str(info.value)
    assert seen == [None]


def test_caller_and_address() -> None:
    seen: list[TypingAny] = []

    def fn(context, message):  # type: ignore[no-untyped-def]
        seen.append((repr(context.address), repr(context.caller), context.caller.identity))

    assert run(fn) == b""
    assert seen == [("org.foo/greeter/0", "org.foo/other/7", "7")]


def test_send_after_and_pack_and_send_after() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.send_after(timedelta(hours=1), "night/owl", "1", _any(Hello()))
        context.pack_and_send_after(timedelta(milliseconds=1.5), "night/owl", "2", Counter(value=1))

    effects = decode_response(run(fn))
    assert [(d.delay_ms, d.target.id) for d in effects.delayed] == [(3_600_000, "1"), (1, "2")]
    assert effects.delayed[1].argument == _any(Counter(value=1))


def test_delays_are_exact_whole_milliseconds() -> None:
    # upstream computed int(total_seconds() * 1000.0): 1001 ms became 1000 ms
    def fn(context, message):  # type: ignore[no-untyped-def]
        for ms in (1001, 4097, 10**9 + 1):
            context.send_after(timedelta(milliseconds=ms), "a/b", "1", _any(Hello()))

    assert [d.delay_ms for d in decode_response(run(fn)).delayed] == [1001, 4097, 10**9 + 1]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda c: c.send_after(timedelta(0), "a/b", "1", _any(Hello())),
            ValueError,
            "missing delay",
        ),
        (
            lambda c: c.send_after(timedelta(seconds=-1), "a/b", "1", _any(Hello())),
            ValueError,
            "must not be negative",
        ),
        (
            lambda c: c.pack_and_send_after("a/b", timedelta(seconds=1), "1", Hello()),
            TypeError,
            "The delay comes first",
        ),
        (lambda c: c.send("", "1", _any(Hello())), ValueError, "missing type name"),
        (lambda c: c.send("nons", "1", _any(Hello())), ValueError, "namespace/name"),
        (lambda c: c.send("a/b", "", _any(Hello())), ValueError, "missing id"),
        (lambda c: c.send("a/b", "1", None), ValueError, "missing message"),
        (lambda c: c.send("a/b", "1", Hello()), TypeError, r"use pack_and_send\(\)"),
        (lambda c: c.pack_and_send("a/b", "1", _any(Hello())), TypeError, r"use send\(\)"),
        (lambda c: c.send_egress("", _any(Hello())), ValueError, "missing type name"),
        (lambda c: c.send_egress("a/b", Hello()), TypeError, "pack_and_send_egress"),
        (lambda c: c.pack_and_send_egress("a/b", None), ValueError, "missing message"),
        (lambda c: c.pack_and_send("a/b", "1", "text"), TypeError, "expects a protobuf message"),
    ],
)
def test_bad_calls_fail_at_the_call_with_a_clear_message(call, error, match) -> None:  # type: ignore[no-untyped-def]
    def fn(context, message):  # type: ignore[no-untyped-def]
        call(context)

    with pytest.raises(error, match=match):
        run(fn)


def test_send_egress_and_pack_and_send_egress_in_call_order() -> None:
    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        context.send_egress("foo.bar.baz/my-egress", _any(Hello(world="1")))
        context.pack_and_send_egress(
            "sdk/kafka", kafka_egress_record(topic="hello", key="k", value=Hello(world="2"))
        )

    effects = decode_response(run(fn))
    assert [e.egress for e in effects.egresses] == ["foo.bar.baz/my-egress", "sdk/kafka"]
    assert effects.egresses[1].argument.type_url == (
        "type.googleapis.com/org.apache.flink.statefun.flink.io.KafkaProducerRecord"
    )


def test_effects_are_snapshots_taken_at_call_time() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        hello = Hello(world="before")
        context.pack_and_send("a/b", "1", hello)
        hello.world = "after"

    (message,) = decode_response(run(fn)).messages
    assert message.argument == _any(Hello(world="before"))


def test_state_carries_over_between_invocations_of_a_batch() -> None:
    counts: list[int] = []

    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        seen = context.state("seen").unpack(SeenCount) or SeenCount()
        seen.seen += 1
        counts.append(seen.seen)
        context.state("seen").pack(seen)

    effects = decode_response(run(fn, invocations=[(LoginEvent(), None)] * 3))
    assert counts == [1, 2, 3]
    (mutation,) = effects.mutations
    assert mutation.value == _any(SeenCount(seen=3))


def test_hinted_argument_arrives_unpacked_and_unhinted_as_the_raw_any() -> None:
    got: list[TypingAny] = []

    def hinted(context, message: LoginEvent | Hello):  # type: ignore[no-untyped-def]
        got.append(message)

    def raw(context, message):  # type: ignore[no-untyped-def]
        got.append(message)

    run(hinted, invocations=[(Hello(world="h"), None), (LoginEvent(user_name="l"), None)])
    run(raw, invocations=[(Hello(world="h"), None)])
    assert got == [Hello(world="h"), LoginEvent(user_name="l"), _any(Hello(world="h"))]


def test_argument_matching_no_hint_names_expected_and_actual() -> None:
    def fn(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(ValueError, match="Unknown message type") as info:
        run(fn, invocations=[(Hello(), None)])
    text = str(info.value)
    assert "expects statefun_lab.test.LoginEvent" in text
    assert "got a message of type statefun_lab.test.Hello" in text


def test_an_egress_id_that_is_not_namespace_name_says_it_is_an_egress_id() -> None:
    def fn(context, message):  # type: ignore[no-untyped-def]
        context.pack_and_send_egress("greetings", Hello())

    with pytest.raises(ValueError, match=r"egress id must be 'namespace/name'.*not a Kafka topic"):
        run(fn)
