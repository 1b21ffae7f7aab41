"""A function that keeps sending to itself stops the runtime with a clear failure, not a hang."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest, SeenCount
from module_builder import build_module, function

from statefun import StatefulFunctions
from statefun.errors import RuntimeFailure
from statefun.local import LocalRuntime
from statefun.local.runtime import DEFAULT_MAX_HOPS, DEFAULT_MAX_MESSAGES
from statefun.local.trace import Failed, MessageSent
from statefun.local.transport import Attempt
from statefun.request_reply_pb2 import FromFunction, ToFunction


def module() -> object:
    return build_module(
        function("example/greeter", ["seen_count"]),
        function("example/ping", ["seen_count"]),
        function("example/pong", ["seen_count"]),
    )


def counted(context) -> None:  # type: ignore[no-untyped-def]
    """Count this address's invocations in its seen_count state."""
    seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
    seen.seen += 1
    context.state("seen_count").pack(seen)


def self_loop() -> StatefulFunctions:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        context.pack_and_send("example/greeter", context.address.identity, request)

    return fns


def test_a_function_sending_to_itself_fails_at_the_default_budget_instead_of_hanging() -> None:
    rt = LocalRuntime.from_module(module(), self_loop(), record_trace=False)
    with pytest.raises(RuntimeFailure) as raised:
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    text = str(raised.value)
    assert "a loop?" in text
    assert f"max_hops={DEFAULT_MAX_HOPS:,}" in text
    assert "the cycle: example/greeter/Jerry -> example/greeter/Jerry" in text
    assert "rt.max_hops = N" in text and "--max-hops N" in text
    assert raised.value.address == "example/greeter/Jerry"
    # the failing batch was not applied: one invocation per hop, the last one not counted
    assert rt.state("example/greeter", "Jerry")["seen_count"] == SeenCount(seen=DEFAULT_MAX_HOPS)
    assert rt.failure is raised.value


def test_a_cycle_through_two_functions_is_named_in_order() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def start(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        context.pack_and_send("example/ping", "p", request)

    @fns.bind("example/ping")
    def ping(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        context.pack_and_send("example/pong", "q", request)

    @fns.bind("example/pong")
    def pong(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        context.pack_and_send("example/ping", "p", request)

    rt = LocalRuntime.from_module(module(), fns, max_hops=51)
    with pytest.raises(RuntimeFailure) as raised:
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    reason = raised.value.reason
    # greeter -> ping is hop 1; ping and pong alternate up to hop 51, sent by ping
    assert reason.startswith("a loop? example/ping/p sent a message to example/pong/q ")
    assert "the cycle: example/ping/p -> example/pong/q -> example/ping/p." in reason
    assert rt.trace.of(Failed)[-1].reason == reason
    assert len(rt.trace.of(MessageSent)) == 51


def countdown() -> StatefulFunctions:
    """Each message carries how many more to send to oneself (in the name's length)."""
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        if len(request.name) > 1:
            context.pack_and_send(
                "example/greeter", context.address.identity, GreetRequest(name=request.name[1:])
            )

    return fns


def test_raising_the_budget_and_resuming_goes_on_with_nothing_lost_or_repeated() -> None:
    rt = LocalRuntime.from_module(module(), countdown(), max_hops=100, record_trace=False)
    with pytest.raises(RuntimeFailure, match="max_hops=100"):
        rt.ingest("names", key="k", value=GreetRequest(name="x" * 150))
    assert rt.state("example/greeter", "k")["seen_count"] == SeenCount(seen=100)
    rt.max_hops = 1_000
    rt.resume()
    assert rt.failure is None
    assert rt.state("example/greeter", "k")["seen_count"] == SeenCount(seen=150)


def test_a_chain_within_the_budget_completes() -> None:
    rt = LocalRuntime.from_module(module(), countdown(), max_hops=149)
    rt.ingest("names", key="k", value=GreetRequest(name="x" * 150))  # 149 hops after the input
    assert rt.state("example/greeter", "k")["seen_count"] == SeenCount(seen=150)


def test_many_inputs_through_one_forwarder_are_not_a_loop() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def forward(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        context.pack_and_send("example/ping", "all", request)

    @fns.bind("example/ping")
    def count(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
        seen.seen += len(context.address.identity) and 1
        context.state("seen_count").pack(seen)

    rt = LocalRuntime.from_module(module(), fns, max_hops=1, record_trace=False)
    rt.ingest_many("names", ((f"n{i}", GreetRequest(name=f"n{i}")) for i in range(2_000)))
    assert rt.state("example/ping", "all")["seen_count"] == SeenCount(seen=2_000)


def test_a_timer_that_re_arms_itself_is_not_a_loop() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def tick(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        delay = timedelta(seconds=1)
        context.pack_and_send_after(delay, "example/greeter", context.address.identity, request)

    rt = LocalRuntime.from_module(module(), fns, max_hops=3)
    rt.ingest("names", key="t", value=GreetRequest(name="t"))
    rt.advance(timedelta(minutes=10))
    assert rt.state("example/greeter", "t")["seen_count"] == SeenCount(seen=601)


class ZeroDelayTimer:
    """A function (of another SDK: ours refuses a zero delay) re-arming itself with delay 0."""

    def __init__(self) -> None:
        self.calls = 0

    def describe(self) -> str:
        return "zero-delay timer"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        self.calls += 1
        target = ToFunction.FromString(request).invocation.target
        out = FromFunction()
        delayed = out.invocation_result.delayed_invocations.add(delay_in_ms=0)
        delayed.target.CopyFrom(target)
        delayed.argument.Pack(GreetRequest(name="again"))
        return Attempt(200, "application/octet-stream", out.SerializeToString())


def test_a_timer_that_re_arms_itself_with_no_delay_is_a_loop() -> None:
    rt = LocalRuntime.from_module(module(), StatefulFunctions(), max_hops=3)
    timer = ZeroDelayTimer()
    rt.bind("example/greeter", timer)
    rt.ingest("names", key="t", value=GreetRequest(name="t"))
    with pytest.raises(RuntimeFailure, match="the cycle: example/greeter/t -> example/greeter/t"):
        rt.advance(timedelta(seconds=1))  # the virtual clock never gets past the first due time
    assert timer.calls == 4  # the ingress record, then three fired timers; the fourth fails


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_max_hops_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="max_hops must be a whole number of at least 1"):
        LocalRuntime.from_module(module(), self_loop(), max_hops=bad)  # type: ignore[arg-type]


def test_a_delay_past_the_end_of_the_virtual_clock_fails_the_batch() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def far(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        later = timedelta(days=10**8)
        context.pack_and_send_after(later, "example/greeter", context.address.identity, request)

    rt = LocalRuntime.from_module(module(), fns)
    with pytest.raises(RuntimeFailure, match="would be due after the year 9999"):
        rt.ingest("names", key="t", value=GreetRequest(name="t"))
    assert rt.state("example/greeter", "t") == {}


def test_a_ttl_past_the_end_of_the_virtual_clock_never_expires() -> None:
    spec = build_module(
        function(
            "example/greeter",
            [{"name": "seen_count", "expireAfter": "999999999d"}],
        ),
        version="2.0",
    )
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)

    rt = LocalRuntime.from_module(spec, fns)
    rt.ingest("names", key="t", value=GreetRequest(name="t"))
    rt.advance(timedelta(days=365 * 1000))
    rt.ingest("names", key="t", value=GreetRequest(name="t"))
    assert rt.state("example/greeter", "t") == {"seen_count": SeenCount(seen=2)}


def fan_out() -> StatefulFunctions:
    """The upstream walkthrough's trap: ping and pong each answer one message with two."""
    fns = StatefulFunctions()

    @fns.bind("example/ping")
    def ping(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        context.pack_and_send("example/pong", "a", request)
        context.pack_and_send("example/pong", "b", request)

    @fns.bind("example/pong")
    def pong(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        counted(context)
        context.pack_and_send("example/ping", "a", request)
        context.pack_and_send("example/ping", "b", request)

    return fns


def test_a_fan_out_that_never_ends_fails_at_the_message_budget_instead_of_hanging() -> None:
    # max_hops alone never stops it: the chains stay short while the messages double
    rt = LocalRuntime.from_module(module(), fan_out(), max_messages=5_000, record_trace=False)
    with pytest.raises(RuntimeFailure) as raised:
        rt.send("example/ping", "a", GreetRequest(name="Jerry"))
    text = raised.value.reason
    assert text.startswith("a message storm? example/p")
    assert "(max_messages=5,000)" in text
    assert "rt.max_messages = N" in text and "--max-messages N" in text
    assert "the cycle: example/p" in text
    # nothing of the failing batch applied: every applied message was counted, within the budget
    seen = sum(
        rt.state(typename, id)["seen_count"].seen  # type: ignore[union-attr]
        for typename in ("example/ping", "example/pong")
        for id in ("a", "b")
    )
    assert 1 < seen <= 5_001  # the input plus at most the budget of messages between functions


def test_the_default_message_budget_stops_the_fan_out() -> None:
    rt = LocalRuntime.from_module(module(), fan_out(), record_trace=False)
    with pytest.raises(RuntimeFailure, match=f"max_messages={DEFAULT_MAX_MESSAGES:,}"):
        rt.send("example/ping", "a", GreetRequest(name="Jerry"))


def test_the_message_budget_counts_from_the_last_idle_moment() -> None:
    # 30 inputs, each leading to 20 messages: 600 in all, but never more than 20 in one run
    rt = LocalRuntime.from_module(module(), countdown(), max_messages=20, record_trace=False)
    for n in range(30):
        rt.ingest("names", key=f"k{n}", value=GreetRequest(name="x" * 21))
    assert rt.failure is None
    assert rt.state("example/greeter", "k29")["seen_count"] == SeenCount(seen=21)
    with pytest.raises(RuntimeFailure, match="max_messages=20"):
        rt.ingest("names", key="long", value=GreetRequest(name="x" * 22))


def test_delayed_messages_that_double_fail_at_the_message_budget() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/ping")
    def ping(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        later = timedelta(milliseconds=1)
        context.pack_and_send_after(later, "example/ping", "a", request)
        context.pack_and_send_after(later, "example/ping", "b", request)

    rt = LocalRuntime.from_module(module(), fns, max_messages=1_000, record_trace=False)
    rt.send("example/ping", "a", GreetRequest(name="Jerry"))
    with pytest.raises(RuntimeFailure) as raised:
        rt.advance(timedelta(seconds=1))
    assert raised.value.reason.startswith("too many delayed messages: example/ping/")
    assert "(max_messages=1,000)" in raised.value.reason
    assert len(rt.timers) <= 1_000


def test_max_messages_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match="max_messages must be a whole number of at least 1"):
        LocalRuntime.from_module(module(), fan_out(), max_messages=0)


@pytest.mark.parametrize("name", ["max_hops", "max_messages"])
@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", True])
def test_a_budget_set_on_a_runtime_is_checked_too(name: str, bad: object) -> None:
    rt = LocalRuntime.from_module(module(), fan_out())
    before = getattr(rt, name)
    with pytest.raises(ValueError, match=f"{name} must be a whole number of at least 1"):
        setattr(rt, name, bad)
    assert getattr(rt, name) == before  # the runtime keeps its budget
    setattr(rt, name, 7)
    assert getattr(rt, name) == 7
