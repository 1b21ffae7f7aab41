"""The top level of a module.yaml: its format version, the module's type and spec, the four
lists of entries, and the warnings for keys the runtime does not read."""

from __future__ import annotations

from typing import Any

from statefun.local.module_yaml._egresses import read_egress
from statefun.local.module_yaml._functions import read_function
from statefun.local.module_yaml._ingresses import read_ingress
from statefun.local.module_yaml._nodes import Node, join
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._routers import read_router
from statefun.local.module_yaml._specs import (
    FORMAT_VERSIONS,
    EgressSpec,
    FunctionSpec,
    IngressSpec,
    ModuleSpec,
)


def read_document(r: Reader, root: Node, *, strict: bool) -> ModuleSpec:
    """The module that the composed file ``root`` declares; with ``strict``, a key the runtime
    does not read fails instead of being warned about."""
    if root.kind != "map":
        r.fail(
            root.line,
            "",
            f"the top level is {root.describe()}, not a map.",
            'start the file with `version: "2.0"` and `module:`.',
        )
    r.known(root, "the top level")
    _version(r, root)
    spec = _module_spec(r, root)
    r.known(spec, "module.spec")
    functions: dict[str, FunctionSpec] = {}
    for item in r.list_at(spec, "functions"):
        fn = read_function(r, item)
        _no_duplicate(r, functions, fn.typename, fn.line, item, "function type")
        functions[fn.typename] = fn
    routers = tuple(read_router(r, item) for item in r.list_at(spec, "routers"))
    ingresses: dict[str, IngressSpec] = {}
    for item in r.list_at(spec, "ingresses"):
        ing = read_ingress(r, item)
        _no_duplicate(r, ingresses, ing.id, ing.line, item, "ingress id")
        ingresses[ing.id] = ing
    egresses: dict[str, EgressSpec] = {}
    for item in r.list_at(spec, "egresses"):
        eg = read_egress(r, item)
        _no_duplicate(r, egresses, eg.id, eg.line, item, "egress id")
        egresses[eg.id] = eg
    found = r.places.warnings(r.path)
    if strict and found:
        first = found[0]
        r.fail(
            first.line,
            first.key_path or "",
            f"{first.problem} (An error in strict mode.)",
            first.hint,
        )
    return ModuleSpec(r.version, r.path, functions, ingresses, egresses, routers, warnings=found)


def _module_spec(r: Reader, root: Node) -> Node:
    """The ``module.spec`` map, once ``module.meta.type`` is ``remote``."""
    module = r.require(root, "module", "add `module:` with `meta:` and `spec:` under it.")
    r.known(module, "module")
    meta = module.get("meta")
    if meta is not None:
        r.known(meta, "module.meta")
    type_node = meta.get("type") if meta is not None else None
    if type_node is None:
        if meta is not None:
            r.looks_like_a_key(meta)
            r.not_where_expected(meta, "type")
        r.fail(
            module.line,
            join(module.key_path, "meta.type"),
            f"Unable to find a module type in {r.path or 'module.yaml'}: `module.meta.type` "
            f"is missing.",
            "add `meta:` with `type: remote` under `module:`.",
        )
    module_type = r.as_text(type_node, "type", "write `type: remote`.")
    if module_type.lower() != "remote":
        r.fail(
            type_node.line,
            type_node.key_path,
            f"Unknown module type {module_type}, currently supported: REMOTE",
            "write `type: remote`.",
        )
    spec = module.get("spec")
    if spec is None:
        r.not_where_expected(module, "spec")
    if spec is None or spec.kind != "map":
        problem = f"A module without a spec at {r.path or 'module.yaml'}"
        if spec is not None:
            problem += f": `module.spec` is {spec.describe()}, not a map."
        r.fail(
            (spec or module).line,
            join(module.key_path, "spec"),
            problem,
            "add `spec:` under `module:`, with `functions:`, `ingresses:` and `egresses:`.",
        )
    return spec


def _version(r: Reader, root: Node) -> None:
    node = r.require(root, "version", 'add `version: "2.0"` (or "1.0") as the first line.')
    if node.kind != "str":
        example = 'version: "2.0"'
        if node.kind == "float":
            example = f'version: "{node.raw}"'
        elif node.kind == "int":
            example = f'version: "{node.raw}.0"'
        problem = f"not a string: `version` is {node.describe()}."
        if node.kind in ("int", "float", "bool"):
            problem += (
                f" YAML reads an unquoted {node.raw} as {'an' if node.kind == 'int' else 'a'} "
                f"{node.kind}, and the runtime needs "
                f"a string."
            )
        r.fail(node.line, "version", problem, f"quote it: `{example}`.")
    version = str(node.value)
    if version not in FORMAT_VERSIONS:
        hint = 'use `version: "1.0"` or `version: "2.0"` (StateFun 2.2).'
        if version.strip() in FORMAT_VERSIONS:
            hint = f'remove the spaces: `version: "{version.strip()}"`.'
        elif version.startswith("3"):
            hint = (
                '"3.0" is the StateFun 3.x format, which this 2.x kit does not run; '
                'use `version: "2.0"`.'
            )
        r.fail(node.line, "version", f"Unrecognized format version: {version}", hint)
    r.version = version


def _no_duplicate(
    r: Reader, seen: dict[str, Any], key: str, line: int | None, item: Node, what: str
) -> None:
    if key in seen:
        r.fail(
            line,
            item.key_path,
            f"A binding for the key {key} was previously defined. ({what} {key!r} is "
            f"declared twice, first at line {seen[key].line}.)",
            f"remove one of the two entries or give it another {what.split()[-1]}.",
        )
