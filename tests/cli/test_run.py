"""statefun.cli.run: `statefun-lab run`, called as a participant would."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from statefun._loader import load_function_file

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)
MakeProject = Callable[..., Any]  # conftest.project / echo_project: (...) -> Project

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


# -- the walkthrough ------------------------------------------------------------------------


def test_run_greets_repeated_names_as_the_walkthrough_does(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--names", "Jerry,Jerry,George,Jerry,Jerry,Jerry")

    assert result.status == 0
    assert result.lines == [
        "Jerry:\tWelcome Jerry",
        "Jerry:\tNice to see you again Jerry",
        "George:\tWelcome George",
        "Jerry:\tThird time is a charm Jerry",
        "Jerry:\tNice to see you at the 4-nth time Jerry!",
        "Jerry:\tNice to see you at the 5-nth time Jerry!",
    ]
    assert "Traceback" not in result.err


def test_rate_zero_queues_every_record_at_once_and_the_runtime_batches_them(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--names", "Jerry,Jerry,Jerry,Jerry", "--rate", "0")

    assert result.lines == [
        "Jerry:\tWelcome Jerry",
        "Jerry:\tNice to see you again Jerry",
        "Jerry:\tThird time is a charm Jerry",
        "Jerry:\tNice to see you at the 4-nth time Jerry!",
    ]
    # The first record is in flight while the other three arrive: they go as one batch.
    assert "4 records in, 4 egress records out, 2 requests (largest batch 3)" in result.err
    assert "virtual time +0.000s" in result.err


# -- the virtual clock ----------------------------------------------------------------------


LATER = """\
from datetime import timedelta
from typing import Union

from messages_pb2 import GreetRequest, GreetResponse

from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()


@functions.bind("lab/later")
def later(context, message: Union[GreetRequest, GreetResponse]):
    if isinstance(message, GreetRequest):
        name = message.name
        soon = GreetResponse(name=name, greeting=f"Later {name}")
        context.pack_and_send_after(timedelta(seconds=2), "lab/later", name, soon)
        now = GreetResponse(name=name, greeting=f"Now {name}")
        context.pack_and_send_egress("lab/out", kafka_egress_record("out", now, key=name))
    else:
        record = kafka_egress_record("out", message, key=message.name)
        context.pack_and_send_egress("lab/out", record)
"""


def test_rate_moves_the_virtual_clock_so_delayed_messages_fire_on_time(
    cli: Cli, project: MakeProject
) -> None:
    p = project(LATER, "lab/later")

    result = cli("run", p.module, p.functions, "--names", "Jerry,George,Kramer")

    # Records arrive at +0s, +1s and +2s; the run ends at +3s. Jerry's delayed message is due
    # at +2s (before Kramer's record, queued first), George's at +3s, Kramer's at +4s.
    assert result.lines == [
        "Jerry:\tNow Jerry",
        "George:\tNow George",
        "Jerry:\tLater Jerry",
        "Kramer:\tNow Kramer",
        "George:\tLater George",
    ]
    assert result.err.splitlines()[-1].endswith(
        "virtual time +3.000s, 1 delayed message not yet due (see --wait)"
    )

    faster = cli("run", p.module, p.functions, "--names", "Jerry,George,Kramer", "--rate", "2")
    assert [line.split("\t")[1] for line in faster.lines] == [
        "Now Jerry",
        "Now George",
        "Now Kramer",
    ]

    waited = cli("run", p.module, p.functions, "--names", "Jerry", "--wait", "1")
    assert waited.lines == ["Jerry:\tNow Jerry", "Jerry:\tLater Jerry"]
    assert waited.err.splitlines()[-1].endswith("virtual time +2.000s")


# -- options and inputs that cannot be used -------------------------------------------------


def test_stdin_does_not_mix_with_the_generator_options(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--stdin", "--count", "3")

    assert result.status == 2
    assert "--count only applies to the built-in generator" in result.err


def test_an_unknown_egress_type_is_a_usage_error(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--egress-type", "example.Nope")

    assert result.status == 2
    assert "no message type 'example.Nope' is loaded" in result.err


def test_a_bad_module_yaml_exits_2_with_file_and_line(cli: Cli, tmp_path: Path) -> None:
    module = tmp_path / "module.yaml"
    text = MODULE_YAML.read_text(encoding="utf-8").replace(
        "maxNumBatchRequests: 500", "maxNumBatchRequests: many"
    )
    module.write_text(text, encoding="utf-8")
    line = text.splitlines().index("            maxNumBatchRequests: many") + 1

    result = cli("run", module, GREETER_PY)

    assert result.status == 2
    assert result.err.startswith(f"statefun-lab: error: {module}:{line}: ")
    assert "maxNumBatchRequests" in result.err
    assert "Traceback" not in result.err


def test_a_missing_module_yaml_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("run", tmp_path / "nope.yaml", GREETER_PY)

    assert result.status == 2
    assert "nope.yaml: file not found" in result.err


def test_a_missing_python_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("run", MODULE_YAML, tmp_path / "greeter.py")

    assert result.status == 2
    assert f"{tmp_path / 'greeter.py'}: file not found" in result.err
    assert "Traceback" not in result.err


def test_the_python_file_is_needed_without_http(cli: Cli) -> None:
    result = cli("run", MODULE_YAML)

    assert result.status == 2
    assert "give the Python file that binds the functions" in result.err


def test_a_python_file_that_fails_to_import_names_its_line(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken_cli_import.py"
    broken.write_text("import os\nimport no_such_module_here\n", encoding="utf-8")

    result = cli("run", MODULE_YAML, broken)

    assert result.status == 2
    assert f"{broken}:2: importing {broken} failed: ModuleNotFoundError" in result.err
    assert "broken_cli_import" not in sys.modules


# -- a function that keeps sending to itself ------------------------------------------------


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


# -- over HTTP ------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def greeter_url() -> Iterator[str]:
    """The walkthrough's Flask app, served on a loopback port by wsgiref on a thread."""
    loaded = load_function_file(str(GREETER_PY))
    server = make_server("127.0.0.1", 0, loaded.module.app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()  # the socket listens already: requests queue until the thread accepts
    try:
        yield f"http://127.0.0.1:{server.server_port}/statefun"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_calls_the_endpoints_instead_of_in_process(cli: Cli, greeter_url: str) -> None:
    endpoint = f"example/greeter={greeter_url}"
    messages = ROOT / "greeter" / "messages_pb2.py"

    result = cli("run", MODULE_YAML, messages, "--http", "--endpoint", endpoint, "--names", "Jo,Jo")
    traced = cli("run", *WALKTHROUGH, "--http", "--endpoint", endpoint, "--names", "Al", "--trace")

    assert result.status == 0, result.err
    assert result.lines == ["Jo:\tWelcome Jo", "Jo:\tNice to see you again Jo"]
    assert traced.status == 0, traced.err
    assert (
        f"example/greeter/Al batch=1 states[seen_count=empty] via HTTP {greeter_url}" in traced.out
    )


# -- the installed console script -----------------------------------------------------------


def test_the_console_script_runs_the_walkthrough(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    script = Path(sys.executable).parent / "statefun-lab"
    argv = ["run", "module.yaml", "greeter/greeter.py", "--count", "5", "--seed", "1"]

    done = subprocess.run(
        [str(script), *argv], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 5
    assert done.stdout == cli(*argv).out
    assert done.stderr.splitlines()[-1].startswith("5 records in, 5 egress records out")


FAN_OUT = """\
from messages_pb2 import GreetRequest
from statefun import StatefulFunctions

functions = StatefulFunctions()


@functions.bind("example/greeter")
def greet(context, request: GreetRequest):
    for other in ("a", "b"):
        context.pack_and_send("example/greeter", context.address.identity + other, request)
"""


def test_run_stops_a_fan_out_at_the_message_budget(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "fan_out.py"
    path.write_text(FAN_OUT)
    result = cli("run", MODULE_YAML, path, "--names", "Jerry", "--max-messages", "300")
    assert result.status == 1
    assert "failed: a message storm?" in result.err
    assert "(max_messages=300)" in result.err
    assert "statefun-lab run --max-messages N" in result.err and "Traceback" not in result.err
