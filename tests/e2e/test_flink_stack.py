"""statefun.flink.FlinkStack's own surface on the real engine: serving from this process
(rebinding changes what Flink calls next), a failing function surfaced, status, the pid file."""

from __future__ import annotations

from pathlib import Path

import pytest
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from real_engine import E2EHandle, Serving

import greeter
from statefun import StatefulFunctions, kafka_egress_record
from statefun.errors import FlinkStackError, FunctionFailedError, StackRunningError
from statefun.flink import FlinkStack

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def drain(stack: FlinkStack) -> None:
    """Move the stack's greetings cursor past everything committed so far."""
    stack.egress("greetings", GreetResponse)


def test_send_and_greetings_walkthrough_shorthand(e2e_stack: E2EHandle) -> None:
    stack = e2e_stack.stack
    ann, bob = e2e_stack.unique_names("Ann", "Bob")
    drain(stack)
    assert stack.send(ann, bob, ann) == 3
    assert sorted(stack.greetings(count=3, timeout=120)) == sorted(
        [(ann, f"Welcome {ann}"), (bob, f"Welcome {bob}"), (ann, f"Nice to see you again {ann}")]
    )
    stack.produce("names", key=bob, value=GreetRequest(name=bob))
    (record,) = stack.egress("example/greets", GreetResponse, count=1, timeout=120)
    assert (record.key, record.value.greeting) == (bob, f"Nice to see you again {bob}")
    assert stack.egress("greetings", GreetResponse) == []  # nothing more was committed


def test_rebinding_the_function_changes_what_flink_calls_next(
    e2e_stack: E2EHandle, greeter_back: Serving
) -> None:
    stack = e2e_stack.stack
    (cid,) = e2e_stack.unique_names("Cid")
    drain(stack)
    stack.send(cid)
    assert stack.greetings(count=1, timeout=120) == [(cid, f"Welcome {cid}")]

    shouting = StatefulFunctions()

    @shouting.bind("example/greeter")
    def shout(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
        seen.seen += 1
        context.state("seen_count").pack(seen)
        response = GreetResponse(name=request.name, greeting=f"HELLO {request.name} #{seen.seen}")
        context.pack_and_send_egress(
            "example/greets",
            kafka_egress_record(topic="greetings", key=request.name, value=response),
        )

    greeter_back.use(shouting)
    stack.send(cid)
    assert stack.greetings(count=1, timeout=120) == [(cid, f"HELLO {cid} #2")]
    greeter_back.use(greeter.functions)
    stack.send(cid)
    assert stack.greetings(count=1, timeout=120) == [(cid, f"Third time is a charm {cid}")]


def test_a_failing_function_is_surfaced_and_its_fix_loses_nothing(
    e2e_stack: E2EHandle, greeter_back: Serving
) -> None:
    stack = e2e_stack.stack
    (dee,) = e2e_stack.unique_names("Dee")
    broken = StatefulFunctions()

    @broken.bind("example/greeter")
    def fail(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError(f"cannot greet {request.name} yet")

    drain(stack)
    greeter_back.use(broken)
    stack.send(dee)
    with pytest.raises(FunctionFailedError, match=f"cannot greet {dee} yet") as caught:
        stack.greetings(count=1, timeout=120)
    assert caught.value.errors
    greeter_back.use(greeter.functions)  # the fix: Flink's retry of the batch now succeeds
    assert stack.greetings(count=1, timeout=120) == [(dee, f"Welcome {dee}")]
    assert stack.egress("greetings", GreetResponse) == []  # once


def test_status_logs_and_addresses(e2e_stack: E2EHandle) -> None:
    stack = e2e_stack.stack
    status = stack.status()
    assert status.job is not None and status.job.running
    assert status.job.checkpoints_completed > 0
    by_name = {p.name: p for p in status.processes}
    assert by_name["kafka"].alive and (by_name["kafka"].rss_mb or 0) > 50
    assert by_name["statefun"].alive and (by_name["statefun"].rss_mb or 0) > 50
    assert by_name["functions"].pid is None  # served from this process
    assert status.bootstrap == stack.bootstrap
    assert "RUNNING" in str(status)
    assert "switched from DEPLOYING to RUNNING" in stack.logs("statefun", lines=100_000)
    assert stack.flink_ui_url.startswith("http://127.0.0.1:")
    with pytest.raises(FlinkStackError, match="the stack's logs are statefun, kafka, functions"):
        stack.logs("zookeeper")


def test_a_second_stack_is_refused_while_one_runs(e2e_stack: E2EHandle) -> None:
    with pytest.raises(StackRunningError, match="statefun-lab flink down") as caught:
        FlinkStack(REPO / "module.yaml", functions=greeter.functions, say=None).up()
    assert set(caught.value.pids) >= {"kafka", "statefun"}
    assert "FlinkStack.current().down() stops it" in str(caught.value)
    assert FlinkStack.current() is e2e_stack.stack
    assert e2e_stack.stack.status().job is not None  # the running one is untouched
