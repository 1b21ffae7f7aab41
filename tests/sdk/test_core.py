"""statefun.core: the registry, type hints, state handles, addresses and egress helpers."""

from __future__ import annotations

import typing
from typing import Optional, Union

import pytest
from google.protobuf.any_pb2 import Any
from sdk_test_pb2 import Counter, Hello, LoginEvent, SeenCount

from statefun import StatefulFunctions, kafka_egress_record, kinesis_egress_record
from statefun.core import (
    AnyStateHandle,
    SdkAddress,
    StatefulFunction,
    deduce_protobuf_types,
    parse_typename,
)
from statefun.errors import (
    FunctionSignatureError,
    MessageTypeMismatchError,
    PayloadDecodeError,
    StateTypeMismatchError,
    UnknownFunctionError,
)

# -- parse_typename -----------------------------------------------------------------------------


def test_parse_typename_splits_at_the_last_slash() -> None:
    assert parse_typename("example/greeter") == ("example", "greeter")
    assert parse_typename("a/b/c") == ("a/b", "c")


@pytest.mark.parametrize(
    ("typename", "message"),
    [
        (None, "function type must be provided"),
        ("", "function type must be of the from namespace/name"),
        ("greeter", "function type must be of the from namespace/name"),
        ("/bar", "function type's namespace must not be empty"),
        ("/", "function type's namespace must not be empty"),
        ("n/", "function type's name must not be empty"),
    ],
)
def test_parse_typename_errors_keep_the_upstream_text(typename: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_typename(typename)


# -- type hints ---------------------------------------------------------------------------------


def test_deduce_like_upstream_for_real_annotations() -> None:
    def plain(context, message: int):  # type: ignore[no-untyped-def]
        pass

    def union(context, message: Union[int, str]):  # type: ignore[no-untyped-def]  # noqa: UP007
        pass

    def none(context, message):  # type: ignore[no-untyped-def]
        pass

    assert deduce_protobuf_types(plain) == [int]
    assert deduce_protobuf_types(union) == [int, str]
    assert deduce_protobuf_types(none) is None


def test_string_annotations_resolve_like_real_ones() -> None:
    def quoted(context, message: "LoginEvent"):  # type: ignore[no-untyped-def]  # noqa: UP037
        pass

    assert deduce_protobuf_types(quoted) == [LoginEvent]


def test_future_annotations_module_resolves(tmp_path: typing.Any, monkeypatch: typing.Any) -> None:
    (tmp_path / "future_fn.py").write_text(
        "from __future__ import annotations\n"
        "from sdk_test_pb2 import LoginEvent, Hello\n"
        "def f(context, message: LoginEvent | Hello):\n"
        "    return message\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import future_fn  # type: ignore[import-not-found]

    assert deduce_protobuf_types(future_fn.f) == [LoginEvent, Hello]


def test_unresolvable_string_annotation_says_what_to_import() -> None:
    def f(context, message: NoSuchMessage):  # type: ignore[name-defined,no-untyped-def]  # noqa: F821
        pass

    with pytest.raises(FunctionSignatureError, match="NoSuchMessage"):
        deduce_protobuf_types(f)


def test_optional_means_the_message_type() -> None:
    def f(context, message: Optional[LoginEvent]):  # type: ignore[no-untyped-def]  # noqa: UP045
        pass

    assert deduce_protobuf_types(f) == [LoginEvent]
    fns = StatefulFunctions()
    fns.register("a/b", f)
    fun = fns.for_type("a", "b")
    with pytest.raises(MessageTypeMismatchError, match=r"expects statefun_lab\.test\.LoginEvent"):
        fun.unpack_any(_any(Hello(world="x")))


def test_any_hint_means_the_raw_any() -> None:
    def f(context, message: Any):  # type: ignore[no-untyped-def]
        pass

    assert deduce_protobuf_types(f) is None


@pytest.mark.parametrize(
    "fn",
    [
        lambda: None,
        lambda a: None,
        lambda a, b, c: None,
    ],
)
def test_a_function_needs_exactly_context_and_message(fn: typing.Any) -> None:
    with pytest.raises(FunctionSignatureError, match="two arguments: a context and a message"):
        StatefulFunctions().register("a/b", fn)


def test_keyword_only_required_parameter_is_rejected() -> None:
    def f(context, message, *, extra):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(TypeError, match="two arguments"):
        StatefulFunctions().register("a/b", f)


def test_bound_methods_and_callable_objects_bind() -> None:
    class Greeter:
        def greet(self, context, message: LoginEvent):  # type: ignore[no-untyped-def]
            return "method"

        def __call__(self, context, message: Hello):  # type: ignore[no-untyped-def]
            return "object"

    fns = StatefulFunctions()
    g = Greeter()
    fns.register("a/method", g.greet)
    fns.register("a/object", g)
    assert fns.for_type("a", "method").known_messages == [LoginEvent]
    assert fns.for_type("a", "object").known_messages == [Hello]


def test_non_message_hint_is_rejected_at_bind_time() -> None:
    fns = StatefulFunctions()
    with pytest.raises(FunctionSignatureError, match="not a protobuf message class"):

        @fns.bind("a/b")
        def f(context, message: int):  # type: ignore[no-untyped-def]
            pass


# -- registry -----------------------------------------------------------------------------------


def test_bind_registers_by_namespace_and_type_and_returns_the_function() -> None:
    fns = StatefulFunctions()

    def f(context, message: LoginEvent):  # type: ignore[no-untyped-def]
        pass

    assert fns.bind("org.foo/greeter")(f) is f
    assert list(fns.functions) == [("org.foo", "greeter")]
    fun = fns.functions[("org.foo", "greeter")]
    assert isinstance(fun, StatefulFunction)
    assert fun.func is f
    assert fun.known_messages == [LoginEvent]


def test_register_none_is_an_error() -> None:
    with pytest.raises(ValueError, match="function instance must be provided"):
        StatefulFunctions().register("a/b", None)  # type: ignore[arg-type]


def test_rebinding_replaces_the_function() -> None:
    fns = StatefulFunctions()
    fns.register("a/b", lambda c, m: 1)
    second = lambda c, m: 2  # noqa: E731
    fns.register("a/b", second)
    assert fns.for_type("a", "b").func is second


def test_unknown_type_names_the_type_and_the_bound_types_and_is_a_key_error() -> None:
    fns = StatefulFunctions()
    fns.register("example/greeter", lambda c, m: None)
    with pytest.raises(KeyError) as info:
        fns.for_type("example", "gretter")
    assert isinstance(info.value, UnknownFunctionError)
    text = str(info.value)
    assert "'example/gretter'" in text
    assert "bound types: example/greeter" in text
    assert info.value.key == ("example", "gretter")


def test_unpack_any_by_name_after_the_last_slash() -> None:
    fun = StatefulFunction(lambda c, m: None, [LoginEvent, Hello], "a/b")
    any = Any(
        type_url="com.googleapis/statefun_lab.test.Hello",
        value=Hello(world="w").SerializeToString(),
    )
    assert fun.unpack_any(any) == Hello(world="w")
    no_slash = Any(type_url="statefun_lab.test.Hello", value=b"")
    with pytest.raises(MessageTypeMismatchError):
        fun.unpack_any(no_slash)
    assert StatefulFunction(lambda c, m: None).unpack_any(any) is None


def test_function_code_missing() -> None:
    with pytest.raises(ValueError, match="function code is missing"):
        StatefulFunction(None)  # type: ignore[arg-type]


# -- AnyStateHandle -----------------------------------------------------------------------------


def _any(message: typing.Any) -> Any:
    any = Any()
    any.Pack(message)
    return any


def test_state_handle_reads_lazily_and_unpacks() -> None:
    handle = AnyStateHandle(_any(SeenCount(seen=3)).SerializeToString(), "seen_count")
    assert handle.unpack(SeenCount) == SeenCount(seen=3)
    assert not handle.modified
    assert AnyStateHandle(None).value is None
    assert AnyStateHandle(b"").unpack(SeenCount) is None


def test_unpack_with_the_wrong_type_is_an_error_not_an_empty_message() -> None:
    handle = AnyStateHandle(_any(SeenCount(seen=3)).SerializeToString(), "seen_count")
    with pytest.raises(StateTypeMismatchError) as info:
        handle.unpack(Counter)
    text = str(info.value)
    assert "'seen_count' holds a 'statefun_lab.test.SeenCount'" in text
    assert "unpacked as 'statefun_lab.test.Counter'" in text


def test_type_check_of_unpack_holds_after_a_successful_unpack() -> None:
    # unpack remembers the last (type URL, class) pair it checked; other pairs are checked again
    value = _any(SeenCount(seen=3)).SerializeToString()
    assert AnyStateHandle(value, "a").unpack(SeenCount) == SeenCount(seen=3)
    with pytest.raises(StateTypeMismatchError):
        AnyStateHandle(value, "b").unpack(Counter)
    other_prefix = Any(type_url="com.googleapis/statefun_lab.test.SeenCount", value=b"\x08\x07")
    handle = AnyStateHandle(other_prefix.SerializeToString(), "c")
    assert handle.unpack(SeenCount) == SeenCount(seen=7)
    with pytest.raises(StateTypeMismatchError):
        handle.unpack(Counter)
    no_slash = Any(type_url="statefun_lab.test.SeenCount", value=b"\x08\x07")
    with pytest.raises(StateTypeMismatchError):  # Any.Is needs the '/'
        AnyStateHandle(no_slash.SerializeToString(), "d").unpack(SeenCount)


def test_unpack_takes_a_class_and_says_so() -> None:
    handle = AnyStateHandle(_any(SeenCount(seen=3)).SerializeToString(), "seen_count")
    with pytest.raises(TypeError, match=r"not a SeenCount instance: write \.unpack\(SeenCount\)"):
        handle.unpack(SeenCount())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a protobuf message class"):
        handle.unpack("SeenCount")  # type: ignore[arg-type]
    assert handle.unpack(SeenCount) == SeenCount(seen=3)
    with pytest.raises(TypeError, match="not a SeenCount instance"):  # also after a success
        handle.unpack(SeenCount(seen=3))  # type: ignore[arg-type]


def test_any_assignment_is_a_mutation_and_del_a_delete() -> None:
    handle = AnyStateHandle(_any(SeenCount(seen=3)).SerializeToString(), "s")
    handle.value = handle.value  # same value: still a MODIFY, as upstream
    assert handle.modified and not handle.deleted
    del handle.value
    assert handle.deleted and handle.value is None
    with pytest.raises(AssertionError):
        handle.bytes()
    handle.pack(SeenCount(seen=9))
    assert not handle.deleted
    assert Any.FromString(handle.bytes() or b"") == _any(SeenCount(seen=9))


def test_setting_none_or_a_non_any_says_how_to_fix_it() -> None:
    handle = AnyStateHandle(None, "seen_count")
    with pytest.raises(TypeError, match=r"del context\['seen_count'\]"):
        handle.value = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"\.pack\(message\)"):
        handle.value = SeenCount(seen=1)  # type: ignore[assignment]
    with pytest.raises(TypeError, match="states hold protobuf messages"):
        handle.value = 5  # type: ignore[assignment]
    assert not handle.modified


def test_corrupt_state_bytes_name_the_state() -> None:
    handle = AnyStateHandle(b"\xff\xff\xff", "seen_count")
    with pytest.raises(PayloadDecodeError, match="'seen_count' does not hold a serialized") as info:
        _ = handle.value
    assert isinstance(info.value, ValueError)  # what this SDK raised before


def test_an_argument_that_does_not_decode_is_a_payload_decode_error() -> None:
    fn = StatefulFunction(lambda c, m: None, [Hello], "a/f")
    argument = Any(type_url="type.googleapis.com/statefun_lab.test.Hello", value=b"\x0a\x05ab")
    with pytest.raises(PayloadDecodeError, match=r"^the argument does not decode as statefun_"):
        fn.unpack_any(argument)


# -- SdkAddress ---------------------------------------------------------------------------------


def test_sdk_address() -> None:
    a = SdkAddress("example", "greeter", "Jerry")
    assert a.identity == "Jerry"
    assert a.typename() == "example/greeter"
    assert repr(a) == "example/greeter/Jerry"
    assert a == SdkAddress("example", "greeter", "Jerry")
    assert len({a, SdkAddress("example", "greeter", "Jerry")}) == 1


# -- egress helpers -----------------------------------------------------------------------------


def test_kafka_egress_record() -> None:
    record = kafka_egress_record(topic="greetings", key="Jerry", value=Hello(world="w"))
    assert (record.topic, record.key) == ("greetings", "Jerry")
    assert Hello.FromString(record.value_bytes) == Hello(world="w")
    assert kafka_egress_record(topic="t", value=Hello()).key == ""
    with pytest.raises(ValueError, match="A destination Kafka topic is missing"):
        kafka_egress_record(topic="", value=Hello())
    with pytest.raises(ValueError, match="Missing value"):
        kafka_egress_record(topic="t", value=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a protobuf message"):
        kafka_egress_record(topic="t", value="text")  # type: ignore[arg-type]


def test_kinesis_egress_record() -> None:
    record = kinesis_egress_record(
        stream="s", value=Hello(world="w"), partition_key="p", explicit_hash_key="1234"
    )
    assert (record.stream, record.partition_key, record.explicit_hash_key) == ("s", "p", "1234")
    assert (
        kinesis_egress_record(stream="s", value=Hello(), partition_key="p").explicit_hash_key == ""
    )
    with pytest.raises(ValueError, match="Missing destination Kinesis stream"):
        kinesis_egress_record(stream="", value=Hello(), partition_key="p")
    with pytest.raises(ValueError, match="Missing value"):
        kinesis_egress_record(stream="s", value=None, partition_key="p")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Missing partition key"):
        kinesis_egress_record(stream="s", value=Hello(), partition_key="")
