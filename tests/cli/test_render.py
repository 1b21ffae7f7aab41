"""statefun.cli.render: egress records as printed, the summary, the trace, a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)
MakeProject = Callable[..., Any]  # conftest.project / echo_project: (...) -> Project

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


# -- egress records -------------------------------------------------------------------------


def test_a_message_without_greeting_prints_in_text_format(
    cli: Cli, echo_project: MakeProject
) -> None:
    p = echo_project("SeenCount(seen=len(message.name))")

    result = cli("run", p.module, p.functions, "--names", "Jerry,Kramer")

    assert result.status == 0
    assert result.lines == ["Jerry:\tseen: 5", "Kramer:\tseen: 6"]


def test_bytes_that_fit_several_message_types_print_in_hex_unless_typed(
    cli: Cli, echo_project: MakeProject
) -> None:
    # A GreetRequest's bytes are also a valid GreetResponse: inference cannot choose.
    p = echo_project("message")

    result = cli("run", p.module, p.functions, "--names", "Jo")
    typed = cli(
        "run", p.module, p.functions, "--names", "Jo", "--egress-type", "example.GreetRequest"
    )

    assert result.lines == ["Jo:\t0x0a024a6f"]
    assert typed.lines == ['Jo:\tname: "Jo"']


def test_quiet_prints_only_the_summary(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--count", "3", "--seed", "1", "--quiet")

    assert result.status == 0
    assert result.out == ""
    assert "3 records in, 3 egress records out" in result.err


# -- the summary and the trace --------------------------------------------------------------


def test_run_prints_a_summary_line_on_stderr(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--count", "5", "--seed", "1")

    assert result.status == 0
    assert result.err.splitlines()[-1] == (
        "5 records in, 5 egress records out, 5 requests (largest batch 1), virtual time +5.000s"
    )


def test_trace_shows_every_step_with_egress_values_decoded(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--names", "Jerry,Jerry", "--trace")

    assert result.status == 0
    table = result.lines[2:]
    assert [line.split()[1] for line in table] == [
        "Ingressed",
        "RequestSent",
        "Responded",
        "Egressed",
        "StateChanged",
    ] * 2
    assert table[6].startswith("   +1.000s  RequestSent    example/greeter/Jerry batch=1")
    assert "GreetResponse(name='Jerry', greeting='Nice to see you again Jerry')" in table[8]
    assert "SeenCount(seen=1) -> SeenCount(seen=2)" in table[9]


# -- a failed function ----------------------------------------------------------------------


RAISES = """\
from messages_pb2 import GreetRequest

from statefun import StatefulFunctions

functions = StatefulFunctions()


@functions.bind("lab/grumpy")
def grumpy(context, message: GreetRequest):
    if message.name == "Newman":
        raise ValueError(f"Hello, {message.name}.")
"""


def test_a_function_that_raises_exits_1_with_its_message(cli: Cli, project: MakeProject) -> None:
    p = project(RAISES, "lab/grumpy")

    result = cli("run", p.module, p.functions, "--names", "Jerry,Newman,Jerry")

    assert result.status == 1
    line = RAISES.splitlines().index('        raise ValueError(f"Hello, {message.name}.")') + 1
    err = result.err.splitlines()
    assert err[0] == (
        "statefun-lab: error: function lab/grumpy/Newman failed: the function raised "
        "ValueError: Hello, Newman."
    )
    assert err[1].startswith("  at ") and err[1].endswith(
        f'{p.functions.name}:{line} in grumpy: raise ValueError(f"Hello, {{message.name}}.")'
    )
    assert "Traceback" not in result.err
    assert err[-1].startswith("2 records in, 0 egress records out, 2 requests")
