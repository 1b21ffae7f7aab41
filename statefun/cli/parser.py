"""The ``statefun-lab`` argument parser: the top level, the option types, usage errors.

Each command is a module with an ``add_parser(subparsers)`` function that adds its subcommand
and sets ``handler`` (``(args) -> exit status``) with ``set_defaults``;
:func:`build_parser` adds the commands it is given, in order.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from datetime import timedelta
from typing import NoReturn, Protocol, TypeAlias, cast

import statefun
from statefun.exit_status import EXIT_USAGE, print_error

__all__ = [
    "MAX_SECONDS",
    "MAX_SPAN",
    "MIN_RATE",
    "PROG",
    "STRICT_HELP",
    "WHY_SPAN",
    "YEAR_SECONDS",
    "CliParser",
    "Command",
    "Subparsers",
    "UsageError",
    "add_command",
    "build_parser",
    "check_order",
    "endpoint",
    "error",
    "name_list",
    "non_negative_float",
    "non_negative_int",
    "positive_int",
    "rate",
    "wait",
    "warn",
]

PROG = "statefun-lab"

# The virtual clock starts in 2020 (statefun.local.clock.EPOCH) and Python's dates end in the
# year 9999. A run covers at most 1000 years of it, which leaves room for the delayed messages
# and state TTLs set near its end.
MAX_SPAN = timedelta(days=365_250)
MAX_SECONDS = MAX_SPAN.total_seconds()
YEAR_SECONDS = MAX_SECONDS / 1000
MIN_RATE = 1 / MAX_SECONDS  # one record per 1000 years
WHY_SPAN = "the virtual clock starts in 2020 and Python's dates end in the year 9999"

STRICT_HELP = (
    "make a key of module.yaml that the runtime ignores (most often a typo, e.g. `Egresses:`) "
    "an error instead of a warning"
)

_DESCRIPTION = (
    "StateFun Lab: learn and prototype Apache Flink Stateful Functions 2.x in Python.\n"
    "Run the functions of a module.yaml on a local runtime that behaves like Flink's\n"
    "(one request at a time per address, batching, delayed messages, state TTL), with\n"
    "no Flink, no Kafka and no Docker."
)
_EPILOG = (
    "examples:\n"
    "  statefun-lab run module.yaml greeter/greeter.py\n"
    "  statefun-lab check module.yaml greeter/greeter.py\n"
    "\n"
    "Run `statefun-lab run --help` for the options of a command."
)


class UsageError(Exception):
    """The input cannot be used: ``main`` exits 2 with this message, no traceback."""


class CliParser(argparse.ArgumentParser):
    """argparse, with a two-line usage error instead of the whole usage block before it."""

    def error(self, message: str) -> NoReturn:
        """Exit 2 with the message and where to find the options."""
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {message}\nRun `{self.prog} --help` for the options.\n",
        )


#: What a command's ``add_parser`` receives (argparse's ``add_subparsers()``).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Command(Protocol):
    """A command module: its ``add_parser`` adds the subcommand and sets ``handler``."""

    def add_parser(self, subparsers: Subparsers) -> None:
        """Add the subcommand to ``subparsers``."""


def build_parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    """The ``statefun-lab`` argument parser, with a subcommand from each of ``commands``."""
    parser = CliParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {statefun.__version__}")
    # (a CliParser each: argparse makes the subcommands' parsers of the parser's own class)
    subparsers = cast(Subparsers, parser.add_subparsers(dest="command", metavar="COMMAND"))
    for command in commands:
        command.add_parser(subparsers)
    return parser


def add_command(
    subparsers: Subparsers, name: str, *, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand whose description and epilog keep their line breaks."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def error(text: str) -> None:
    """Print ``statefun-lab: error: TEXT`` on stderr."""
    print_error(PROG, text)


def warn(text: str) -> None:
    """Print ``statefun-lab: warning: TEXT`` on stderr."""
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def check_order(args: argparse.Namespace) -> None:
    """A common slip: the Python file first. Say so instead of a YAML error about Python code."""
    first, second = str(args.module), str(args.functions or "")
    if first.split(":")[0].endswith(".py") and second.endswith((".yaml", ".yml")):
        raise UsageError(
            f"module.yaml comes first, then the Python file: "
            f"statefun-lab {args.command} {second} {first}"
        )


# ------------------------------------------------------------------------------------------------
# Option types: each raises argparse.ArgumentTypeError, which argparse shows as a usage error
# ------------------------------------------------------------------------------------------------


def non_negative_int(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number, 1 or more."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def rate(text: str) -> float:
    """Records per second of virtual time: 0 (all at once), or at least one per 1000 years."""
    value = non_negative_float(text)
    if 0 < value < MIN_RATE:
        raise argparse.ArgumentTypeError(
            f"must be 0, or at least {MIN_RATE:.3g} records per second (one per 1000 years, the "
            f"most virtual time a run covers: {WHY_SPAN}), got {text}"
        )
    return value


def wait(text: str) -> float:
    """Seconds of virtual time, at most 1000 years."""
    value = non_negative_float(text)
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_SECONDS:.0f} seconds (1000 years, the most virtual time a run "
            f"covers: {WHY_SPAN}), got {text}"
        )
    return value


def name_list(text: str) -> tuple[str, ...]:
    """Comma-separated non-empty names, e.g. ``Jerry,Jerry,George``."""
    names = tuple(name.strip() for name in text.split(","))
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected comma-separated non-empty names, got {text!r}")
    return names


def endpoint(text: str) -> tuple[str, str]:
    """``TYPE=URL``, e.g. ``example/greeter=http://localhost:8000/statefun``."""
    typename, sep, url = text.partition("=")
    if not sep or "/" not in typename or not url:
        raise argparse.ArgumentTypeError(
            f"expected TYPE=URL, e.g. example/greeter=http://localhost:8000/statefun, got {text!r}"
        )
    return typename.strip(), url.strip()
