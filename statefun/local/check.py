"""Check that a module.yaml and the bound Python functions fit together.

The real runtime only finds these mistakes while the job runs: a message to a function type no
module declares fails the job ("Unknown provider for type ..."), a declared type with no Python
function behind it makes every request fail, and an ingress ``typeUrl`` naming a message the
function cannot unpack fails each invocation. :func:`check_module` finds them up front.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Protocol

from google.protobuf import descriptor_pool

from statefun.core import message_name
from statefun.errors import ModuleCheckError
from statefun.local.module_yaml import IngressSpec, ModuleSpec

__all__ = [
    "FunctionRegistry",
    "assert_module_matches",
    "check_module",
]


class FunctionRegistry(Protocol):
    """What is read from ``statefun.StatefulFunctions``: its ``(namespace, type)`` keyed dict."""

    @property
    def functions(self) -> Mapping[tuple[str, str], object]:
        """The bound functions by ``(namespace, type)``."""
        ...


def check_module(module: ModuleSpec, functions: FunctionRegistry) -> list[str]:
    """List every mismatch between ``module`` and the bound ``functions`` (empty = fine).

    Each problem says what is wrong, where in module.yaml, and how to fix it.
    """
    problems: list[str] = []
    bound = [f"{namespace}/{name}" for namespace, name in functions.functions]
    bound_set = set(bound)
    declared = module.functions

    for typename, spec in declared.items():
        if typename not in bound_set:
            problems.append(
                f"function type {typename!r} is declared in {_where(spec, module)} but no "
                f"Python function is bound to it{_did_you_mean(typename, bound)}. Fix: decorate "
                f"the function with @functions.bind({typename!r}), or remove the entry from "
                f"module.yaml."
            )
    for typename in sorted(bound_set - set(declared)):
        problems.append(
            f"function {typename!r} is bound with @functions.bind but "
            f"{module.path or 'module.yaml'} does not declare it{_did_you_mean(typename, declared)}"
            f'; a message to it would fail the job with "Unknown provider for type '
            f'{typename}". Fix: add a `- function:` entry with `type: {typename}` (and its '
            f"endpoint and states) to module.yaml, or fix the name in @functions.bind."
        )

    pool = descriptor_pool.Default()
    for ingress in module.ingresses.values():
        problems.extend(_check_ingress(ingress, module, pool))
    for router in module.routers:
        if router.ingress not in module.ingresses:
            problems.append(
                f"the router at {_where(router, module)} routes ingress {router.ingress!r}, "
                f"which module.yaml does not declare. Fix: declare the ingress or fix the "
                f"router's `ingress`."
            )
        problems.extend(_check_message_name(router.message_type, "router", router, module, pool))
    return problems


def assert_module_matches(module: ModuleSpec, functions: FunctionRegistry) -> None:
    """Raise :class:`~statefun.errors.ModuleCheckError` listing every problem, if any."""
    problems = check_module(module, functions)
    if problems:
        raise ModuleCheckError(problems)


def _check_ingress(
    ingress: IngressSpec, module: ModuleSpec, pool: descriptor_pool.DescriptorPool
) -> list[str]:
    problems: list[str] = []
    where = _where(ingress, module)
    if not ingress.routable:
        if not any(r.ingress == ingress.id for r in module.routers):
            problems.append(
                f"ingress {ingress.id!r} ({where}) is a non-routable {ingress.type} and no "
                f"router routes it, so its records go nowhere. Fix: use the routable ingress "
                f"`statefun.kafka.io/routable-protobuf-ingress` with `typeUrl` and `targets` "
                f"per topic (remote functions need it: the router produces messages they "
                f"cannot unpack)."
            )
        if ingress.message_type:
            problems.extend(
                _check_message_name(ingress.message_type, "ingress", ingress, module, pool)
            )
        return problems
    unit = "stream" if ingress.kind == "kinesis" else "topic"
    for route in ingress.topics:
        name = message_name(route.type_url)
        if not _in_pool(pool, name):
            problems.append(
                f"ingress {ingress.id!r} {unit} {route.topic!r} ({where}): typeUrl "
                f"{route.type_url!r} names the message type {name!r}, which is not in the "
                f"protobuf descriptor pool, so no function can unpack it. Fix: import the "
                f"module that defines it (e.g. `import messages_pb2`) before running, or "
                f"correct the typeUrl."
            )
        for target in route.targets:
            if target not in module.functions:
                problems.append(
                    f"ingress {ingress.id!r} {unit} {route.topic!r} ({where}) targets "
                    f"{target!r}, which module.yaml does not declare as a function"
                    f"{_did_you_mean(target, module.functions)}; the runtime would fail the "
                    f'job with "Unknown provider for type {target}". Fix: correct the target '
                    f"or add a `- function:` entry for it."
                )
    return problems


def _check_message_name(
    name: str,
    what: str,
    spec: object,
    module: ModuleSpec,
    pool: descriptor_pool.DescriptorPool,
) -> list[str]:
    if _in_pool(pool, name):
        return []
    return [
        f"the {what} at {_where(spec, module)} names messageType {name!r}, which is not in the "
        f"protobuf descriptor pool. Fix: import the module that defines it (e.g. "
        f"`import messages_pb2`), or correct `messageType`."
    ]


def _in_pool(pool: descriptor_pool.DescriptorPool, name: str) -> bool:
    try:
        pool.FindMessageTypeByName(name)
    except KeyError:
        return False
    return True


def _where(spec: object, module: ModuleSpec) -> str:
    path = getattr(spec, "path", None) or module.path or "module.yaml"
    line = getattr(spec, "line", None)
    return f"{path}:{line}" if line else path


def _did_you_mean(name: str, candidates: Mapping[str, object] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
