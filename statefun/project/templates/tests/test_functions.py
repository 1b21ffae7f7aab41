"""Tests of {{name}}'s functions, with statefun-lab's pytest plugin (see pytest.ini).

`statefun_runtime` is a local runtime running module.yaml with functions/functions.py;
`statefun_engine` runs the same test on real Flink StateFun too with `pytest --statefun-flink`.
"""

from datetime import timedelta

from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun.pytest_plugin import assert_state, egress_values


def test_greets_a_new_name(statefun_runtime):
    statefun_runtime.ingest("names", key="Ann", value=GreetRequest(name="Ann"))

    assert_state(statefun_runtime, "{{namespace}}/greeter", "Ann", seen_count=SeenCount(seen=1))
    assert egress_values(statefun_runtime, "greetings", GreetResponse) == [
        GreetResponse(name="Ann", greeting="Hello Ann")
    ]


def test_counts_each_name_apart(statefun_runtime, statefun_clock):
    for name in ["Ann", "Bob", "Ann"]:
        statefun_runtime.ingest("names", key=name, value=GreetRequest(name=name))
        statefun_runtime.advance(timedelta(seconds=1))

    assert_state(statefun_runtime, "{{namespace}}/greeter", "Ann", seen_count=SeenCount(seen=2))
    assert_state(statefun_runtime, "{{namespace}}/greeter", "Bob", seen_count=SeenCount(seen=1))
    assert statefun_clock.elapsed == timedelta(seconds=3)


def test_on_every_engine(statefun_engine):
    statefun_engine.ingest("names", "Cy", GreetRequest(name="Cy"))
    statefun_engine.ingest("names", "Cy", GreetRequest(name="Cy"))

    greetings = statefun_engine.egress("greetings", GreetResponse, count=2)
    assert [g.greeting for g in greetings] == ["Hello Cy", "Hello again Cy"]
