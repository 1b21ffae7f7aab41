"""The Python files that bind functions: which types they bind, and what each function uses.

A function's states, egresses and message targets are the string literals its body passes to
its context (``context["seen"]``, ``context.send_egress("ns/out", ...)``, ...).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from statefun.project.doctor._content_type import flask_routes
from statefun.project.doctor._files import shown
from statefun.project.doctor._model import Finding, FunctionBinding

__all__ = ["read_python"]

# Context methods whose first argument (second for the *_after ones) is a function type.
_SENDS = {"send": 0, "pack_and_send": 0, "send_after": 1, "pack_and_send_after": 1}
_EGRESSES = ("send_egress", "pack_and_send_egress")

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def read_python(path: Path) -> tuple[list[FunctionBinding], list[Finding]]:
    """The functions ``path`` binds, and what will not work in it (syntax, Flask routes)."""
    where = shown(path)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as e:
        if b".bind(" not in path.read_bytes():
            return [], []  # not a functions file: not ours to judge
        return [], [
            Finding(
                "error",
                where,
                e.lineno,
                f"not valid Python 3: {e.msg}.",
                "correct the syntax (this file binds functions, so it must import).",
            )
        ]
    others = _other_receivers(tree)
    bindings = _decorated(tree, path, others) + _registered(tree, path, others)
    findings = flask_routes(tree, where) if _imports(tree, "flask") else []
    return bindings, findings


def _decorated(tree: ast.Module, path: Path, others: set[str]) -> list[FunctionBinding]:
    """``@functions.bind("ns/type")``, reported at the decorator's line."""
    bindings: list[FunctionBinding] = []
    for node in ast.walk(tree):
        if isinstance(node, _Function):
            for decorator in node.decorator_list:
                typename = _bound_type(decorator, "bind", others)
                if typename is not None:
                    binding = _binding(typename, path, node)
                    bindings.append(dataclasses.replace(binding, line=decorator.lineno))
    return bindings


def _registered(tree: ast.Module, path: Path, others: set[str]) -> list[FunctionBinding]:
    """``functions.register("ns/type", fn)`` of a function defined in the file."""
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, _Function)}
    bindings: list[FunctionBinding] = []
    for node in ast.walk(tree):
        typename = _bound_type(node, "register", others)
        if typename is not None and isinstance(node, ast.Call) and len(node.args) > 1:
            target = node.args[1]
            if isinstance(target, ast.Name) and target.id in functions:
                bindings.append(_binding(typename, path, functions[target.id]))
    return bindings


def _other_receivers(tree: ast.Module) -> set[str]:
    """Names the file assigns from a call other than ``StatefulFunctions()``: their ``bind`` is
    not a StateFun binding (upstream's run-example.py has ``examples.bind("walkthrough/...")``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called != "StatefulFunctions":
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _bound_type(node: ast.AST, method: str, others: set[str]) -> str | None:
    """``"ns/type"`` of ``x.bind("ns/type")`` / ``x.register("ns/type", f)``, else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id in others)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and "/" in node.args[0].value
    ):
        return node.args[0].value
    return None


def _binding(typename: str, path: Path, node: _Function) -> FunctionBinding:
    states: dict[str, int] = {}
    egresses: dict[str, int] = {}
    targets: dict[str, int] = {}
    context = node.args.args[0].arg if node.args.args else None
    for inner in ast.walk(node):
        if isinstance(inner, ast.Subscript) and _is_name(inner.value, context):
            name = _string(inner.slice)
            if name is not None:
                states.setdefault(name, inner.lineno)
        if not (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and _is_name(inner.func.value, context)
        ):
            continue
        method = inner.func.attr
        if method == "state" and inner.args:
            name = _string(inner.args[0])
            if name is not None:
                states.setdefault(name, inner.lineno)
        elif method in _EGRESSES and inner.args:
            name = _string(inner.args[0])
            if name is not None:
                egresses.setdefault(name, inner.lineno)
        elif method in _SENDS and len(inner.args) > _SENDS[method]:
            name = _string(inner.args[_SENDS[method]])
            if name is not None:
                targets.setdefault(name, inner.lineno)
    return FunctionBinding(typename, path, node.lineno, node.name, states, egresses, targets)


def _is_name(node: ast.expr, name: str | None) -> bool:
    return name is not None and isinstance(node, ast.Name) and node.id == name


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _imports(tree: ast.Module, package: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == package for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package:
            return True
    return False
