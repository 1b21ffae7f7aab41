"""The trace: a ring buffer when limited, and large values kept as their type and size only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from module_builder import build_module, function

from statefun import StatefulFunctions, kafka_egress_record
from statefun.local import LocalRuntime
from statefun.local.clock import EPOCH
from statefun.local.trace import DEFAULT_LIMIT, Egressed, Ingressed, StateChanged, Trace
from statefun.local.values import LargeValue


def big_state_greeter(size: int) -> StatefulFunctions:
    """A greeter whose seen_count state also carries ``size`` bytes of ballast."""
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(GreetRequest) or GreetRequest()
        seen.name = "x" * size
        context.state("seen_count").pack(seen)
        response = GreetResponse(name=request.name, greeting="y" * size)
        context.pack_and_send_egress(
            "example/greets", kafka_egress_record(topic="greetings", key="k", value=response)
        )

    return fns


def runtime(fns: StatefulFunctions, **kw: object) -> LocalRuntime:
    module = build_module(function("example/greeter", ["seen_count"]))
    return LocalRuntime.from_module(
        module,
        fns,
        egress_types={"example/greets": GreetResponse},
        **kw,  # type: ignore[arg-type]
    )


def test_a_large_state_is_kept_in_the_trace_as_its_type_and_size() -> None:
    rt = runtime(big_state_greeter(10 * 1024 * 1024))
    rt.ingest("names", key="k", value=GreetRequest(name="k"))
    rt.ingest("names", key="k", value=GreetRequest(name="k"))
    changes = rt.trace.of(StateChanged)
    assert changes[0].before is None
    after = changes[0].after
    assert isinstance(after, LargeValue)
    assert after.type_name == "example.GreetRequest" and after.size > 10 * 1024 * 1024
    assert changes[1].before == after
    size = f"{after.size:,}"
    assert str(changes[1]).endswith(
        f"seen_count: GreetRequest(<{size} bytes, too large to keep in the trace>) "
        f"-> GreetRequest(<{size} bytes, too large to keep in the trace>)"
    )
    egressed = rt.trace.of(Egressed)[0].value
    assert isinstance(egressed, LargeValue) and egressed.type_name == "example.GreetResponse"
    # the runtime itself keeps the whole value: only the trace summarises it
    assert len(rt.state("example/greeter", "k")["seen_count"].name) == 10 * 1024 * 1024


def test_values_up_to_the_limit_are_decoded_and_the_limit_is_configurable() -> None:
    rt = runtime(big_state_greeter(100))
    rt.ingest("names", key="k", value=GreetRequest(name="k"))
    assert rt.trace.of(StateChanged)[0].after == GreetRequest(name="x" * 100)

    rt = runtime(big_state_greeter(100), trace_value_bytes=50)
    rt.ingest("names", key="k", value=GreetRequest(name="k" * 60))
    assert isinstance(rt.trace.of(StateChanged)[0].after, LargeValue)
    assert rt.trace.of(Ingressed)[0].value == LargeValue("example.GreetRequest", 62)


def test_a_limited_trace_keeps_the_last_events_and_says_how_many_it_dropped() -> None:
    fns = StatefulFunctions()

    @fns.bind("example/greeter")
    def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
        seen.seen += 1
        context.state("seen_count").pack(seen)

    unlimited = runtime(fns, trace_limit=None)
    limited = runtime(fns, trace_limit=5)
    for rt in (unlimited, limited):
        for i in range(10):
            rt.ingest("names", key=f"n{i}", value=GreetRequest(name=f"n{i}"))
            rt.advance(timedelta(seconds=1))
    assert len(unlimited.trace) == 40 and unlimited.trace.dropped == 0
    assert list(limited.trace) == list(unlimited.trace)[-5:]
    assert limited.trace.dropped == 35 and limited.trace.limit == 5
    assert limited.trace.table().splitlines()[0] == "... 35 earlier events dropped (trace limit 5)"
    assert limited.trace.table().splitlines()[1:] == unlimited.trace.table().splitlines()[-5:]
    assert list(limited.trace[1:3]) == list(unlimited.trace)[-4:-2]


def test_the_default_limit_is_a_ring_buffer() -> None:
    assert runtime(StatefulFunctions()).trace.limit == DEFAULT_LIMIT
    trace = Trace(limit=2)
    events = [Ingressed(EPOCH + timedelta(seconds=i), "i", "t", "k", (), i) for i in range(3)]
    for event in events:
        trace.append(event)
    assert list(trace) == events[1:] and trace.dropped == 1
    assert Trace(events) == Trace(events) and Trace(events) != Trace(events[:2])


@pytest.mark.parametrize("bad", [0, -5, True])
def test_a_trace_limit_must_be_at_least_one(bad: int) -> None:
    with pytest.raises(ValueError, match="a trace limit is a number of events of at least 1"):
        Trace(limit=bad)
