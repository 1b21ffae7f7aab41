"""Misusing ``statefun-lab``: each mistake is a short, clear error and an exit status, never a
traceback. 2: the input cannot be used (nothing ran); 1: something failed while running."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from statefun.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"
WALKTHROUGH_MODULE = MODULE_YAML.read_text(encoding="utf-8")

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)

USAGE, FAILED = 2, 1
W = ("run", "{module}", "{greeter}")  # the walkthrough, run in this process

RAISES_AT_IMPORT = b"import os\n\nraise RuntimeError('no database at import time')\n"
READS_ANOTHER_TYPE = b"""\
from messages_pb2 import GreetRequest, SeenCount
from google.protobuf.any_pb2 import Any
from statefun import StatefulFunctions

functions = StatefulFunctions()


@functions.bind("example/greeter")
def greet(context, message: GreetRequest):
    if context["seen_count"] is None:
        url = "type.googleapis.com/example.SeenCount"
        context["seen_count"] = Any(type_url=url, value=b"\\x0a")
    else:
        context.state("seen_count").unpack(SeenCount)
"""


@dataclass(frozen=True)
class Misuse:
    """One mistake: the command line, what it must say, and the exit status."""

    id: str
    argv: tuple[str, ...]  # {tmp}: the test's directory; {module}, {greeter}: the walkthrough's
    status: int
    says: str
    stdin: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # written under {tmp}; "x/": a dir


MISUSES = [
    # -- numbers out of range: the virtual clock starts in 2020, Python's dates end in 9999
    Misuse(
        "rate-too-small",
        (*W, "--rate", "1e-12"),
        USAGE,
        "argument --rate: must be 0, or at least 3.17e-11 records per second",
    ),
    Misuse("rate-1e-300", (*W, "--rate", "1e-300"), USAGE, "argument --rate: must be 0, or at"),
    Misuse("rate-negative", (*W, "--rate", "-1"), USAGE, "argument --rate: must be 0 or more"),
    Misuse("rate-nan", (*W, "--rate", "nan"), USAGE, "argument --rate: must be a finite number"),
    Misuse("rate-words", (*W, "--rate", "fast"), USAGE, "argument --rate: expected a number"),
    Misuse(
        "wait-too-long",
        (*W, "--wait", "3e11"),
        USAGE,
        "argument --wait: must be at most 31557600000 seconds (1000 years, the most virtual time",
    ),
    Misuse("wait-inf", (*W, "--wait", "inf"), USAGE, "argument --wait: must be a finite number"),
    Misuse(
        "count-over-the-clock",
        (*W, "--count", "100", "--rate", "1e-9"),
        USAGE,
        "--count 100 at --rate 1e-09 covers 3,168.8 years of virtual time",
    ),
    Misuse(
        "huge-count-at-rate-1",
        (*W, "--count", "99999999999999999999999"),
        USAGE,
        "covers 3,168,808,781,402,895 years of virtual time; a run covers at most 1000 years",
    ),
    Misuse(
        "count-plus-wait-over-the-clock",
        (*W, "--count", "10000000", "--wait", "3.155e10"),
        USAGE,
        "--count 10000000 at --rate 1 (plus --wait 3.155e+10) covers 1,000.1 years",
    ),
    Misuse(
        "huge-count-at-rate-0",
        (*W, "--count", "99999999999999999999999", "--rate", "0"),
        USAGE,
        "at --rate 0 all 99999999999999999999999 records queue in memory at once; at most "
        "1,000,000 can",
    ),
    Misuse("count-negative", (*W, "--count", "-1"), USAGE, "argument --count: must be 0 or more"),
    Misuse("count-words", (*W, "--count", "ten"), USAGE, "expected a whole number, got 'ten'"),
    Misuse("seed-words", (*W, "--seed", "x"), USAGE, "argument --seed: invalid int value: 'x'"),
    Misuse("names-empty", (*W, "--names", ","), USAGE, "expected comma-separated non-empty names"),
    # -- flags that do not go together
    Misuse("stdin-and-count", (*W, "--stdin", "--count", "3"), USAGE, "--count only applies to"),
    Misuse("names-and-seed", (*W, "--names", "A", "--seed", "1"), USAGE, "use one or the other"),
    Misuse(
        "check-with-run-options",
        ("check", "{module}", "{greeter}", "--count", "1"),
        USAGE,
        "unrecognized arguments: --count 1",
    ),
    Misuse("unknown-command", ("bogus",), USAGE, "invalid choice: 'bogus'"),
    Misuse("check-without-file", ("check", "{module}"), USAGE, "required: FUNCTIONS_PY"),
    Misuse("swapped", ("run", "{greeter}", "{module}"), USAGE, "module.yaml comes first"),
    # -- files
    Misuse("no-module-yaml", ("run", "{tmp}/nope.yaml", "{greeter}"), USAGE, "file not found"),
    Misuse(
        "module-yaml-is-a-directory",
        ("run", "{tmp}/adir", "{greeter}"),
        USAGE,
        "adir/module.yaml: file not found",
        files={"adir/": b""},
    ),
    Misuse(
        "empty-module-yaml",
        ("run", "{tmp}/m.yaml", "{greeter}"),
        USAGE,
        "m.yaml:1: the file is empty",
        files={"m.yaml": b""},
    ),
    Misuse(
        "module-yaml-not-utf8",
        ("run", "{tmp}/m.yaml", "{greeter}"),
        USAGE,
        "m.yaml:2: byte 0xE9 at column 12 is not UTF-8",
        files={"m.yaml": b'version: "1.0"\nmodule: caf\xe9\n'},
    ),
    Misuse("no-functions-file", ("run", "{module}", "{tmp}/nope.py"), USAGE, "nope.py: file not"),
    Misuse(
        "functions-file-is-a-directory",
        ("run", "{module}", "{tmp}/adir"),
        USAGE,
        "adir: not a Python file",
        files={"adir/": b""},
    ),
    Misuse(
        "empty-functions-file",
        ("run", "{module}", "{tmp}/empty_fns.py"),
        USAGE,
        "empty_fns.py defines no StatefulFunctions",
        files={"empty_fns.py": b""},
    ),
    Misuse(
        "functions-file-with-a-syntax-error",
        ("run", "{module}", "{tmp}/syntax_fns.py"),
        USAGE,
        "syntax_fns.py:2: importing {tmp}/syntax_fns.py failed: SyntaxError",
        files={"syntax_fns.py": b"import os\ndef f(:\n"},
    ),
    Misuse(
        "functions-file-that-raises-at-import",
        ("run", "{module}", "{tmp}/raising_fns.py"),
        USAGE,
        "raising_fns.py:3: importing {tmp}/raising_fns.py failed: RuntimeError: no database",
        files={"raising_fns.py": RAISES_AT_IMPORT},
    ),
    Misuse(
        "module-names-a-function-the-file-does-not-bind",
        ("run", "{tmp}/module.yaml", "{greeter}"),
        USAGE,
        "module.yaml declares function type 'example/greeterz', but {greeter} binds no function "
        "to it (it binds: example/greeter)",
        files={
            "module.yaml": WALKTHROUGH_MODULE.replace(
                "example/greeter", "example/greeterz"
            ).encode()
        },
    ),
    Misuse("no-such-variable", ("run", "{module}", "{greeter}:nope"), USAGE, "no global named"),
    # -- options naming what is not there
    Misuse("bad-endpoint", (*W, "--endpoint", "nope"), USAGE, "expected TYPE=URL"),
    Misuse(
        "endpoint-not-declared",
        (*W, "--endpoint", "example/nope=http://localhost:1/statefun"),
        USAGE,
        "endpoints given for ['example/nope'], which module.yaml does not declare",
    ),
    Misuse(
        "endpoint-scheme", (*W, "--endpoint", "example/greeter=ftp://x"), USAGE, "the scheme must"
    ),
    Misuse("unknown-ingress", (*W, "--ingress", "example/greets"), USAGE, "no ingress with id"),
    Misuse("unknown-egress-type", (*W, "--egress-type", "example.Nope"), USAGE, "no message type"),
    # -- stdin
    Misuse("stdin-not-json", (*W, "--stdin"), USAGE, "stdin line 1: not valid JSON", b"Jerry\n"),
    Misuse(
        "stdin-not-utf8",
        (*W, "--stdin"),
        USAGE,
        "stdin line 2: not UTF-8 text (byte 0xff at column 11)",
        b'{"key": "Jerry", "value": {"name": "Jerry"}}\n{"key": "J\xffrry"}\n',
    ),
    Misuse(
        "stdin-nested-too-deeply",
        (*W, "--stdin"),
        USAGE,
        "stdin line 1: not valid JSON (nested too deeply)",
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
    ),
    Misuse("stdin-array", (*W, "--stdin"), USAGE, "expected a JSON object", b'["Jerry"]\n'),
    Misuse("stdin-a-number", (*W, "--stdin"), USAGE, "got the number nan", b"NaN\n"),
    Misuse(
        "stdin-value-not-an-object",
        (*W, "--stdin"),
        USAGE,
        '"value" must be a JSON object',
        b'{"key": "Jerry", "value": "Jerry"}\n',
    ),
    Misuse(
        "stdin-field-of-the-wrong-type",
        (*W, "--stdin"),
        USAGE,
        '"value" is not a valid example.GreetRequest',
        b'{"key": "Jerry", "value": {"name": 5}}\n',
    ),
    Misuse(
        "stdin-key-not-a-string",
        (*W, "--stdin"),
        USAGE,
        '"key" must be a non-empty string',
        b'{"key": 5, "value": {"name": "x"}}\n',
    ),
    # -- while running: exit 1, what failed and where
    Misuse(
        "endpoint-refuses",
        (*W, "--endpoint", "example/greeter=http://127.0.0.1:1/statefun", "--count", "1"),
        FAILED,
        "Connection refused",
    ),
    Misuse(
        "state-that-does-not-decode",
        ("run", "{module}", "{tmp}/another_type_fns.py", "--names", "Jerry,Jerry"),
        FAILED,
        "the SDK refused the request with HTTP 400, which the runtime does not retry: "
        "PayloadDecodeError: state 'seen_count' of example/greeter/Jerry",
        files={"another_type_fns.py": READS_ANOTHER_TYPE},
    ),
]


def _summary(line: str) -> bool:
    return " records in, " in line or " record in, " in line


@pytest.mark.parametrize("misuse", MISUSES, ids=[m.id for m in MISUSES])
def test_a_misuse_is_a_short_clear_error(
    misuse: Misuse, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, content in misuse.files.items():
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir()
        else:
            path.write_bytes(content)
    stdin = io.TextIOWrapper(
        io.BytesIO(misuse.stdin or b""), encoding="utf-8", errors="surrogateescape"
    )
    monkeypatch.setattr(sys, "stdin", stdin)
    places = {"tmp": str(tmp_path), "module": str(MODULE_YAML), "greeter": str(GREETER_PY)}

    result = cli(*(arg.format(**places) for arg in misuse.argv))

    error = [line for line in result.err.splitlines() if not _summary(line)]
    assert result.status == misuse.status, result.err
    assert "Traceback" not in result.err
    assert misuse.says.format(**places) in result.err
    assert 1 <= len(error) <= 3, result.err
    assert error[0].startswith("statefun-lab"), result.err
    if misuse.status == USAGE and misuse.stdin is None:  # (stdin's records stream in)
        assert result.out == ""


def test_count_0_is_a_run_of_nothing(cli: Cli) -> None:
    result = cli("run", MODULE_YAML, GREETER_PY, "--count", "0")

    assert result.status == 0
    assert result.out == ""
    assert result.err == (
        "0 records in, 0 egress records out, 0 requests (largest batch 0), virtual time +0.000s\n"
    )


def test_a_rate_that_just_fits_runs(cli: Cli) -> None:
    # two records 500 years apart: the clock reaches 1000 years after 2020, and no further
    result = cli("run", MODULE_YAML, GREETER_PY, "--names", "Jo,Al", "--rate", "6.4e-11")

    assert result.status == 0, result.err
    assert result.lines == ["Jo:\tWelcome Jo", "Al:\tWelcome Al"]
    assert "virtual time +31250000000.000s" in result.err


def test_stdin_records_past_the_clock_are_refused_at_the_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = b'{"key": "Jo", "value": {"name": "Jo"}}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line * 3), encoding="utf-8"))

    result = cli("run", MODULE_YAML, GREETER_PY, "--stdin", "--rate", "5e-11")  # 634 years apart

    assert result.status == 2
    assert result.lines == ["Jo:\tWelcome Jo"]
    assert result.err.startswith(
        "statefun-lab: error: stdin line 2: at --rate 5e-11, the run would cover more than 1000 "
        "years of virtual time"
    )


# -- stdin: the line reading ------------------------------------------------------------------


def test_a_utf8_bom_at_the_start_of_stdin_is_not_an_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b'\xef\xbb\xbf{"key": "Jerry", "value": {"name": "Jerry"}}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body), encoding="utf-8"))

    result = cli("run", MODULE_YAML, GREETER_PY, "--stdin")

    assert result.status == 0, result.err
    assert result.lines == ["Jerry:\tWelcome Jerry"]


def test_invalid_utf8_from_a_text_stream_is_named_too(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a text stream with no bytes below it, decoded with surrogateescape (Python's C locale)
    text = b'{"key": "J\xffrry", "value": {"name": "J"}}\n'.decode("utf-8", "surrogateescape")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    result = cli("run", MODULE_YAML, GREETER_PY, "--stdin")

    assert result.status == 2
    assert "stdin line 1: not UTF-8 text (byte 0xff at column 11)" in result.err
    assert "surrogates" not in result.err


# -- the pipe closes early: `statefun-lab run ... | head -1` ----------------------------------


def test_a_closed_pipe_ends_the_run_quietly(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    read, write = os.pipe()
    os.close(read)  # `head -1` has exited
    stdout = open(write, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        status = main(["run", str(MODULE_YAML), str(GREETER_PY), "--count", "3", "--seed", "1"])
    finally:
        monkeypatch.undo()
        stdout.close()  # the fd now points to /dev/null: closing it raises nothing

    assert status == 1


def test_head_1_reads_one_line_and_the_command_exits_without_a_traceback() -> None:
    script = Path(sys.executable).parent / "statefun-lab"
    argv = [str(script), "run", "module.yaml", "greeter/greeter.py", "--count", "5000"]
    with subprocess.Popen(
        [*argv, "--rate", "0", "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # what `head -1` does after its line
        err = process.stderr.read().decode()
        status = process.wait(timeout=120)

    assert first.endswith(b"\n") and b":\t" in first
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert err == ""
    assert status == 1


# -- Ctrl-C --------------------------------------------------------------------------------


def test_ctrl_c_while_the_functions_file_loads_exits_130_quietly(cli: Cli, tmp_path: Path) -> None:
    slow = tmp_path / "slow_import_fns.py"
    slow.write_text("raise KeyboardInterrupt\n", encoding="utf-8")

    result = cli("run", MODULE_YAML, slow)

    assert result.status == 130
    assert result.err == "statefun-lab: interrupted\n"


def test_stdin_at_rate_0_queues_at_most_max_burst_records(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("statefun.cli.run.MAX_BURST", 2)  # the real bound is 1,000,000
    line = b'{"key": "Jo", "value": {"name": "Jo"}}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line * 3), encoding="utf-8"))

    result = cli("run", MODULE_YAML, GREETER_PY, "--stdin", "--rate", "0")

    assert result.status == 2
    assert result.out == ""  # at --rate 0 nothing runs before the last record is in
    assert result.err.startswith(
        "statefun-lab: error: stdin line 3: at --rate 0 every record queues in memory before the "
        "first one runs; at most 2 can."
    )
