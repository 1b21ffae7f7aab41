"""The walkthrough's greeter through statefun-lab's pytest plugin (pyproject.toml configures it:
``statefun_module = "module.yaml"``, ``statefun_functions = "greeter/greeter.py"``).

The same checks as docs/testing.md's worked example: what a project's own tests look like.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun.local import LocalRuntime, VirtualClock
from statefun.pytest_plugin import StatefunEngine, assert_state, egress_values

NAMES = ["Jerry", "George", "Jerry", "Jerry", "Jerry"]


def test_greets_and_counts_per_name(statefun_runtime: LocalRuntime) -> None:
    for name in NAMES:
        statefun_runtime.ingest("names", key=name, value=GreetRequest(name=name))

    assert [g.greeting for g in egress_values(statefun_runtime, "greetings", GreetResponse)] == [
        "Welcome Jerry",
        "Welcome George",
        "Nice to see you again Jerry",
        "Third time is a charm Jerry",
        "Nice to see you at the 4-nth time Jerry!",
    ]
    assert_state(statefun_runtime, "example/greeter", "Jerry", seen_count=SeenCount(seen=4))
    assert_state(statefun_runtime, "example/greeter", "George", seen_count=SeenCount(seen=1))
    assert_state(statefun_runtime, "example/greeter", "Elaine", seen_count=None)


def test_assert_state_says_what_differs(statefun_runtime: LocalRuntime) -> None:
    statefun_runtime.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))

    with pytest.raises(AssertionError, match=r"state of example/greeter/Jerry: expected"):
        assert_state(statefun_runtime, "example/greeter", "Jerry", seen_count=SeenCount(seen=2))


@pytest.mark.statefun(module="module-2.0.yaml")
def test_the_go_further_module_forgets_after_60_idle_seconds(
    statefun_runtime: LocalRuntime, statefun_clock: VirtualClock
) -> None:
    for idle in (timedelta(0), timedelta(seconds=59), timedelta(seconds=61)):
        statefun_runtime.advance(idle)
        statefun_runtime.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))

    assert statefun_clock.elapsed == timedelta(seconds=120)
    assert [g.greeting for g in egress_values(statefun_runtime, "greetings", GreetResponse)] == [
        "Welcome Jerry",
        "Nice to see you again Jerry",
        "Welcome Jerry",
    ]


def test_each_test_gets_a_fresh_runtime(statefun_runtime: LocalRuntime) -> None:
    assert statefun_runtime.addresses() == []
    assert statefun_runtime.egress() == []


def test_on_every_engine(statefun_engine: StatefunEngine) -> None:
    """Local always; real Flink StateFun too with ``pytest --statefun-flink``."""
    for name in ["Newman", "Newman"]:
        statefun_engine.ingest("names", name, GreetRequest(name=name))

    greetings = statefun_engine.egress("greetings", GreetResponse, count=2)
    assert [g.greeting for g in greetings] == ["Welcome Newman", "Nice to see you again Newman"]
