"""Flask routes that answer StateFun requests without ``application/octet-stream``.

Flask's default Content-Type is ``text/html; charset=utf-8``, which the runtime refuses.
"""

from __future__ import annotations

import ast

from statefun.project.doctor._model import Finding

__all__ = ["flask_routes"]

_OCTET_STREAM = "application/octet-stream"

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def flask_routes(tree: ast.Module, shown: str) -> list[Finding]:
    """Routes that read the request's bytes (a StateFun endpoint) and the content type they set.

    ``shown`` is the file's path as the findings show it.
    """
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if not (isinstance(node, _Function) and _is_route(node) and _reads_body(node)):
            continue
        types = _content_types(node)
        if _OCTET_STREAM in types:
            continue
        findings.append(
            Finding(
                "error",
                shown,
                node.lineno,
                _problem(node.name, types),
                f"response = make_response(handler(request.data)); "
                f"response.headers.set('Content-Type', '{_OCTET_STREAM}'); return response "
                f"(or serve with statefun.serving).",
            )
        )
    return findings


def _is_route(node: _Function) -> bool:
    """Decorated with ``@app.route(...)`` or ``@app.post(...)``."""
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ("route", "post")
        for d in node.decorator_list
    )


def _reads_body(node: _Function) -> bool:
    """Reads ``request.data`` or ``request.get_data``, as a StateFun endpoint does."""
    return any(
        isinstance(n, ast.Attribute)
        and n.attr in ("data", "get_data")
        and isinstance(n.value, ast.Name)
        and n.value.id == "request"
        for n in ast.walk(node)
    )


def _content_types(node: _Function) -> list[str]:
    """The string literals in ``node`` that start like the content type StateFun needs."""
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value.startswith(_OCTET_STREAM)
    ]


def _problem(name: str, types: list[str]) -> str:
    if types:
        return (
            f"the StateFun endpoint {name}() answers with Content-Type {types[0]!r}; "
            f"the runtime requires exactly {_OCTET_STREAM!r} and fails every request "
            f'with "Wrong HTTP content-type".'
        )
    return (
        f"the StateFun endpoint {name}() does not set the response's Content-Type, "
        f"so Flask answers 'text/html; charset=utf-8'; the runtime requires exactly "
        f'{_OCTET_STREAM!r} and fails every request with "Wrong HTTP content-type".'
    )
