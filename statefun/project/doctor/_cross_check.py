"""The code against the module.yaml files: what one uses and the other does not declare.

Functions bound in code and not declared (or the reverse), states, egresses and message
targets a function uses that module.yaml does not declare, ingress typeUrls naming a message
no generated code of the project defines. One function per check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from statefun.core import message_name
from statefun.local.module_yaml import ModuleSpec
from statefun.project.doctor._files import shown
from statefun.project.doctor._model import Diagnosis, Finding, FunctionBinding
from statefun.project.doctor._module_yaml import module_yaml_for

__all__ = ["cross_check"]


@dataclass(frozen=True)
class _Declared:
    """What the project's module.yaml files declare."""

    modules: list[ModuleSpec]
    functions: dict[str, list[tuple[ModuleSpec, int | None]]]  # type -> where declared
    egresses: set[str]
    yamls: str  # the module.yaml files, as the findings name them

    @classmethod
    def of(cls, diagnosis: Diagnosis) -> _Declared:
        functions: dict[str, list[tuple[ModuleSpec, int | None]]] = {}
        egresses: set[str] = set()
        for module in diagnosis.modules:
            egresses.update(module.egresses)
            for typename, spec in module.functions.items():
                functions.setdefault(typename, []).append((module, spec.line))
        yamls = ", ".join(shown(p) for p in diagnosis.module_yamls)
        return cls(diagnosis.modules, functions, egresses, yamls)


def cross_check(diagnosis: Diagnosis) -> list[Finding]:
    """What the functions bound in code and the module.yaml files disagree on."""
    if diagnosis.bindings and not diagnosis.module_yamls:
        return [_no_module_yaml(diagnosis)]
    if not diagnosis.modules:
        return []  # the module.yaml errors are already reported
    declared = _Declared.of(diagnosis)
    findings: list[Finding] = []
    for binding in diagnosis.bindings:
        if binding.typename not in declared.functions:
            findings.append(_undeclared_function(binding, declared))
            continue
        findings += _undeclared_states(binding, declared)
        findings += _undeclared_egresses(binding, declared)
        findings += _undeclared_targets(binding, declared)
    findings += _unbound_functions(diagnosis, declared)
    findings += _unknown_type_urls(diagnosis)
    return findings


def _module_path(module: ModuleSpec) -> str:
    return shown(Path(module.path or "module.yaml"))


def _no_module_yaml(diagnosis: Diagnosis) -> Finding:
    """Functions bound, no module.yaml at all: ``--fix`` writes one."""
    types = ", ".join(sorted({b.typename for b in diagnosis.bindings}))
    return Finding(
        "error",
        shown(diagnosis.root),
        None,
        f"no module.yaml: the functions bound here ({types}) are declared nowhere, and "
        f"the runtime (local or Flink) runs only what a module.yaml declares.",
        f"statefun-lab doctor --fix {shown(diagnosis.root)} writes "
        f"{shown(diagnosis.root / 'module.yaml')} declaring them with the states "
        f"and egresses their code uses (then set the endpoints and add an ingress).",
        fixable=True,
        new_file=(diagnosis.root / "module.yaml", module_yaml_for(diagnosis.bindings)),
    )


def _undeclared_function(binding: FunctionBinding, declared: _Declared) -> Finding:
    """A function type bound in code that no module.yaml declares."""
    states = ", ".join(binding.states) or "none"
    return Finding(
        "error",
        shown(binding.path),
        binding.line,
        f"function type {binding.typename!r} is bound here but no module.yaml "
        f"({declared.yamls}) declares it; a message to it fails the job "
        f'("Unknown provider for type {binding.typename}").',
        f"add a `- function:` entry with `type: {binding.typename}` (states it "
        f"uses: {states}), or correct the name in @functions.bind.",
    )


def _undeclared_states(binding: FunctionBinding, declared: _Declared) -> list[Finding]:
    """States the function uses that a module.yaml declaring it does not list."""
    findings: list[Finding] = []
    for module in (m for m in declared.modules if binding.typename in m.functions):
        spec = module.functions[binding.typename]
        for state, line in binding.states.items():
            if state in spec.state_names:
                continue
            findings.append(
                Finding(
                    "error",
                    shown(binding.path),
                    line,
                    f"{binding.function}() uses state {state!r}, which "
                    f"{_module_path(module)}:{spec.line} does not "
                    f"declare for {binding.typename!r} (declared: "
                    f"{', '.join(spec.state_names) or 'none'}); every call fails with "
                    f"an unknown state error.",
                    f"add {state!r} to the `states` of {binding.typename} in that module.yaml.",
                )
            )
    return findings


def _undeclared_egresses(binding: FunctionBinding, declared: _Declared) -> list[Finding]:
    """Egresses the function sends to that no module.yaml declares."""
    return [
        Finding(
            "error",
            shown(binding.path),
            line,
            f"{binding.function}() sends to egress {egress!r}, which no module.yaml "
            f"({declared.yamls}) declares; the runtime fails the job on the first record.",
            f"add an `- egress:` entry with `id: {egress}` to module.yaml, or correct the id.",
        )
        for egress, line in binding.egresses.items()
        if egress not in declared.egresses
    ]


def _undeclared_targets(binding: FunctionBinding, declared: _Declared) -> list[Finding]:
    """Function types the function sends messages to that no module.yaml declares."""
    return [
        Finding(
            "error",
            shown(binding.path),
            line,
            f"{binding.function}() sends messages to function type {target!r}, "
            f"which no module.yaml ({declared.yamls}) declares; the job fails "
            f'("Unknown provider for type {target}").',
            f"declare {target} in module.yaml, or correct the target.",
        )
        for target, line in binding.targets.items()
        if target not in declared.functions
    ]


def _unbound_functions(diagnosis: Diagnosis, declared: _Declared) -> list[Finding]:
    """Function types a module.yaml declares that no Python file binds."""
    bound = {b.typename for b in diagnosis.bindings}
    return [
        Finding(
            "error",
            _module_path(module),
            line,
            f"function type {typename!r} is declared but no Python file in "
            f"{shown(diagnosis.root)} binds it; every message to it fails.",
            f'bind a function with @functions.bind("{typename}"), or remove the entry.',
        )
        for typename, places in sorted(declared.functions.items())
        if typename not in bound
        for module, line in places
    ]


def _defined_messages(diagnosis: Diagnosis) -> set[str]:
    """The full names of the messages the project's generated code defines."""
    known: set[str] = set()
    for generated in diagnosis.generated:
        if generated.descriptor is not None:
            package = generated.descriptor.package
            for message in generated.descriptor.message_type:
                known.add(f"{package}.{message.name}" if package else message.name)
    return known


def _unknown_type_urls(diagnosis: Diagnosis) -> list[Finding]:
    """Ingress typeUrls naming a message no .proto of the project defines (warnings)."""
    known = _defined_messages(diagnosis)
    if not known:
        return []
    return [
        Finding(
            "warning",
            _module_path(module),
            ingress.line,
            f"ingress {ingress.id!r} topic {route.topic!r} has typeUrl "
            f"{route.type_url!r}, but no generated code of this project "
            f"defines {message_name(route.type_url)!r}.",
            "correct the typeUrl (`<prefix>/<package>.<Message>`), or add the "
            ".proto that defines it.",
        )
        for module in diagnosis.modules
        for ingress in module.ingresses.values()
        for route in ingress.topics
        if message_name(route.type_url) not in known
    ]
