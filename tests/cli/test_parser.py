"""statefun.cli.parser: the top-level parser, option types, usage errors."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import statefun
from statefun.cli import COMMANDS, build_parser
from statefun.cli.parser import (
    Subparsers,
    add_command,
    endpoint,
    name_list,
    non_negative_float,
    non_negative_int,
    positive_int,
    rate,
    wait,
)
from statefun.cli.parser import build_parser as build_parser_from
from statefun.exit_status import EXIT_OK

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


# -- the top level --------------------------------------------------------------------------


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


def test_swapped_arguments_get_a_hint(cli: Cli) -> None:
    result = cli("check", GREETER_PY, MODULE_YAML)

    assert result.status == 2
    assert "module.yaml comes first, then the Python file" in result.err


def test_version_prints_the_package_version(cli: Cli) -> None:
    result = cli("--version")

    assert result.status == 0
    assert result.out == f"statefun-lab {statefun.__version__}\n"


def test_commands_are_listed_in_the_order_of_COMMANDS() -> None:
    help_text = build_parser().format_help()

    assert [command.__name__ for command in COMMANDS] == [
        "statefun.cli.run",
        "statefun.cli.check",
        "statefun.project.doctor",
        "statefun.project.scaffold",
        "statefun.flink.cli",
        "statefun.workshop",
    ]
    names = ["run", "check", "doctor", "new", "flink", "notebooks"]
    places = [help_text.index(f"\n    {name}") for name in names]
    assert places == sorted(places)


# -- registering a command ------------------------------------------------------------------


def hello_command() -> ModuleType:
    """A command module as another helper writes one: ``add_parser`` sets ``handler``."""
    module = ModuleType("hello")

    def hello(args: argparse.Namespace) -> int:
        print(f"hello {args.who}")
        return EXIT_OK

    def add_parser(subparsers: Subparsers) -> None:
        parser = add_command(
            subparsers, "hello", help="say hello", description="Say hello.", epilog=""
        )
        parser.add_argument("who")
        parser.add_argument("--times", type=positive_int, default=1)
        parser.set_defaults(handler=hello)

    module.add_parser = add_parser  # type: ignore[attr-defined]
    return module


def test_a_command_module_is_one_more_entry(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser_from((*COMMANDS, hello_command()))

    args = parser.parse_args(["hello", "Jerry"])
    status = args.handler(args)

    assert status == 0 and capsys.readouterr().out == "hello Jerry\n"
    assert "hello" in parser.format_help() and "run" in parser.format_help()


def test_a_command_s_usage_error_is_two_lines(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser_from([hello_command()])

    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["hello", "Jerry", "--times", "0"])

    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "statefun-lab hello: error: argument --times: must be 1 or more, got 0\n"
        "Run `statefun-lab hello --help` for the options.\n"
    )


# -- option types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option_type", "text", "says"),
    [
        (non_negative_int, "-1", "must be 0 or more, got -1"),
        (non_negative_int, "x", "expected a whole number, got 'x'"),
        (positive_int, "0", "must be 1 or more, got 0"),
        (non_negative_float, "nan", "must be a finite number, got nan"),
        (rate, "1e-30", "must be 0, or at least 3.17e-11 records per second"),
        (wait, "1e12", "must be at most 31557600000 seconds (1000 years"),
        (name_list, "Jerry,,George", "expected comma-separated non-empty names"),
        (endpoint, "example/greeter", "expected TYPE=URL"),
        (endpoint, "greeter=http://x", "expected TYPE=URL"),
    ],
)
def test_an_option_value_that_cannot_be_used_says_why(
    option_type: Callable[[str], object], text: str, says: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(says)):
        option_type(text)


@pytest.mark.parametrize(
    ("option_type", "text", "value"),
    [
        (non_negative_int, "0", 0),
        (positive_int, "3", 3),
        (rate, "0", 0.0),
        (wait, "2.5", 2.5),
        (name_list, " Jerry, George ", ("Jerry", "George")),
        (endpoint, "example/greeter = http://x/statefun", ("example/greeter", "http://x/statefun")),
    ],
)
def test_an_option_value_is_parsed(
    option_type: Callable[[str], object], text: str, value: object
) -> None:
    assert option_type(text) == value
