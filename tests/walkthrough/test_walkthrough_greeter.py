"""greeter/greeter.py answers like the walkthrough's function: in-process and under gunicorn."""

from __future__ import annotations

import subprocess
import time
import typing
from collections.abc import Callable

import pytest
import requests
from golden import GOLDEN_REQUEST, GOLDEN_RESPONSE
from google.protobuf import any_pb2

from statefun.request_reply_pb2 import FromFunction, ToFunction

CONTENT_TYPE = "application/octet-stream"

Spawn = Callable[..., tuple[subprocess.Popen[str], typing.Any]]


def test_flask_app_answers_the_golden_request_byte_for_byte() -> None:
    import greeter

    response = greeter.app.test_client().post(
        "/statefun", data=GOLDEN_REQUEST, content_type=CONTENT_TYPE
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.data == GOLDEN_RESPONSE


def test_statefun_route_is_post_only() -> None:
    import greeter

    assert greeter.app.test_client().get("/statefun").status_code == 405


@pytest.mark.parametrize(
    ("seen", "greeting"),
    [
        (1, "Welcome Jerry"),
        (2, "Nice to see you again Jerry"),
        (3, "Third time is a charm Jerry"),
        (4, "Nice to see you at the 4-nth time Jerry!"),
        (11, "Nice to see you at the 11-nth time Jerry!"),
    ],
)
def test_compute_greeting_uses_the_four_walkthrough_templates(seen: int, greeting: str) -> None:
    from messages_pb2 import GreetResponse

    from greeter import compute_greeting

    assert compute_greeting("Jerry", seen) == GreetResponse(name="Jerry", greeting=greeting)


def _invoke(name: str, seen_count: bytes | None) -> ToFunction:
    """What the runtime sends for one ingress record ``name`` with the current state."""
    from messages_pb2 import GreetRequest

    to_function = ToFunction()
    batch = to_function.invocation
    batch.target.namespace, batch.target.type, batch.target.id = "example", "greeter", name
    state = batch.state.add(state_name="seen_count")
    if seen_count is not None:
        state.state_value = seen_count
    batch.invocations.add().argument.CopyFrom(
        any_pb2.Any(
            type_url="com.googleapis/example.GreetRequest",
            value=GreetRequest(name=name).SerializeToString(),
        )
    )
    return to_function


def test_a_conversation_counts_per_name_through_the_returned_state() -> None:
    """Feed each response's state mutation back in, as the runtime does between requests."""
    from messages_pb2 import GreetResponse, SeenCount

    import greeter
    from statefun.kafka_egress_pb2 import KafkaProducerRecord

    states: dict[str, bytes | None] = {}
    greetings = []
    for name in ["Jerry", "George", "Jerry", "Jerry", "Jerry"]:
        result = FromFunction.FromString(
            greeter.handler(_invoke(name, states.get(name)).SerializeToString())
        ).invocation_result
        (mutation,) = result.state_mutations
        assert mutation.state_name == "seen_count"
        assert mutation.mutation_type == FromFunction.PersistedValueMutation.MODIFY
        states[name] = mutation.state_value
        (egress,) = result.outgoing_egresses
        assert (egress.egress_namespace, egress.egress_type) == ("example", "greets")
        record = KafkaProducerRecord()
        assert egress.argument.Unpack(record)
        assert (record.topic, record.key) == ("greetings", name)
        greetings.append(GreetResponse.FromString(record.value_bytes).greeting)

    assert greetings == [
        "Welcome Jerry",
        "Welcome George",
        "Nice to see you again Jerry",
        "Third time is a charm Jerry",
        "Nice to see you at the 4-nth time Jerry!",
    ]
    stored = any_pb2.Any.FromString(states["Jerry"] or b"")
    assert stored.type_url == "type.googleapis.com/example.SeenCount"
    assert SeenCount.FromString(stored.value).seen == 4


def test_healthcheck_probe_is_the_golden_request() -> None:
    import healthcheck

    assert healthcheck.PROBE_REQUEST == GOLDEN_REQUEST


def _post_until_answered(url: str, body: bytes, timeout: float = 30) -> requests.Response:
    """POST, retrying while the workers are still booting; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.post(url, data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=10)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # poll interval, not a synchronisation


@pytest.mark.gunicorn
def test_gunicorn_serves_the_golden_response(gunicorn_url: str) -> None:
    response = _post_until_answered(gunicorn_url, GOLDEN_REQUEST)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.content == GOLDEN_RESPONSE


@pytest.mark.gunicorn
def test_healthcheck_passes_against_gunicorn(gunicorn_url: str) -> None:
    import healthcheck

    _post_until_answered(gunicorn_url, GOLDEN_REQUEST)
    assert healthcheck.probe(gunicorn_url) is None
    assert healthcheck.main(["healthcheck.py", gunicorn_url]) == 0


def test_healthcheck_fails_when_nothing_listens(
    unused_loopback_port: Callable[[], int],
) -> None:
    import healthcheck

    url = f"http://127.0.0.1:{unused_loopback_port()}/statefun"
    problem = healthcheck.probe(url)
    assert problem is not None and problem.startswith(f"{url} did not answer")
    assert healthcheck.main(["healthcheck.py", url]) == 1
