"""The ``statefun-lab`` command line: run a module's functions on the local runtime or check
them, diagnose or start a project, run the real Flink StateFun, copy the notebooks.

    statefun-lab run module.yaml greeter/greeter.py --count 12 --seed 7
    statefun-lab check module.yaml greeter/greeter.py
    statefun-lab doctor path/to/project --fix
    statefun-lab new my-project
    statefun-lab flink run module.yaml greeter/greeter.py --names Ann Bob Ann
    statefun-lab notebooks workshop/ --lang zh

Exit status: 0 done, 1 a function failed (``run``) or problems found (``check``), 2 the input
cannot be used (options, module.yaml, the Python file, a JSON line on stdin).

The package: :mod:`~statefun.cli.parser` (the top-level parser, option types, usage errors),
:mod:`~statefun.cli.sources` (the records fed), :mod:`~statefun.cli.render` (what is printed),
and a module per command (:mod:`~statefun.cli.run`, :mod:`~statefun.cli.check`; the others
live with their feature: :mod:`statefun.project.doctor`, :mod:`statefun.project.scaffold`,
:mod:`statefun.flink.cli`, :mod:`statefun.workshop`), each with an ``add_parser(subparsers)``.
A new command is one more module in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys

from statefun import workshop
from statefun._loader import FunctionFileError
from statefun.cli import check, run
from statefun.cli import parser as _parser
from statefun.cli.parser import (
    PROG,
    Command,
    UsageError,
    error,
)
from statefun.errors import ModuleYamlError
from statefun.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from statefun.flink import cli as flink_cli
from statefun.project import doctor, scaffold

__all__ = ["COMMANDS", "build_parser", "main"]

#: The commands, in the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (run, check, doctor, scaffold, flink_cli, workshop)


def build_parser() -> argparse.ArgumentParser:
    """The ``statefun-lab`` argument parser, with a subcommand for each of :data:`COMMANDS`."""
    return _parser.build_parser(COMMANDS)


def main(argv: list[str] | None = None) -> int:
    """Run the ``statefun-lab`` command line; returns the exit status."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
    except BrokenPipeError:  # `statefun-lab run ... | head -1`: the reader has gone
        _stdout_to_devnull()
        return EXIT_FAILED
    except KeyboardInterrupt:  # (during a run, `run` prints the summary first)
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again.

    The Python docs' way (signal module, "Note on SIGPIPE").
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error already printed
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        status: int = args.handler(args)
    except (UsageError, ModuleYamlError, FunctionFileError) as e:
        error(str(e))
        return EXIT_USAGE
    return status
