"""statefun.cli.sources: the records `run` feeds, from the generator or stdin."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)
MakeProject = Callable[..., Any]  # conftest.project / echo_project: (...) -> Project

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


def stdin(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))


# -- the built-in generator -----------------------------------------------------------------


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


# -- JSON lines on stdin --------------------------------------------------------------------


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


# -- which ingress --------------------------------------------------------------------------


def test_an_ingress_that_is_not_there_is_a_usage_error(cli: Cli) -> None:
    result = cli("run", *WALKTHROUGH, "--ingress", "example/nope")

    assert result.status == 2
    assert "no ingress with id or topic 'example/nope'" in result.err


def test_several_topics_need_ingress(cli: Cli, echo_project: MakeProject) -> None:
    p = echo_project("message")
    text = p.module.read_text(encoding="utf-8")
    second = (
        "              - topic: more\n"
        "                typeUrl: com.googleapis/example.GreetRequest\n"
        "                targets: [lab/echo]\n"
    )
    p.module.write_text(text.replace("    egresses:", second + "    egresses:"), encoding="utf-8")

    ambiguous = cli("run", p.module, p.functions, "--names", "Jo")
    chosen = cli("run", p.module, p.functions, "--names", "Jo", "--ingress", "more")
    by_id = cli("run", p.module, p.functions, "--names", "Jo", "--ingress", "lab/names")

    assert ambiguous.status == 2
    assert "reads several topics (names, more): pick one with --ingress TOPIC" in ambiguous.err
    assert chosen.status == 0
    assert chosen.lines == ["Jo:\t0x0a024a6f"]
    # the runtime's rule (statefun.local.routing), word for word
    assert by_id.status == 2
    assert by_id.err == (
        "statefun-lab: error: ingress lab/names reads several topics ('names', 'more'): name the "
        "topic the record arrives on instead of the ingress id, e.g. 'names'.\n"
    )
