"""The project's module.yaml: read each as the 2.x runtime reads it, or write one from the code."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from statefun.errors import ModuleYamlError, ModuleYamlWarning
from statefun.local.module_yaml import ModuleSpec, load_module
from statefun.project.doctor._files import shown
from statefun.project.doctor._model import Finding, FunctionBinding

__all__ = ["module_yaml_for", "read_module"]

_HEADER = [
    "# Written by `statefun-lab doctor --fix` from the functions bound in the code: set each",
    "# endpoint to where the function is served, and add the ingresses that feed them.",
    'version: "1.0"',
    "module:",
    "  meta:",
    "    type: remote",
    "  spec:",
    "    functions:",
]


def read_module(path: Path, modules: list[ModuleSpec]) -> list[Finding]:
    """Load the module.yaml at ``path`` (appended to ``modules``): its error, or its warnings."""
    where = shown(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModuleYamlWarning)
            module = load_module(path)
    except ModuleYamlError as e:
        return [
            Finding(
                "error",
                where,
                e.line,
                f"{e.key_path + ': ' if e.key_path else ''}{e.problem}",
                e.hint or "correct module.yaml (see docs/compatibility.md).",
            )
        ]
    modules.append(module)
    return [
        Finding(
            "warning",
            where,
            w.line,
            f"{w.key_path + ': ' if w.key_path else ''}{w.problem}",
            w.hint or "remove the key, or correct its name.",
        )
        for w in module.warnings
    ]


def module_yaml_for(bindings: Iterable[FunctionBinding]) -> str:
    """A module.yaml (format "1.0") declaring ``bindings``: their states and egresses.

    Every function gets the endpoint ``http://localhost:8000/statefun`` (where
    ``statefun.serving`` and the walkthrough's Flask app listen), each egress is a Kafka egress
    on ``localhost:9092``; there is no ingress, since the code does not say where records come
    from (the local runtime can still ``send`` to any function).
    """
    functions: dict[str, list[str]] = {}
    egresses: list[str] = []
    for binding in bindings:
        states = functions.setdefault(binding.typename, [])
        states.extend(s for s in binding.states if s not in states)
        egresses.extend(e for e in binding.egresses if e not in egresses)
    lines = list(_HEADER)
    for typename, states in sorted(functions.items()):
        lines += _function_lines(typename, states)
    if egresses:
        lines.append("    egresses:")
    for egress in egresses:
        lines += _egress_lines(egress)
    return "\n".join(lines) + "\n"


def _function_lines(typename: str, states: list[str]) -> list[str]:
    lines = [
        "      - function:",
        "          meta:",
        "            kind: http",
        f"            type: {typename}",
        "          spec:",
        "            endpoint: http://localhost:8000/statefun",
    ]
    if states:
        lines.append("            states:")
        lines += [f"              - {state}" for state in states]
    return lines


def _egress_lines(egress: str) -> list[str]:
    return [
        "      - egress:",
        "          meta:",
        "            type: statefun.kafka.io/generic-egress",
        f"            id: {egress}",
        "          spec:",
        "            address: localhost:9092",
    ]
