"""``statefun-lab check``: do module.yaml and the Python functions fit together?"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from statefun.cli.inputs import add_inputs, load_inputs, read_module
from statefun.cli.parser import Subparsers, add_command, check_order
from statefun.cli.render import plural
from statefun.exit_status import EXIT_FAILED, EXIT_OK
from statefun.local.check import check_module
from statefun.local.module_yaml import ModuleSpec

# read_module lives in statefun.cli.inputs (run reads its module the same way); it stays
# importable from here, where it was first.
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
    add_inputs(
        parser,
        module_help="the module.yaml to check",
        functions_help="the Python file that binds the functions, e.g. greeter/greeter.py "
        "(FILE.py:VARIABLE picks one StatefulFunctions if the file has several)",
    )
    parser.set_defaults(handler=check)


def check(args: argparse.Namespace) -> int:
    """Print OK and what the module holds (exit 0), or each problem with its fix (exit 1)."""
    check_order(args)
    module, loaded = load_inputs(args, lambda warning: print(f"warning: {warning}"))
    assert loaded is not None and loaded.functions is not None
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
