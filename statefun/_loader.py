"""Load a Python file of stateful functions by its path, as ``python greeter/greeter.py`` would.

The file's directory goes first on ``sys.path`` (so ``from messages_pb2 import ...`` next to it
works), the file runs as a module, and its ``StatefulFunctions`` registry is found among its
globals. ``path.py:variable`` picks one registry when the file holds several. On any error the
module is unregistered and ``sys.path`` restored: nothing is left half-imported.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
import types
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import Message

from statefun.core import StatefulFunctions
from statefun.errors import FunctionFileError, OutdatedGeneratedCodeError

__all__ = [
    "FunctionFileError",
    "LoadedFile",
    "OutdatedGeneratedCodeError",
    "load_function_file",
    "outdated_generated_code",
    "split_spec",
]

_SPEC = re.compile(r"^(?P<path>.+\.py):(?P<variable>[A-Za-z_][A-Za-z0-9_]*)$")
# Protocol and well-known types are never the value of a user's egress record.
_NOT_USER_TYPES = ("google.protobuf.", "org.apache.flink.statefun.")


@dataclass(frozen=True)
class LoadedFile:
    """A loaded functions file: its module, its registry (if any) and its message classes."""

    path: Path
    module: types.ModuleType
    functions: StatefulFunctions | None
    variable: str | None
    message_classes: tuple[type[Message], ...] = field(default=())


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"greeter.py:functions"`` → ``("greeter.py", "functions")``; no variable → ``None``."""
    match = _SPEC.match(spec)
    if match is None:
        return spec, None
    return match["path"], match["variable"]


def load_function_file(spec: str, *, require_functions: bool = True) -> LoadedFile:
    """Import ``spec`` (``path.py`` or ``path.py:variable``) and find its registry.

    With ``require_functions=False`` a file without a ``StatefulFunctions`` is fine (it is then
    only loaded for the message types it imports, e.g. a ``messages_pb2.py``).
    """
    text, variable = split_spec(spec)
    path = _python_file(text)
    name = _module_name(path)
    undo = _make_importable(path.parent, name)
    module = _execute(path, name, text, undo)
    try:
        functions = _find_functions(module, text, variable, require_functions)
    except FunctionFileError:
        undo()
        raise
    return LoadedFile(
        path=path,
        module=module,
        functions=functions[1] if functions else None,
        variable=functions[0] if functions else None,
        message_classes=message_classes(module),
    )


def _python_file(text: str) -> Path:
    """The absolute path of the ``.py`` file ``text`` names, which exists."""
    path = Path(text)
    if not path.exists():
        raise FunctionFileError(
            f"{text}: file not found. Pass the Python file that defines your functions, "
            f"e.g. greeter/greeter.py."
        )
    if not path.is_file() or path.suffix != ".py":
        raise FunctionFileError(
            f"{text}: not a Python file. Pass the .py file that defines your functions, "
            f"e.g. greeter/greeter.py."
        )
    return path.resolve()


def _make_importable(folder: Path, name: str) -> Callable[[], None]:
    """Put ``folder`` on ``sys.path`` (its neighbours, e.g. ``messages_pb2``, import); returns
    what undoes it and any change to ``sys.modules[name]``."""
    directory = str(folder)
    added_to_path = directory not in sys.path
    if added_to_path:
        sys.path.insert(0, directory)
    previous = sys.modules.get(name)

    def undo() -> None:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        if added_to_path and directory in sys.path:
            sys.path.remove(directory)

    return undo


def _execute(path: Path, name: str, text: str, undo: Callable[[], None]) -> types.ModuleType:
    """Run the file as the module ``name``; when it raises, ``undo`` and say why it failed."""
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except KeyboardInterrupt:
        undo()
        raise
    except BaseException as e:  # SystemExit too: a top-level sys.exit() is the file's error
        undo()
        outdated = outdated_generated_code(e, importer=text)
        if outdated is not None:
            raise outdated from None  # protobuf's traceback and workarounds would mislead
        raise FunctionFileError(_import_failure(text, path, e)) from e
    return module


def message_classes(module: types.ModuleType) -> tuple[type[Message], ...]:
    """The message classes a module holds: its globals, and those of ``*_pb2`` modules in them.

    Ordered as they appear, without duplicates, without protobuf's and StateFun's own types.
    """
    found: dict[str, type[Message]] = {}

    def add(value: object) -> None:
        if isinstance(value, type) and issubclass(value, Message) and value is not Message:
            descriptor = getattr(value, "DESCRIPTOR", None)
            full_name = getattr(descriptor, "full_name", None)
            if isinstance(full_name, str) and not full_name.startswith(_NOT_USER_TYPES):
                found.setdefault(full_name, value)

    for value in list(vars(module).values()):
        if isinstance(value, types.ModuleType) and value.__name__.endswith("_pb2"):
            for inner in list(vars(value).values()):
                add(inner)
        else:
            add(value)
    return tuple(found.values())


# What protobuf 4+ says when old generated code builds its descriptors by hand.
_OLD_GENCODE = "Descriptors cannot be created directly"


def outdated_generated_code(
    error: BaseException, *, importer: str | None = None
) -> OutdatedGeneratedCodeError | None:
    """The one-line error for ``error`` if it is protobuf refusing an old ``_pb2.py``, else None.

    The generated file is the innermost ``*_pb2.py`` frame of the traceback; the command named
    is ``statefun-lab doctor --fix`` on the folder that holds it and ``importer`` (the file that
    was being loaded), relative to the current folder when inside it.
    """
    if not isinstance(error, TypeError) or _OLD_GENCODE not in str(error):
        return None
    frames = [f.filename for f in traceback.extract_tb(error.__traceback__) if f.filename]
    generated = next((f for f in reversed(frames) if f.endswith("_pb2.py")), None)
    if generated is None:
        return None
    folders = [Path(generated).resolve().parent]
    if importer is not None:
        folders.append(Path(importer).resolve().parent)
    project = Path(os.path.commonpath(folders))
    return OutdatedGeneratedCodeError(
        _relative(Path(generated).resolve()), project=_relative(project), importer=importer
    )


def _relative(path: Path) -> str:
    """``path`` relative to the current folder when inside it (``.`` for the folder itself)."""
    try:
        return str(path.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def _find_functions(
    module: types.ModuleType, shown: str, variable: str | None, required: bool
) -> tuple[str, StatefulFunctions] | None:
    registries: dict[int, tuple[str, StatefulFunctions]] = {}
    for key, value in vars(module).items():
        if isinstance(value, StatefulFunctions):
            registries.setdefault(id(value), (key, value))
    names = [key for key, _ in registries.values()]
    if variable is not None:
        value = getattr(module, variable, None)
        if value is None:
            raise FunctionFileError(
                f"{shown} has no global named {variable!r}"
                + (f" (its StatefulFunctions: {', '.join(names)})" if names else "")
                + "."
            )
        if not isinstance(value, StatefulFunctions):
            raise FunctionFileError(
                f"{shown}:{variable} is a {type(value).__name__}, not a StatefulFunctions. "
                f"Name the variable that holds `StatefulFunctions()`"
                + (f": {', '.join(names)}." if names else ".")
            )
        return variable, value
    if len(registries) == 1:
        return next(iter(registries.values()))
    if not registries:
        if not required:
            return None
        raise FunctionFileError(
            f"{shown} defines no StatefulFunctions: nothing to run. The file should create "
            f"one (`functions = StatefulFunctions()`) and bind functions to it with "
            f'@functions.bind("namespace/type").'
        )
    raise FunctionFileError(
        f"{shown} holds several StatefulFunctions ({', '.join(names)}); pick one with "
        f"{shown}:{names[0]}."
    )


def _module_name(path: Path) -> str:
    """The file's stem, unless another module already has that name."""
    stem = path.stem
    if stem.isidentifier():
        existing = sys.modules.get(stem)
        existing_file = getattr(existing, "__file__", None)
        if existing is None or (existing_file and Path(existing_file).resolve() == path):
            return stem
    return (
        f"_statefun_lab_{zlib.crc32(str(path).encode()):08x}_{re.sub(r'[^0-9A-Za-z_]', '_', stem)}"
    )


def _import_failure(shown: str, path: Path, error: BaseException) -> str:
    """``greeter.py:16: importing it failed: ModuleNotFoundError: ...`` with the user's line."""
    where = shown
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        same = Path(error.filename).resolve() == path
        where = f"{shown if same else error.filename}:{error.lineno}"
    else:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if f.filename and Path(f.filename).resolve() == path]
        if ours and ours[-1].lineno:
            where = f"{shown}:{ours[-1].lineno}"
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, SystemExit):
        detail = f"it called sys.exit({error.code!r}) while being imported"
    hint = ""
    if isinstance(error, ModuleNotFoundError):
        hint = (
            f" statefun-lab puts the file's directory ({path.parent}) first on the import "
            f"path; is the module there, or installed in this environment?"
        )
    return f"{where}: importing {shown} failed: {detail}.{hint}"
