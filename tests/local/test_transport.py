"""The transport seam: the runtime calls ``call``, never asks which transport it holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from module_builder import build_module, function

import greeter
from statefun.errors import RuntimeFailure
from statefun.local import LocalRuntime
from statefun.local.effects import Effects
from statefun.local.transport import (
    CONTENT_TYPE,
    Attempt,
    InProcessTransport,
    MockTransport,
    Transport,
    TransportError,
)
from statefun.request_reply_pb2 import FromFunction


class NoWire(InProcessTransport):
    """The in-process transport with its wire path (serialize a response) forbidden."""

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        raise AssertionError("the runtime took the wire path")


class Counting(Transport):
    """A transport wrapping another, as a user's recorder would: it forwards ``call``."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.results: list[Attempt | Effects] = []

    def describe(self) -> str:
        return f"counting {self.inner.describe()}"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        return self.inner.send(typename, request, timeout)

    def call(self, typename: str, request: bytes, timeout: timedelta) -> Attempt | Effects:
        result = self.inner.call(typename, request, timeout)
        self.results.append(result)
        return result


class DuckTyped:
    """The 2.x-era duck type: ``send`` and ``describe`` only, no base class."""

    def __init__(self) -> None:
        self.inner = InProcessTransport(greeter.functions)

    def describe(self) -> str:
        return "duck"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        return self.inner.send(typename, request, timeout)


def runtime(transport: object) -> LocalRuntime:
    module = build_module(function("example/greeter", ["seen_count"]))
    return LocalRuntime(
        module,
        {"example/greeter": transport},  # type: ignore[dict-item]
        egress_types={"example/greets": GreetResponse},
    )


def test_a_wrapping_transport_takes_the_path_of_the_one_it_wraps() -> None:
    wrapper = Counting(NoWire(greeter.functions))
    rt = runtime(wrapper)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert rt.state("example/greeter", "Jerry") == {"seen_count": SeenCount(seen=2)}
    assert [type(r) for r in wrapper.results] == [Effects, Effects]
    assert rt.trace[1].transport == "counting in-process"  # type: ignore[attr-defined]


def test_a_duck_typed_transport_is_called_through_send() -> None:
    rt = runtime(DuckTyped())
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert [r.value.greeting for r in rt.egress("example/greets")] == ["Welcome Jerry"]


def test_in_process_effects_are_what_the_wire_would_carry() -> None:
    wire, direct = runtime(InProcessTransport(greeter.functions)), runtime(DuckTyped())
    for rt in (wire, direct):
        for name in ("Jerry", "George", "Jerry"):
            rt.ingest("names", key=name, value=GreetRequest(name=name))
    assert wire.egress() == direct.egress()
    assert wire.state("example/greeter", "Jerry") == direct.state("example/greeter", "Jerry")


def test_mock_transport_plays_its_script_and_repeats_the_last_answer() -> None:
    empty = Attempt(200, CONTENT_TYPE, FromFunction().SerializeToString())
    mock = MockTransport(
        TransportError("refused"),
        Attempt(503, "text/plain", b"busy"),
        lambda typename, request: empty._replace(body=empty.body + b""),
        name="flaky",
    )
    rt = runtime(mock)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert len(mock.requests) == 4  # refused, 503, then the callable's answer, twice
    assert {typename for typename, _ in mock.requests} == {"example/greeter"}
    assert rt.trace[1].transport == "flaky"  # type: ignore[attr-defined]


def test_mock_transport_raises_what_it_is_given() -> None:
    rt = runtime(MockTransport(TransportError("no way", retryable=False)))
    with pytest.raises(RuntimeFailure, match="no way"):
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    with pytest.raises(ValueError, match="at least one answer"):
        MockTransport()


def test_the_base_transport_send_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError):
        Transport().send("example/greeter", b"", timedelta(seconds=1))
    assert Transport().describe() == "Transport"
