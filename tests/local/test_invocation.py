"""Invoking a function: the request of a batch, the retries of spec §3.4, the failures."""

from __future__ import annotations

from datetime import timedelta

from messages_pb2 import GreetRequest
from module_builder import build_module, function

from statefun.errors import TransportError
from statefun.local.addresses import AddressState, Inflight, function_infos
from statefun.local.clock import VirtualClock
from statefun.local.effects import Effects
from statefun.local.invocation import build_request, call_of, failure, invoke
from statefun.local.mailbox import Envelope
from statefun.local.transport import CONTENT_TYPE, Attempt, MockTransport
from statefun.request_reply_pb2 import FromFunction, ToFunction

A = ("example", "greeter", "Jerry")
URL = "type.googleapis.com/example.GreetRequest"
MODULE = build_module(
    function(
        "example/greeter",
        ["seen_count", "other"],
        timeout="1s",
        connectTimeout="1s",
        readTimeout="1s",
        writeTimeout="1s",
    )
)
SPEC = MODULE.functions["example/greeter"]
OK = Attempt(200, CONTENT_TYPE, FromFunction().SerializeToString())


def inflight() -> Inflight:
    return Inflight([(None, A, URL, b"", 0)], b"request")


def test_a_request_carries_every_state_and_the_batch() -> None:
    st = AddressState(function_infos(MODULE)["example/greeter"])
    st.values["seen_count"] = b"stored"
    jerry = GreetRequest(name="Jerry").SerializeToString()
    batch: list[Envelope] = [
        (None, A, URL, jerry, 0),
        (("example", "other", "x"), A, URL, b"", 4),
    ]
    shown: list[tuple[str, bool]] = []
    sent = build_request(A, st, batch, VirtualClock(), lambda *a: None, shown)
    assert sent.batch is batch and sent.hops == 4
    assert shown == [("seen_count", True), ("other", False)]
    request = ToFunction.FromString(sent.request).invocation
    assert (request.target.namespace, request.target.type, request.target.id) == A
    assert [(s.state_name, s.state_value) for s in request.state] == [
        ("seen_count", b"stored"),
        ("other", b""),
    ]
    assert [i.argument.value for i in request.invocations] == [jerry, b""]
    assert not request.invocations[0].HasField("caller")
    assert request.invocations[1].caller.id == "x"


def test_a_success_over_a_wire_gives_the_effects() -> None:
    sent = inflight()
    invoke(call_of(MockTransport(OK)), SPEC, A, sent)
    assert sent.effects == Effects([], [], [], []) and sent.error is None


def test_what_a_retry_may_cure_is_retried_until_it_succeeds() -> None:
    mock = MockTransport(TransportError("refused"), Attempt(503, "text/plain", b"busy"), OK)
    sent = inflight()
    invoke(call_of(mock), SPEC, A, sent)
    assert sent.error is None and sent.attempts == 3
    assert [r for _, r in mock.requests] == [b"request"] * 3


def test_a_status_no_retry_cures_fails_at_once_with_the_body() -> None:
    mock = MockTransport(Attempt(404, "text/plain", b"no such function"))
    sent = inflight()
    invoke(call_of(mock), SPEC, A, sent)
    assert sent.error is not None and len(mock.requests) == 1
    assert sent.error.reason == "Non successful HTTP response code 404 (no such function)"
    assert "example/greeter/Jerry" in str(sent.error) and "rt.resume()" in str(sent.error)


def test_retries_stop_when_the_function_timeout_is_spent() -> None:
    mock = MockTransport(Attempt(500, None, b""))
    sent = inflight()
    invoke(call_of(mock), SPEC, A, sent)
    assert sent.error is not None
    # 10 + 20 + ... + 640 ms = 1.27 s > 1 s: six retries fit, the seventh does not
    assert len(mock.requests) == 7
    assert sent.error.reason == (
        "Maximal request time has elapsed (7 attempts within the function's timeout of "
        "0:00:01). Last known error is: invalid HTTP response code 500"
    )


def test_an_error_no_retry_cures_fails_with_its_cause() -> None:
    cause = RuntimeError("boom")
    mock = MockTransport(TransportError("it raised", retryable=False, cause=cause))
    sent = inflight()
    invoke(call_of(mock), SPEC, A, sent)
    assert sent.error is not None and sent.error.__cause__ is cause
    assert sent.error.reason == "it raised"


def test_a_wrong_content_type_or_body_fails() -> None:
    sent = inflight()
    invoke(call_of(MockTransport(OK._replace(content_type="text/plain"))), SPEC, A, sent)
    assert sent.error is not None and "Wrong HTTP content-type 'text/plain'" in sent.error.reason
    sent = inflight()
    invoke(call_of(MockTransport(OK._replace(body=b"\xff\xff"))), SPEC, A, sent)
    assert sent.error is not None and "is not a FromFunction" in sent.error.reason


def test_an_in_process_call_hands_over_its_effects() -> None:
    effects = Effects([], [], [], [("seen_count", None)])
    sent = inflight()
    invoke(lambda typename, request, timeout: effects, SPEC, A, sent)
    assert sent.effects is effects


def test_a_duck_typed_transport_is_called_through_send() -> None:
    class Duck:
        def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
            return OK

        def describe(self) -> str:
            return "duck"

    sent = inflight()
    invoke(call_of(Duck()), SPEC, A, sent)  # type: ignore[arg-type]
    assert sent.effects == Effects([], [], [], [])


def test_a_failure_says_nothing_was_applied() -> None:
    error = failure(A, 3, "why", None)
    assert error.reason == "why" and error.address == "example/greeter/Jerry"
    assert "Nothing of this batch of 3 message(s) was applied" in str(error)
