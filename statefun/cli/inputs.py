"""The two inputs of ``check`` and ``run``: MODULE_YAML and FUNCTIONS_PY, as options and as read.

Both commands take the same two positional arguments and ``--strict``, and read them the same
way: the module first (its warnings reported, a key the runtime ignores an error with
``--strict``), then the Python file that binds the functions.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

from statefun._loader import LoadedFile, load_function_file
from statefun.cli.parser import STRICT_HELP
from statefun.errors import ModuleYamlWarning
from statefun.local.module_yaml import ModuleSpec, load_module

__all__ = ["add_inputs", "load_inputs", "read_module"]


def add_inputs(
    parser: argparse.ArgumentParser,
    *,
    module_help: str,
    functions_help: str,
    functions_optional: bool = False,
) -> None:
    """Add MODULE_YAML, FUNCTIONS_PY (optional with ``functions_optional``) and ``--strict``."""
    parser.add_argument("module", metavar="MODULE_YAML", help=module_help)
    parser.add_argument(
        "functions",
        metavar="FUNCTIONS_PY",
        nargs="?" if functions_optional else None,
        help=functions_help,
    )
    parser.add_argument("--strict", action="store_true", help=STRICT_HELP)


def read_module(args: argparse.Namespace) -> ModuleSpec:
    """MODULE_YAML, read with ``--strict`` or not; its warnings are left on ``module.warnings``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModuleYamlWarning)
        return load_module(args.module, strict=args.strict)


def load_inputs(
    args: argparse.Namespace,
    report: Callable[[str], None],
    *,
    require_functions: bool = True,
) -> tuple[ModuleSpec, LoadedFile | None]:
    """MODULE_YAML (each warning passed to ``report``) and FUNCTIONS_PY (``None`` if not given).

    ``require_functions`` as :func:`~statefun._loader.load_function_file` takes it: whether the
    file must bind functions, or is read only for its message types.
    """
    module = read_module(args)
    for warning in module.warnings:
        report(str(warning))
    if args.functions is None:
        return module, None
    return module, load_function_file(args.functions, require_functions=require_functions)
