"""Is this the learner's code, or still the starter? And which function is it?"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from statefun.core import StatefulFunctions, parse_typename
from statefun.i18n import gettext as _
from statefun.walkthrough import FUNCTION_TYPE

__all__ = ["is_placeholder", "resolve_function"]


def _placeholder_statement(node: ast.stmt) -> bool:
    """``pass``, ``...``, a bare string, or ``raise NotImplementedError(...)``."""
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return node.value.value is Ellipsis or isinstance(node.value.value, str)
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _empty() -> None:
    pass


def is_placeholder(fn: Callable[..., Any]) -> bool:
    """True when ``fn``'s body is only ``...``/``pass``/a docstring/``raise NotImplementedError``.

    Comments do not count as code. Reads the source (Jupyter keeps every cell's source); when
    there is none, compares the bytecode with an empty function's.
    """
    fn = inspect.unwrap(fn)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        code = getattr(fn, "__code__", None)
        return (
            code is not None
            and code.co_code == _empty.__code__.co_code
            and not code.co_names
            and not code.co_freevars
        )
    name = getattr(fn, "__name__", "")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return all(_placeholder_statement(s) for s in node.body)
    return False


def resolve_function(
    target: object, typename: str = FUNCTION_TYPE
) -> tuple[Callable[..., Any] | None, str]:
    """The function to check: ``target`` itself, or the one a ``StatefulFunctions`` binds.

    Returns ``(function, "")`` or ``(None, why not)``.
    """
    if isinstance(target, StatefulFunctions):
        bound = target.functions.get(parse_typename(typename))
        if bound is None:
            names = sorted(f"{ns}/{t}" for ns, t in target.functions)
            return None, _(
                "nothing is bound to {typename!r} in these functions (bound: {bound}). Decorate "
                "your function with @functions.bind({typename!r})."
            ).format(typename=typename, bound=", ".join(names) or _("nothing"))
        return bound.func, ""
    if target is None:
        return None, _("pass your function to the checker, e.g. check_step_2(greet).")
    if not callable(target):
        return None, _(
            "the checker takes your function (or your StatefulFunctions), got a {type}."
        ).format(type=type(target).__name__)
    return target, ""
