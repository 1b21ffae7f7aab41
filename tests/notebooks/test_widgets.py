"""The widgets' callbacks, driven without a browser: set values, click, look at the runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

import greeter
import statefun.widgets
from statefun import StatefulFunctions
from statefun.local import LocalRuntime
from statefun.local.trace import RequestSent
from statefun.widgets import (
    DEFAULT_NAMES,
    ClockControls,
    Dashboard,
    EgressLog,
    GreetRequestSender,
    GreetSender,
    ModuleYamlView,
    StateInspector,
    TraceView,
    describe_module,
    format_record,
    validate_module_text,
)

ROOT = Path(__file__).resolve().parents[2]
MODULE = str(ROOT / "module.yaml")
MODULE_TTL = str(ROOT / "module-2.0.yaml")
EGRESS_TYPES = {"example/greets": GreetResponse}
FUNCTIONS: StatefulFunctions = greeter.functions  # type: ignore[attr-defined]


@pytest.fixture
def rt() -> LocalRuntime:
    return LocalRuntime.from_module(MODULE, FUNCTIONS, egress_types=EGRESS_TYPES)


@pytest.fixture
def ttl() -> LocalRuntime:
    return LocalRuntime.from_module(MODULE_TTL, FUNCTIONS, egress_types=EGRESS_TYPES)


def seen(rt: LocalRuntime, name: str) -> int | None:
    view = rt.state("example/greeter", name)
    return view["seen_count"].seen if "seen_count" in view else None  # type: ignore[attr-defined]


def test_public_names() -> None:
    assert statefun.widgets.__all__ == [
        "DEFAULT_NAMES",
        "PACES",
        "ClockControls",
        "ClockDriver",
        "CommittedGreetings",
        "Dashboard",
        "EgressLines",
        "EgressLog",
        "Encoding",
        "ExchangeTrees",
        "ExchangeView",
        "FailureDrillView",
        "FlinkDashboard",
        "FlinkGreetings",
        "FlinkSender",
        "FlinkStatusView",
        "GreetRequestSender",
        "GreetSender",
        "MessageBytes",
        "MessageBytesView",
        "ModuleReport",
        "ModuleYamlView",
        "ProgressRow",
        "ProgressTable",
        "ProgressView",
        "StackSender",
        "StateInspector",
        "StateRow",
        "StateTable",
        "TraceView",
        "describe_module",
        "drill_lines",
        "format_duration",
        "format_record",
        "message_tree",
        "problem_text",
        "status_lines",
        "step_text",
        "validate_module_text",
    ]


# -- sender ---------------------------------------------------------------------------------------


def test_send_one_name(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest)
    sender.name.value = "Bob"
    sender.send_button.click()
    sender.send_button.click()
    assert seen(rt, "Bob") == 2
    assert [r.value.greeting for r in rt.egress("example/greets")] == [  # type: ignore[attr-defined]
        "Welcome Bob",
        "Nice to see you again Bob",
    ]
    assert "sent Bob" in sender.status.value
    assert sender.logic.sent == ["Bob", "Bob"]


def test_send_trims_and_refuses_an_empty_name(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest)
    sender.name.value = "   "
    sender.send_button.click()
    assert "type a name first" in sender.status.value
    assert "#d62728" in sender.status.value  # shown as an error
    assert rt.egress("example/greets") == []
    sender.name.value = "  Kramer "
    sender.send_button.click()
    assert seen(rt, "Kramer") == 1


def test_random_names_are_seeded_and_counted(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest, seed=3)
    sender.count.value = 12
    sender.random_button.click()
    expected = GreetRequestSender(rt, GreetRequest, seed=3).pick(12)
    assert sender.logic.sent == expected
    assert set(expected) <= set(DEFAULT_NAMES)
    assert sender.progress.max == 12
    assert sender.progress.value == 12
    assert sum(seen(rt, n) or 0 for n in DEFAULT_NAMES) == 12
    top = max(set(expected), key=expected.count)
    assert f"{top} ×{expected.count(top)}" in sender.status.value


def test_one_per_second_moves_the_clock(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest, names=["Jerry"])
    sender.count.value = 5
    sender.pace.value = "one per second"
    sender.random_button.click()
    assert rt.clock.elapsed == timedelta(seconds=5)
    assert seen(rt, "Jerry") == 5


def test_all_at_once_is_batched(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest, names=["Jerry"])
    sender.count.value = 6
    sender.pace.value = "all at once"
    updates: list[int] = []
    sender.progress.observe(lambda change: updates.append(change["new"]), names="value")
    sender.random_button.click()
    batches = [e.batch for e in rt.trace.of(RequestSent)]  # type: ignore[attr-defined]
    assert batches == [1, 5]
    assert seen(rt, "Jerry") == 6
    assert updates[-1] == 6 and updates == sorted(updates)
    assert sender.progress.value == 6


def test_all_at_once_in_step_mode_only_queues() -> None:
    rt = LocalRuntime.from_module(MODULE, FUNCTIONS, auto_run=False)
    sender = GreetRequestSender(rt, GreetRequest, names=["Jerry"])
    sender.send_many(["Jerry"] * 3, "all at once")
    assert len(rt.pending) == 3
    assert rt.run() > 0
    assert seen(rt, "Jerry") == 3


def test_a_failing_function_is_reported_not_raised() -> None:
    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    def greet(context: Any, message: GreetRequest) -> None:
        raise RuntimeError("boom")

    rt = LocalRuntime.from_module(MODULE, functions)
    sender = GreetSender(rt, GreetRequest)
    sender.name.value = "Jerry"
    sender.send_button.click()
    assert "Failure forwarding a message" in sender.status.value
    assert "boom" in sender.status.value
    sender.count.value = 2
    sender.random_button.click()
    assert "Failure forwarding a message" in sender.status.value


def test_sender_refuses_bad_arguments(rt: LocalRuntime) -> None:
    with pytest.raises(ValueError, match="names must not be empty"):
        GreetRequestSender(rt, GreetRequest, names=[])
    with pytest.raises(ValueError, match="pace must be one of"):
        GreetRequestSender(rt, GreetRequest).send_many(["Jerry"], "fast")


# -- state inspector ------------------------------------------------------------------------------


def test_inspector_follows_the_runtime(rt: LocalRuntime) -> None:
    inspector = StateInspector(rt)
    assert "no state yet" in inspector.html.value
    for name in ["Jerry", "Jerry", "George"]:
        rt.ingest("names", key=name, value=GreetRequest(name=name))
    assert inspector.table.lines() == [
        "example/greeter/George  seen_count=SeenCount(seen=1)  "
        "[+0.000s seen_count: None → SeenCount(seen=1)]",
        "example/greeter/Jerry  seen_count=SeenCount(seen=2)  "
        "[+0.000s seen_count: SeenCount(seen=1) → SeenCount(seen=2)]",
    ]
    assert "example/greeter/Jerry" in inspector.html.value
    assert "SeenCount(seen=2)" in inspector.html.value


def test_inspector_starts_from_the_current_state(rt: LocalRuntime) -> None:
    rt.ingest("names", key="Elaine", value=GreetRequest(name="Elaine"))
    rows = StateInspector(rt).table.rows
    assert [(r.address, r.states, r.last_change) for r in rows] == [
        ("example/greeter/Elaine", {"seen_count": "SeenCount(seen=1)"}, "")
    ]


def test_inspector_shows_expiry(ttl: LocalRuntime) -> None:
    inspector = StateInspector(ttl)
    ttl.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    ttl.advance(timedelta(seconds=61))
    assert inspector.table.lines() == [
        "example/greeter/Jerry  (no state)  [+60.000s seen_count expired]"
    ]
    assert "(no state)" in inspector.html.value


def test_inspector_shows_deletes_and_can_stop() -> None:
    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    def greet(context: Any, message: GreetRequest) -> None:
        if context.state("seen_count").unpack(SeenCount):
            del context["seen_count"]
        else:
            context.state("seen_count").pack(SeenCount(seen=1))

    rt = LocalRuntime.from_module(MODULE, functions)
    inspector = StateInspector(rt)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert inspector.table.rows[0].last_change == "+0.000s seen_count deleted"
    inspector.close()
    rt.ingest("names", key="George", value=GreetRequest(name="George"))
    assert [r.address for r in inspector.table.rows] == ["example/greeter/Jerry"]


# -- egress log -----------------------------------------------------------------------------------


def test_egress_log_prints_like_the_generator(rt: LocalRuntime) -> None:
    log = EgressLog(rt)
    for name in ["Jerry", "Jerry"]:
        rt.ingest("names", key=name, value=GreetRequest(name=name))
    assert log.lines.lines == ["Jerry:\tWelcome Jerry", "Jerry:\tNice to see you again Jerry"]
    assert log.text.value == "Jerry:\tWelcome Jerry\nJerry:\tNice to see you again Jerry"
    assert log.count.value == "2 record(s)"
    log.clear_button.click()
    assert log.text.value == ""
    assert log.count.value == "2 record(s)"


def test_egress_log_starts_with_what_already_left(rt: LocalRuntime) -> None:
    rt.ingest("names", key="Newman", value=GreetRequest(name="Newman"))
    assert EgressLog(rt).lines.lines == ["Newman:\tWelcome Newman"]


def test_egress_log_decodes_bytes_with_a_value_type() -> None:
    rt = LocalRuntime.from_module(MODULE, FUNCTIONS)  # no egress_types
    decoded = EgressLog(rt, value_type=GreetResponse)
    raw = EgressLog(rt)
    rt.ingest("names", key="Frank", value=GreetRequest(name="Frank"))
    assert decoded.lines.lines == ["Frank:\tWelcome Frank"]
    assert raw.lines.lines == ["Frank:\tb'\\n\\x05Frank\\x12\\rWelcome Frank'"]


def test_egress_log_checks_the_egress(rt: LocalRuntime) -> None:
    with pytest.raises(KeyError, match="no egress 'example/greetings'"):
        EgressLog(rt, "example/greetings")


def test_format_record() -> None:
    assert format_record("k", GreetResponse(name="A", greeting="Hi A")) == "A:\tHi A"
    assert format_record("k", SeenCount(seen=2)) == "k:\tSeenCount(seen=2)"
    assert format_record(None, b"x") == ":\tb'x'"


# -- clock ----------------------------------------------------------------------------------------


def test_clock_shows_states_expiring(ttl: LocalRuntime) -> None:
    clock = ClockControls(ttl)
    assert clock.now.value == "now +0.000s"
    ttl.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    clock.seconds.value = 61
    clock.advance_button.click()
    assert clock.now.value == "now +61.000s"
    assert clock.driver.last_events == [
        "+60.000s  StateExpired   example/greeter/Jerry seen_count (SeenCount(seen=1)) "
        "expired (TTL)"
    ]
    assert clock.driver.fired() == 1
    assert "⌛" in clock.events.value and "+61 s" in clock.events.value
    clock.quick[10].click()
    assert clock.now.value == "now +71.000s"
    assert "nothing was due" in clock.events.value


def test_clock_shows_delayed_messages_firing(solution: Callable[[int], Any]) -> None:
    functions = StatefulFunctions()
    functions.register("example/greeter", solution(8))
    rt = LocalRuntime.from_module(MODULE, functions, egress_types=EGRESS_TYPES)
    clock = ClockControls(rt)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert clock.driver.pending_timers() == [
        "+60.000s example/greeter/Jerry -> example/greeter/Jerry"
    ]
    clock.quick[61].click()
    assert clock.driver.last_events[0] == (
        "+60.000s  DelayFired     example/greeter/Jerry -> example/greeter/Jerry Reset(seen=1)"
    )
    assert "⏰" in clock.events.value
    assert clock.driver.pending_timers() == []
    assert seen(rt, "Jerry") is None


# -- trace view -----------------------------------------------------------------------------------


def test_trace_view_draws_the_flow(rt: LocalRuntime) -> None:
    view = TraceView(rt, last=40)
    assert "nothing happened yet" in view.html.value
    rt.ingest_many("names", [("Jerry", GreetRequest(name="Jerry"))] * 3)
    html = view.html.value
    assert "<svg" in html
    assert "request, batch of 2" in html
    assert "seen_count = SeenCount(seen=3)" in html
    assert view.svg() == rt.trace.to_svg(last=40)


def test_trace_view_slider_and_live_switch(rt: LocalRuntime) -> None:
    view = TraceView(rt, last=40)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    rt.ingest("names", key="Elaine", value=GreetRequest(name="Elaine"))
    full = view.html.value
    view.last.value = 5
    assert len(view.html.value) < len(full)
    view.live.value = False
    rt.ingest("names", key="George", value=GreetRequest(name="George"))
    stale = view.html.value
    assert "George" not in stale
    view.refresh_button.click()
    assert "George" in view.html.value


# -- module.yaml view -----------------------------------------------------------------------------


def test_module_view_validates_as_you_edit() -> None:
    view = ModuleYamlView(MODULE, functions=FUNCTIONS)
    assert view.report.ok
    assert "valid module.yaml" in view.result.value
    view.editor.value = view.editor.value.replace('version: "1.0"', "version: 1.0")
    assert not view.report.ok
    assert view.report.error is not None and view.report.error.line == 7
    assert "not a string" in view.result.value
    view.reset_button.click()
    assert view.report.ok
    assert view.editor.value == view.original


def test_module_view_checks_the_functions() -> None:
    text = Path(MODULE).read_text().replace("- example/greeter\n", "- example/greter\n")
    view = ModuleYamlView("module.yaml", functions=FUNCTIONS, text=text)
    assert not view.report.ok
    assert view.report.error is None
    assert "did you mean 'example/greeter'?" in str(view.report)
    view.validate_button.click()
    assert "1 problem(s)" in view.result.value


def test_validate_module_text_and_describe() -> None:
    report = validate_module_text(Path(MODULE_TTL).read_text(), path="module-2.0.yaml")
    assert report.ok and report.module is not None
    assert report.summary == describe_module(report.module)
    assert report.summary[0] == (
        "function example/greeter: http http://python-worker:8000/statefun, states "
        "[seen_count (expires 1 min after-invoke)], maxNumBatchRequests 500, timeout 2 min"
    )
    bad = validate_module_text("version: 3\n", path="broken.yaml")
    assert not bad.ok and str(bad).startswith("❌ invalid: broken.yaml:1")


# -- together -------------------------------------------------------------------------------------


def test_dashboard_wires_everything(ttl: LocalRuntime) -> None:
    dashboard = Dashboard(ttl, GreetRequest)
    dashboard.sender.name.value = "Jerry"
    dashboard.sender.send_button.click()
    assert dashboard.log.lines.lines == ["Jerry:\tWelcome Jerry"]
    assert dashboard.inspector.table.rows[0].states == {"seen_count": "SeenCount(seen=1)"}
    dashboard.clock.quick[61].click()
    assert dashboard.inspector.table.rows[0].states == {}
    assert "expired" in dashboard.trace.html.value
    bundle = dashboard._repr_mimebundle_()
    assert isinstance(bundle, dict)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_view_redraws_once_per_loop_turn(rt: LocalRuntime) -> None:
    log = EgressLog(rt)
    renders: list[str] = []
    log.text.observe(lambda change: renders.append(change["new"]), "value")
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert renders == ["Jerry:\tWelcome Jerry"]  # no event loop: at once

    async def burst() -> None:
        for name in ("A", "B", "C"):
            rt.ingest("names", key=name, value=GreetRequest(name=name))
        assert len(renders) == 1  # deferred while the "cell" runs
        await asyncio.sleep(0)

    asyncio.run(burst())
    assert renders[1:] == [log.lines.text] and log.lines.text.count("\n") == 3


def test_the_trace_view_needs_a_runtime_that_records_its_trace() -> None:
    rt = LocalRuntime.from_module(MODULE, FUNCTIONS, record_trace=False)
    with pytest.raises(ValueError, match="record_trace=True"):
        TraceView(rt)


def test_views_that_only_subscribe_work_without_the_trace() -> None:
    rt = LocalRuntime.from_module(MODULE, FUNCTIONS, record_trace=False, egress_types=EGRESS_TYPES)
    inspector, log, clock = StateInspector(rt), EgressLog(rt), ClockControls(rt)
    rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    assert [row.address for row in inspector.table.rows] == ["example/greeter/Jerry"]
    assert log.lines.lines == ["Jerry:\tWelcome Jerry"]
    assert clock.driver.advance(5) == []
    assert clock.driver.now == "+5.000s"
    assert not len(rt.trace)
