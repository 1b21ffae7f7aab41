"""`statefun-lab run` stops a function that keeps sending to itself, and bounds its trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODULE_YAML = Path(__file__).resolve().parents[2] / "module.yaml"

LOOP = """\
from statefun import StatefulFunctions
from messages_pb2 import GreetRequest

functions = StatefulFunctions()


@functions.bind("example/greeter")
def greet(context, request: GreetRequest):
    context.pack_and_send("example/greeter", context.address.identity, request)
"""


def loop_file(tmp_path: Path) -> Path:
    path = tmp_path / "loop.py"
    path.write_text(LOOP)
    return path


def test_run_stops_a_loop_at_the_default_budget_and_names_the_cycle(
    cli: Any, tmp_path: Path
) -> None:
    result = cli("run", MODULE_YAML, loop_file(tmp_path), "--names", "Jerry")
    assert result.status == 1
    assert "function example/greeter/Jerry failed: a loop?" in result.err
    assert "(max_hops=10,000)" in result.err
    assert "the cycle: example/greeter/Jerry -> example/greeter/Jerry" in result.err
    assert "statefun-lab run --max-hops N" in result.err
    assert "10001 requests" in result.err and "Traceback" not in result.err


def test_max_hops_and_trace_limit_are_options(cli: Any, tmp_path: Path) -> None:
    result = cli(
        "run", MODULE_YAML, loop_file(tmp_path), "--names", "Jerry", "--max-hops", "5",
        "--trace", "--trace-limit", "4",
    )  # fmt: skip
    assert result.status == 1
    assert "(max_hops=5)" in result.err and "6 requests" in result.err
    trace = result.lines
    assert trace[0] == "... 14 earlier events dropped (trace limit 4)"
    assert len(trace) == 5 and "Failed" in trace[-1]


def test_max_hops_must_be_at_least_one(cli: Any, tmp_path: Path) -> None:
    result = cli("run", MODULE_YAML, loop_file(tmp_path), "--max-hops", "0")
    assert result.status == 2
    assert "argument --max-hops: must be 1 or more, got 0" in result.err
