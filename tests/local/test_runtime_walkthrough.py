"""The walkthrough on the local runtime: the greetings per user, ingress rules, outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

import greeter
from statefun.local import LocalRuntime
from statefun.local.trace import Egressed, Ingressed, RequestSent, StateChanged

ROOT = Path(__file__).resolve().parents[2]


def expected(name: str, n: int) -> str:
    return {
        1: f"Welcome {name}",
        2: f"Nice to see you again {name}",
        3: f"Third time is a charm {name}",
    }.get(n, f"Nice to see you at the {n}-nth time {name}!")


@pytest.fixture
def rt() -> LocalRuntime:
    return LocalRuntime.from_module(
        ROOT / "module.yaml", greeter.functions, egress_types={"example/greets": GreetResponse}
    )


def test_greeting_sequence_for_each_user(rt: LocalRuntime) -> None:
    names = ["Jerry", "George", "Jerry", "Elaine", "Jerry", "George", "Jerry", "Jerry"]
    for name in names:
        rt.ingest("names", key=name, value=GreetRequest(name=name))
    got = [(r.key, r.value.greeting) for r in rt.egress("example/greets")]  # type: ignore[attr-defined]
    seen: dict[str, int] = {}
    want = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        want.append((name, expected(name, seen[name])))
    assert got == want
    assert rt.state("example/greeter", "Jerry") == {"seen_count": SeenCount(seen=5)}
    assert repr(rt.state("example/greeter", "George")) == "{'seen_count': SeenCount(seen=2)}"
    assert rt.state("example/greeter", "Newman") == {}
    assert all(r.topic == "greetings" for r in rt.egress("greetings"))


def test_ingest_by_ingress_id_or_topic_wraps_the_value_with_the_yaml_type_url(
    rt: LocalRuntime,
) -> None:
    seen_urls: list[str] = []
    rt.subscribe(lambda e: None)

    from statefun import StatefulFunctions

    probe = StatefulFunctions()

    @probe.bind("example/greeter")
    def raw(context, message):  # type: ignore[no-untyped-def]
        seen_urls.append((message.type_url, context.caller, context.address.identity))

    rt.bind("example/greeter", probe)
    rt.ingest("example/names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("names", key="Kramer", value=GreetRequest(name="Kramer").SerializeToString())
    assert seen_urls == [
        ("com.googleapis/example.GreetRequest", None, "Jerry"),
        ("com.googleapis/example.GreetRequest", None, "Kramer"),
    ]


@pytest.mark.parametrize("key", [None, ""])
def test_a_record_needs_a_key(rt: LocalRuntime, key: str | None) -> None:
    with pytest.raises(ValueError, match="needs a key"):
        rt.ingest("names", key=key, value=GreetRequest(name="x"))
    assert rt.trace.of(Ingressed) == rt.trace.of(Ingressed)[:0]


def test_a_value_of_the_wrong_type_is_refused(rt: LocalRuntime) -> None:
    with pytest.raises(
        TypeError, match=r"carries example\.GreetRequest .* is a example\.GreetResponse"
    ):
        rt.ingest("names", key="Jerry", value=GreetResponse(name="Jerry"))


def test_unknown_ingress_lists_what_exists(rt: LocalRuntime) -> None:
    with pytest.raises(ValueError, match="names"):
        rt.ingest("nmaes", key="Jerry", value=GreetRequest(name="Jerry"))


def test_the_trace_tells_the_story_in_order(rt: LocalRuntime) -> None:
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    kinds = [type(e).__name__ for e in rt.trace]
    assert kinds == ["Ingressed", "RequestSent", "Responded", "Egressed", "StateChanged"]
    request = rt.trace.of(RequestSent)[0]
    assert (request.address, request.batch, request.states) == (
        "example/greeter/Jerry",
        1,
        (("seen_count", False),),
    )
    egress = rt.trace.of(Egressed)[0]
    assert egress.value == GreetResponse(name="Jerry", greeting="Welcome Jerry")
    change = rt.trace.of(StateChanged)[0]
    assert (change.before, change.after) == (None, SeenCount(seen=1))
    table = rt.trace.table()
    assert "example/greeter/Jerry batch=1 states[seen_count=empty] via in-process" in table
    assert "GreetResponse(name='Jerry', greeting='Welcome Jerry')" in table
    svg = rt.trace.to_svg()
    assert svg.startswith("<svg") and "request, batch of 1" in svg and "example/greets" in svg


def test_reprs_are_deterministic_and_readable(rt: LocalRuntime) -> None:
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert repr(rt) == (
        "LocalRuntime(module='module.yaml', functions=['example/greeter'], now=+0s, "
        "addresses=1, pending=0, timers=0, egress_records=1)"
    )
    assert repr(rt.egress("example/greets")[0]) == (
        "EgressRecord(topic='greetings', key='Jerry', "
        "value=GreetResponse(name='Jerry', greeting='Welcome Jerry'))"
    )
    assert "0x" not in rt.trace.table()


def test_egress_without_a_type_gives_raw_bytes() -> None:
    rt = LocalRuntime.from_module(ROOT / "module.yaml", greeter.functions)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    (record,) = rt.egress("example/greets")
    assert record.value == GreetResponse(name="Jerry", greeting="Welcome Jerry").SerializeToString()
    (typed,) = rt.egress("example/greets", GreetResponse)
    assert typed.value == GreetResponse(name="Jerry", greeting="Welcome Jerry")
    with pytest.raises(KeyError, match="declared: \\['example/greets'\\]"):
        rt.egress("example/nope")


def test_raw_state_bytes_are_reachable(rt: LocalRuntime) -> None:
    from google.protobuf.any_pb2 import Any

    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    raw = rt.state("example/greeter", "Jerry").raw["seen_count"]
    assert Any.FromString(raw).type_url == "type.googleapis.com/example.SeenCount"


def test_through_the_walkthrough_flask_app_gives_the_same_result() -> None:
    names = ["Jerry", "George", "Jerry", "Jerry"]
    results = []
    for rt in (
        LocalRuntime.from_module(ROOT / "module.yaml", greeter.functions),
        LocalRuntime.from_module(ROOT / "module.yaml", app=greeter.app),
    ):
        rt.ingest_many("names", [(n, GreetRequest(name=n)) for n in names])
        results.append(
            (
                [(r.key, r.value) for r in rt.egress("example/greets", GreetResponse)],
                {n: dict(rt.state("example/greeter", n)) for n in set(names)},
            )
        )
    assert results[0] == results[1]
    wsgi = LocalRuntime.from_module(ROOT / "module.yaml", app=greeter.app)
    wsgi.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    (sent,) = wsgi.trace.of(RequestSent)
    assert sent.transport.startswith("WSGI app")


def test_from_module_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not both"):
        LocalRuntime.from_module(ROOT / "module.yaml", greeter.functions, app=greeter.app)
    with pytest.raises(TypeError, match="StatefulFunctions"):
        LocalRuntime.from_module(ROOT / "module.yaml", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not declare"):
        LocalRuntime.from_module(ROOT / "module.yaml", endpoints={"x/y": "http://a/b"})
    with pytest.raises(ValueError, match="does not declare"):
        LocalRuntime.from_module(
            ROOT / "module.yaml", greeter.functions, egress_types={"x/y": GreetResponse}
        )


def test_the_flow_picture_draws_each_egress_from_the_address_that_sent_it(
    rt: LocalRuntime,
) -> None:
    rt.ingest_many("names", [(n, GreetRequest(name=n)) for n in ["Kramer", "Newman", "Kramer"]])
    lanes, rows = rt.trace.flow(last=None)
    arrows = [(lanes[a], lanes[b], label) for kind, a, b, label, _ in rows if kind == "arrow"]
    egress = [
        (source, label.split("greeting=")[1])
        for source, to, label in arrows
        if to == "example/greets"
    ]
    assert egress == [
        ("example/greeter/Kramer", "'Welcome Kramer')"),
        ("example/greeter/Newman", "'Welcome Newman')"),
        ("example/greeter/Kramer", "'Nice to see you again Kramer')"),
    ]
    # windows cut off the request: still drawn from the right lane
    lanes, rows = rt.trace.flow(last=2)
    assert [lanes[a] for kind, a, b, _, _ in rows if kind == "arrow"] == ["example/greeter/Kramer"]


def test_clear_egress_keeps_readers_in_place(rt: LocalRuntime) -> None:
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    cursor = rt.egress_total
    assert rt.clear_egress() == 1
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert rt.egress_total == 2
    (record,) = rt.egress_records(since=cursor)
    assert GreetResponse.FromString(record.value).greeting == "Nice to see you again Jerry"  # type: ignore[arg-type]
    assert len(rt.egress("example/greets")) == 1


def test_async_functions_run_in_process_even_inside_a_running_event_loop() -> None:
    import asyncio

    from statefun import StatefulFunctions

    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    async def greet(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        greeter.greet(context, request)

    rt = LocalRuntime.from_module(ROOT / "module.yaml", functions)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))  # no loop running

    async def notebook_cell() -> None:  # a Jupyter cell runs inside the kernel's loop
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))

    asyncio.run(notebook_cell())
    assert rt.state("example/greeter", "Jerry") == {"seen_count": SeenCount(seen=2)}
