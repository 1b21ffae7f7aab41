"""``statefun-lab check``: do module.yaml and the Python functions fit together?"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence

from statefun._loader import load_function_file
from statefun.cli.parser import (
    EXIT_FAILED,
    EXIT_OK,
    STRICT_HELP,
    Subparsers,
    add_command,
    check_order,
)
from statefun.cli.render import plural
from statefun.errors import ModuleYamlWarning
from statefun.local.check import check_module
from statefun.local.module_yaml import ModuleSpec, load_module

__all__ = ["add_parser", "check", "read_module"]

_DESCRIPTION = (
    "Check MODULE_YAML against the functions bound in FUNCTIONS_PY, before anything\n"
    "runs: a function type declared but not bound (or bound but not declared), an\n"
    "ingress typeUrl naming a message type that is not loaded, a target or router\n"
    "that points nowhere. These would otherwise only fail the job on Flink.\n"
    "\n"
    "Prints OK with a summary, or each problem with its fix. A key of MODULE_YAML\n"
    "that the runtime ignores (a typo such as `Egresses:`) is a warning, an error\n"
    "with --strict."
)
_EPILOG = (
    "example:\n"
    "  statefun-lab check module.yaml greeter/greeter.py\n"
    "\n"
    "exit status: 0 they match, 1 problems found, 2 unusable input (module.yaml or the\n"
    "Python file cannot be read)."
)


def add_parser(subparsers: Subparsers) -> None:
    """Add the ``check`` subcommand (handler: :func:`check`)."""
    parser = add_command(
        subparsers,
        "check",
        help="check that module.yaml and your Python functions fit together",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    parser.add_argument("module", metavar="MODULE_YAML", help="the module.yaml to check")
    parser.add_argument(
        "functions",
        metavar="FUNCTIONS_PY",
        help="the Python file that binds the functions, e.g. greeter/greeter.py "
        "(FILE.py:VARIABLE picks one StatefulFunctions if the file has several)",
    )
    parser.add_argument("--strict", action="store_true", help=STRICT_HELP)
    parser.set_defaults(handler=check)


def read_module(args: argparse.Namespace) -> ModuleSpec:
    """MODULE_YAML, read with ``--strict`` or not; its warnings are left on ``module.warnings``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModuleYamlWarning)
        return load_module(args.module, strict=args.strict)


def check(args: argparse.Namespace) -> int:
    """Print OK and what the module holds (exit 0), or each problem with its fix (exit 1)."""
    check_order(args)
    module = read_module(args)
    for warning in module.warnings:
        print(f"warning: {warning}")
    loaded = load_function_file(args.functions)
    assert loaded.functions is not None
    problems = check_module(module, loaded.functions)
    shown_module, shown_file = module.path or args.module, args.functions
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        print(f"{shown_module} and {shown_file} do not fit together ({count}):")
        for number, problem in enumerate(problems, 1):
            print(f"{number}. {problem}")
        return EXIT_FAILED
    print(f"OK: {shown_module} and {shown_file} fit together: {_module_summary(module)}")
    return EXIT_OK


def _module_summary(module: ModuleSpec) -> str:
    def some(items: Sequence[str], noun: str) -> str:
        listed = f" ({', '.join(items)})" if items else ""
        return f"{plural(len(items), noun)}{listed}"

    ingresses = []
    for ingress in module.ingresses.values():
        if ingress.routable:
            routes = ", ".join(f"{r.topic} -> {' + '.join(r.targets)}" for r in ingress.topics)
            ingresses.append(f"{ingress.id}: {routes}")
        else:
            ingresses.append(ingress.id)
    return "; ".join(
        [
            some(list(module.functions), "function"),
            some(ingresses, "ingress"),
            some(list(module.egresses), "egress"),
        ]
    )
