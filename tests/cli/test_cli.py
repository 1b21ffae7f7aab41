"""The ``statefun-lab`` command line: ``run`` and ``check``, called as a participant would."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from statefun._loader import FunctionFileError, load_function_file

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)
MakeProject = Callable[..., Any]  # conftest.project: (source, *types) -> Project(module, functions)

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


def stdin(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))


# -- run: the walkthrough --------------------------------------------------------------------


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


def test_run_prints_a_summary_line_on_stderr(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--count", "5", "--seed", "1")

    assert result.status == 0
    assert result.err.splitlines()[-1] == (
        "5 records in, 5 egress records out, 5 requests (largest batch 1), virtual time +5.000s"
    )


def test_run_output_is_deterministic_for_a_seed(cli: Cli) -> None:
    first = cli("run", *WALKTHROUGH, "--count", "30", "--seed", "7")
    again = cli("run", *WALKTHROUGH, "--count", "30", "--seed", "7")
    other = cli("run", *WALKTHROUGH, "--count", "30", "--seed", "8")

    assert first.status == again.status == other.status == 0
    assert len(first.lines) == 30
    assert (first.out, first.err) == (again.out, again.err)
    assert first.out != other.out


def test_run_defaults_to_ten_random_walkthrough_names(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--seed", "3")

    names = [line.split(":\t")[0] for line in result.lines]
    assert len(names) == 10
    assert set(names) <= {"Jerry", "George", "Elaine", "Kramer", "Newman", "Frank"}


def test_random_names_are_those_of_the_event_generator_for_the_same_seed(cli: Cli) -> None:
    spec = importlib.util.spec_from_file_location(
        "event_generator_for_cli_test", ROOT / "generator" / "event-generator.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # dataclasses look their module up while building
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "(read|open)_text is deprecated", DeprecationWarning)
            spec.loader.exec_module(generator)
        expected = list(generator.name_sequence(count=12, seed=7))
    finally:
        del sys.modules[spec.name]

    result = cli("run", *WALKTHROUGH, "--count", "12", "--seed", "7")

    assert [line.split(":\t")[0] for line in result.lines] == expected


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


def test_quiet_prints_only_the_summary(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--count", "3", "--seed", "1", "--quiet")

    assert result.status == 0
    assert result.out == ""
    assert "3 records in, 3 egress records out" in result.err


# -- run: stdin ------------------------------------------------------------------------------


def test_stdin_json_lines_go_to_the_ingress(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(
        monkeypatch,
        '{"key": "Jerry", "value": {"name": "Jerry"}}',
        "",
        '{"key": "Elaine", "value": {"name": "Elaine"}, "topic": "names"}',
        json.dumps({"key": "Jerry", "value": {"name": "Jerry"}}),
    )

    result = cli("run", *WALKTHROUGH, "--stdin")

    assert result.status == 0
    assert result.lines == [
        "Jerry:\tWelcome Jerry",
        "Elaine:\tWelcome Elaine",
        "Jerry:\tNice to see you again Jerry",
    ]
    assert "3 records in" in result.err


def test_a_bad_json_line_fails_with_its_line_number(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(
        monkeypatch,
        '{"key": "Jerry", "value": {"name": "Jerry"}}',
        '{"key": "Jerry", "value": {"name": "Jerry"}',
    )

    result = cli("run", *WALKTHROUGH, "--stdin")

    assert result.status == 2
    assert "stdin line 2: not valid JSON" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"key": "Jerry", "value": {"nam": "Jerry"}}', 'no field named "nam"'),
        ('{"key": "", "value": {"name": "Jerry"}}', '"key" must be a non-empty string'),
        ('{"key": "Jerry", "value": "Jerry"}', '"value" must be a JSON object'),
        ('{"key": "Jerry", "value": {}, "topic": "nope"}', "no ingress with id or topic 'nope'"),
        ('["Jerry"]', "expected a JSON object"),
        ('{"key": "Jerry", "val": {}}', "unknown field(s) 'val'"),
    ],
)
def test_an_unusable_line_names_the_line_and_the_problem(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, line: str, problem: str
) -> None:
    stdin(monkeypatch, line)

    result = cli("run", *WALKTHROUGH, "--stdin")

    assert result.status == 2
    assert result.err.startswith("statefun-lab: error: stdin line 1: ")
    assert problem in result.err
    assert "Traceback" not in result.err


def test_stdin_does_not_mix_with_the_generator_options(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--stdin", "--count", "3")

    assert result.status == 2
    assert "--count only applies to the built-in generator" in result.err


# -- run: the virtual clock ------------------------------------------------------------------

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


# -- run: what gets printed for other egress values ------------------------------------------

ECHO = """\
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()


@functions.bind("lab/echo")
def echo(context, message: GreetRequest):
    context.pack_and_send_egress("lab/out", kafka_egress_record("out", VALUE, key=message.name))
"""


def test_a_message_without_greeting_prints_in_text_format(cli: Cli, project: MakeProject) -> None:
    p = project(ECHO.replace("VALUE", "SeenCount(seen=len(message.name))"), "lab/echo")

    result = cli("run", p.module, p.functions, "--names", "Jerry,Kramer")

    assert result.status == 0
    assert result.lines == ["Jerry:\tseen: 5", "Kramer:\tseen: 6"]


def test_bytes_that_fit_several_message_types_print_in_hex_unless_typed(
    cli: Cli, project: MakeProject
) -> None:
    # A GreetRequest's bytes are also a valid GreetResponse: inference cannot choose.
    p = project(ECHO.replace("VALUE", "message"), "lab/echo")

    result = cli("run", p.module, p.functions, "--names", "Jo")
    typed = cli(
        "run", p.module, p.functions, "--names", "Jo", "--egress-type", "example.GreetRequest"
    )

    assert result.lines == ["Jo:\t0x0a024a6f"]
    assert typed.lines == ['Jo:\tname: "Jo"']


def test_an_unknown_egress_type_is_a_usage_error(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--egress-type", "example.Nope")

    assert result.status == 2
    assert "no message type 'example.Nope' is loaded" in result.err


# -- run: errors -----------------------------------------------------------------------------

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


def test_swapped_arguments_get_a_hint(cli: Cli) -> None:
    result = cli("check", GREETER_PY, MODULE_YAML)

    assert result.status == 2
    assert "module.yaml comes first, then the Python file" in result.err


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


def test_an_ingress_that_is_not_there_is_a_usage_error(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--ingress", "example/nope")

    assert result.status == 2
    assert "no ingress with id or topic 'example/nope'" in result.err


def test_several_topics_need_ingress(cli: Cli, project: MakeProject) -> None:
    p = project(ECHO.replace("VALUE", "message"), "lab/echo")
    text = p.module.read_text(encoding="utf-8")
    second = (
        "              - topic: more\n"
        "                typeUrl: com.googleapis/example.GreetRequest\n"
        "                targets: [lab/echo]\n"
    )
    p.module.write_text(text.replace("    egresses:", second + "    egresses:"), encoding="utf-8")

    ambiguous = cli("run", p.module, p.functions, "--names", "Jo")
    chosen = cli("run", p.module, p.functions, "--names", "Jo", "--ingress", "more")

    assert ambiguous.status == 2
    assert "reads several topics (names, more): pick one with --ingress TOPIC" in ambiguous.err
    assert chosen.status == 0
    assert chosen.lines == ["Jo:\t0x0a024a6f"]


def test_no_command_prints_help_and_exits_2(cli: Cli) -> None:
    result = cli()

    assert result.status == 2
    assert "run" in result.err and "check" in result.err


def test_help_works_without_tqdm(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError

    helped = cli("run", "--help")
    ran = cli("run", *WALKTHROUGH, "--count", "2", "--seed", "1")

    assert helped.status == 0
    assert "--count N" in helped.out and "<key>:<TAB><greeting>" in helped.out
    assert ran.status == 0 and len(ran.lines) == 2


# -- run: over HTTP --------------------------------------------------------------------------


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


# -- check -----------------------------------------------------------------------------------


def test_check_ok_for_the_walkthrough(cli: Cli) -> None:
    result = cli("check", *WALKTHROUGH)

    assert result.status == 0
    assert result.out == (
        f"OK: {MODULE_YAML} and {GREETER_PY} fit together: 1 function (example/greeter); "
        "1 ingress (example/names: names -> example/greeter); 1 egress (example/greets)\n"
    )


def test_check_lists_each_problem_and_exits_1(cli: Cli, project: MakeProject) -> None:
    p = project(ECHO.replace("VALUE", "message"), "lab/echo", "lab/ghost")

    result = cli("check", p.module, p.functions)

    assert result.status == 1
    assert result.lines[0] == f"{p.module} and {p.functions} do not fit together (1 problem):"
    assert result.lines[1].startswith("1. function type 'lab/ghost' is declared in ")
    assert "no Python function is bound to it" in result.lines[1]


def test_check_a_bad_module_yaml_exits_2(cli: Cli, tmp_path: Path) -> None:
    module = tmp_path / "module.yaml"
    module.write_text("version: 1.0\n", encoding="utf-8")

    result = cli("check", module, GREETER_PY)

    assert result.status == 2
    assert result.err.startswith(f"statefun-lab: error: {module}:1: ")


# -- the functions file loader ---------------------------------------------------------------


def test_a_file_with_several_registries_needs_a_variable(tmp_path: Path) -> None:
    path = tmp_path / "several_registries.py"
    path.write_text(
        "from statefun import StatefulFunctions\n"
        "a = StatefulFunctions()\nb = StatefulFunctions()\nsame_as_a = a\n",
        encoding="utf-8",
    )

    with pytest.raises(FunctionFileError, match=r"several StatefulFunctions \(a, b\)"):
        load_function_file(str(path))
    assert "several_registries" not in sys.modules
    assert str(tmp_path) not in sys.path

    loaded = load_function_file(f"{path}:b")
    assert loaded.variable == "b" and loaded.functions is loaded.module.b


def test_a_file_without_a_registry_is_an_error_and_is_not_left_imported(tmp_path: Path) -> None:
    path = tmp_path / "no_registry_here.py"
    path.write_text("x = 1\n", encoding="utf-8")

    with pytest.raises(FunctionFileError, match="defines no StatefulFunctions"):
        load_function_file(str(path))
    assert "no_registry_here" not in sys.modules
    assert str(tmp_path) not in sys.path
    assert load_function_file(str(path), require_functions=False).functions is None


# -- the installed console script ------------------------------------------------------------


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
