"""The module.yaml -> runtime wiring of ``LocalRuntime.from_module``: the module and transports.

A module is given as a module.yaml path, its text, or a parsed
:class:`~statefun.local.module_yaml.ModuleSpec`; each function type is reached in-process
(through a :class:`~statefun.StatefulFunctions`), through a WSGI app, or over HTTP at its
endpoint (module.yaml's, or one given for it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from statefun.core import StatefulFunctions
from statefun.errors import InvalidArgumentError
from statefun.local.module_yaml import FunctionSpec, ModuleSpec, load_module, parse_module
from statefun.local.transport import HttpTransport, InProcessTransport, Transport, WSGITransport

__all__ = ["every_function_reached", "http_transport", "module_of", "transports_for"]


def module_of(module: str | os.PathLike[str] | ModuleSpec) -> ModuleSpec:
    """The parsed module of a module.yaml path, a module.yaml text, or a parsed module."""
    if isinstance(module, ModuleSpec):
        return module
    text = os.fspath(module)
    if "\n" in text and not os.path.exists(text):
        return parse_module(text)
    return load_module(text)


def transports_for(
    module: ModuleSpec,
    functions: StatefulFunctions | None = None,
    app: Callable[..., Any] | None = None,
    path: str = "/statefun",
    endpoints: Mapping[str, str] | None = None,
) -> dict[str, Transport]:
    """The transport of each function type of ``module``: ``endpoints`` (HTTP) for the types
    it names, else in-process ``functions`` or the WSGI ``app`` at ``path``, else HTTP at the
    endpoint in module.yaml.

    :raises InvalidArgumentError: for both ``functions`` and ``app``, an endpoint for a type
        module.yaml does not declare, or a type with no way to reach it.
    """
    endpoints = dict(endpoints or {})
    unknown = sorted(set(endpoints) - set(module.functions))
    if unknown:
        raise InvalidArgumentError(
            f"endpoints given for {unknown}, which module.yaml does not declare "
            f"(declared: {sorted(module.functions)})"
        )
    if functions is not None and app is not None:
        raise InvalidArgumentError("give either functions (in-process) or app (WSGI), not both")
    shared: Transport | None = None
    if functions is not None:
        shared = InProcessTransport(functions)
    elif app is not None:
        shared = WSGITransport(app, path)
    transports: dict[str, Transport] = {}
    for typename, fn in module.functions.items():
        if typename in endpoints:
            transports[typename] = http_transport(endpoints[typename], fn)
        elif shared is not None:
            transports[typename] = shared
        else:
            if not fn.endpoint:
                raise InvalidArgumentError(f"function {typename} has no endpoint in module.yaml")
            transports[typename] = http_transport(fn.endpoint, fn)
    return transports


def every_function_reached(
    module: ModuleSpec, transports: Mapping[str, Transport]
) -> dict[str, Transport]:
    """``transports`` as a dict, checked to have a transport for each function type.

    :raises InvalidArgumentError: naming the function types without one.
    """
    missing = [t for t in module.functions if t not in transports]
    if missing:
        raise InvalidArgumentError(f"no transport for function types {missing}")
    return dict(transports)


def http_transport(endpoint: str, spec: FunctionSpec) -> HttpTransport:
    """An HTTP transport to ``endpoint`` with the connect and read timeouts of ``spec``."""
    return HttpTransport(
        endpoint, connect_timeout=spec.connect_timeout, read_timeout=spec.read_timeout
    )
