"""The ``statefun-lab doctor [DIR] [--fix]`` command: its parser and its handler."""

from __future__ import annotations

import argparse

from statefun.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_error
from statefun.project.doctor._diagnose import diagnose
from statefun.project.doctor._fix import fix
from statefun.project.doctor._protoc import PROTOC_REQUIREMENT
from statefun.project.doctor._report import finding_line, summary

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "add_parser", "run"]

#: The project has problems to fix (the status of a command that ran and failed).
EXIT_PROBLEMS = EXIT_FAILED
_COMMAND = "statefun-lab doctor"

_DESCRIPTION = (
    "Read the project in DIR as checked in (module.yaml files, .proto files, generated\n"
    "_pb2.py files, the Python files that bind functions) and say, one line each, what\n"
    "will not work here and what to do: generated code too old for protobuf 7,\n"
    "module.yaml errors, functions bound but not declared (or the reverse), states,\n"
    "egresses and targets used but not declared, Flask endpoints without\n"
    "Content-Type: application/octet-stream.\n"
    "\n"
    "--fix regenerates outdated _pb2.py files from their .proto, in place, with the\n"
    f"pinned protoc ({PROTOC_REQUIREMENT}); it changes nothing else."
)
_EPILOG = (
    "examples:\n"
    "  statefun-lab doctor\n"
    "  statefun-lab doctor --fix path/to/project\n"
    "\n"
    "exit status: 0 nothing will fail (warnings allowed), 1 problems remain, 2 DIR is\n"
    "not a folder."
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``doctor`` subcommand (sets ``handler=run`` via set_defaults)."""
    parser = subparsers.add_parser(
        "doctor",
        help="say what in a StateFun 2.x project will not work here, and fix what is safe",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", metavar="DIR", nargs="?", default=".", help="the project folder")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="regenerate outdated generated code in place (the findings marked [fixable])",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The ``doctor`` command: print the findings (after fixing, with ``--fix``)."""
    try:
        diagnosis = diagnose(args.dir)
    except NotADirectoryError as e:
        print_error(_COMMAND, str(e))
        return EXIT_USAGE
    if args.fix and any(f.fixable for f in diagnosis.findings):
        try:
            done = fix(diagnosis)
        except ModuleNotFoundError as e:
            print_error(_COMMAND, str(e))
            return EXIT_PROBLEMS
        for line in done:
            print(line)
        diagnosis = diagnose(args.dir)
    for finding in diagnosis.findings:
        print(finding_line(finding))
    print(summary(diagnosis, args.dir))
    return EXIT_OK if diagnosis.ok else EXIT_PROBLEMS
