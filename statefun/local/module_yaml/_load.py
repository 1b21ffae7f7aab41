"""The entry points: parse module.yaml text, load a file, take either, merge several modules."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from statefun.errors import InvalidArgumentError, ModuleYamlError, ModuleYamlWarning
from statefun.local.module_yaml._parser import Parser
from statefun.local.module_yaml._source import DEFAULT_MAX_BYTES, too_big
from statefun.local.module_yaml._specs import (
    EgressSpec,
    FunctionSpec,
    IngressSpec,
    ModuleSpec,
    RouterSpec,
)


def parse_module(
    text: str | bytes,
    *,
    path: str | None = None,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModuleSpec:
    """Parse and validate module.yaml text (``bytes`` are read as UTF-8).

    ``path`` is only used in messages. Keys the runtime ignores are warned about (see
    ``ModuleSpec.warnings``), or with ``strict=True`` raise. Text over ``max_bytes`` bytes
    raises. Every problem is a :class:`~statefun.errors.ModuleYamlError`.
    """
    module = Parser(path, strict=strict, max_bytes=max_bytes).parse(text)
    _issue(module.warnings)
    return module


def load_module(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModuleSpec:
    """Read and validate a module.yaml file (or the ``module.yaml`` inside a directory).

    Like :func:`parse_module`; a file over ``max_bytes`` is refused before it is read.
    """
    module = _read(path, strict=strict, max_bytes=max_bytes)
    _issue(module.warnings)
    return module


def read_module(
    source: str | os.PathLike[str] | ModuleSpec,
    *,
    text_path: str | None = None,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModuleSpec:
    """A module from a path or from module.yaml text, whichever ``source`` is.

    A ``ModuleSpec`` is returned as it is. A string that holds a line break and is not the path
    of an existing file is module.yaml text, read by :func:`parse_module` (``text_path`` names
    it in messages); anything else is a path, read by :func:`load_module`.
    """
    if isinstance(source, ModuleSpec):
        return source
    text = os.fspath(source)
    if "\n" in text and not os.path.exists(text):
        module = Parser(text_path, strict=strict, max_bytes=max_bytes).parse(text)
    else:
        module = _read(text, strict=strict, max_bytes=max_bytes)
    _issue(module.warnings)
    return module


def _read(path: str | os.PathLike[str], *, strict: bool, max_bytes: int) -> ModuleSpec:
    file = Path(path)
    if file.is_dir():
        file = file / "module.yaml"
    shown = os.fspath(file)
    try:
        with file.open("rb") as stream:
            data = stream.read(max_bytes + 1)
            size = os.fstat(stream.fileno()).st_size
    except FileNotFoundError as exc:
        raise ModuleYamlError(
            "file not found.",
            path=shown,
            hint="pass the path of your module.yaml (or of the directory that holds it).",
        ) from exc
    except OSError as exc:
        raise ModuleYamlError(
            f"the file cannot be read ({exc.strerror or exc}).",
            path=shown,
            hint="check the path, and that you may read the file.",
        ) from exc
    if len(data) > max_bytes:
        too_big(shown, max_bytes, max(size, len(data)), data)
    return Parser(shown, strict=strict, max_bytes=max_bytes).parse(data)


def _issue(found: Iterable[ModuleYamlWarning]) -> None:
    # Each warning points at the line that called the public function.
    for warning in found:
        warnings.warn(warning, stacklevel=3)


def merge_modules(mods: Iterable[ModuleSpec]) -> ModuleSpec:
    """Combine several modules, failing like the runtime on a duplicate type or id.

    The runtime loads every module.yaml into one universe; a function type, ingress id or egress
    id defined twice fails with "A binding for the key <k> was previously defined.".
    """
    modules = list(mods)
    if not modules:
        raise InvalidArgumentError("merge_modules needs at least one module")
    functions: dict[str, FunctionSpec] = {}
    ingresses: dict[str, IngressSpec] = {}
    egresses: dict[str, EgressSpec] = {}
    routers: list[RouterSpec] = []
    for module in modules:
        _merge(functions, module.functions, module, "functions", "function type")
        _merge(ingresses, module.ingresses, module, "ingresses", "ingress id")
        _merge(egresses, module.egresses, module, "egresses", "egress id")
        routers.extend(module.routers)
    versions = list(dict.fromkeys(m.version for m in modules))
    paths = list(dict.fromkeys(m.path for m in modules if m.path))
    return ModuleSpec(
        version=versions[0] if len(versions) == 1 else "+".join(versions),
        path=paths[0] if len(paths) == 1 else (", ".join(paths) or None),
        functions=functions,
        ingresses=ingresses,
        egresses=egresses,
        routers=tuple(routers),
        warnings=tuple(w for m in modules for w in m.warnings),
    )


def _merge(
    into: dict[str, Any], new: dict[str, Any], module: ModuleSpec, list_key: str, what: str
) -> None:
    for key, spec in new.items():
        if key in into:
            first = into[key]
            where = f"{first.path or 'module.yaml'}:{first.line}" if first.line else first.path
            raise ModuleYamlError(
                f"A binding for the key {key} was previously defined. ({what} {key!r} is also "
                f"defined at {where or 'another module'}.)",
                path=spec.path or module.path,
                line=spec.line,
                key_path=f"module.spec.{list_key}",
                hint=f"every {what} must be unique across all module.yaml files: remove one of "
                f"the two or rename it.",
            )
        into[key] = spec
