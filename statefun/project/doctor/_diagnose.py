"""Read a project folder and run every check on what it holds: :func:`diagnose`."""

from __future__ import annotations

import os
from pathlib import Path

from statefun.project.doctor._bindings import read_python
from statefun.project.doctor._cross_check import cross_check
from statefun.project.doctor._files import is_module_yaml, is_test, walk
from statefun.project.doctor._generated import read_generated
from statefun.project.doctor._model import Diagnosis
from statefun.project.doctor._module_yaml import read_module

__all__ = ["diagnose"]


def diagnose(root: str | os.PathLike[str]) -> Diagnosis:
    """Read the project under ``root`` and list what will not work here, file by file.

    :raises NotADirectoryError: ``root`` is not a folder.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise NotADirectoryError(f"{root}: not a folder. Pass the folder of your project.")
    diagnosis = _sorted_files(folder)
    _read_generated_files(diagnosis)
    for path in diagnosis.module_yamls:
        diagnosis.findings.extend(read_module(path, diagnosis.modules))
    _read_function_files(diagnosis)
    diagnosis.findings.extend(cross_check(diagnosis))
    return diagnosis


def _sorted_files(folder: Path) -> Diagnosis:
    """A diagnosis of nothing yet, with the project's files sorted by kind."""
    diagnosis = Diagnosis(root=folder)
    for path in walk(folder):
        if path.suffix == ".proto":
            diagnosis.protos.append(path)
        elif path.name.endswith("_pb2.py"):
            pass  # read by _read_generated_files, once every .proto is known
        elif path.suffix == ".py" and not is_test(path, folder):
            diagnosis.function_files.append(path)
        elif is_module_yaml(path):
            diagnosis.module_yamls.append(path)
    return diagnosis


def _read_generated_files(diagnosis: Diagnosis) -> None:
    for path in walk(diagnosis.root):
        if path.name.endswith("_pb2.py"):
            generated, findings = read_generated(path, diagnosis.protos, diagnosis.root)
            diagnosis.generated.append(generated)
            diagnosis.findings.extend(findings)


def _read_function_files(diagnosis: Diagnosis) -> None:
    """Read every Python file; keep as ``function_files`` those that bind functions."""
    files_with_bindings = []
    for path in diagnosis.function_files:
        bindings, findings = read_python(path)
        diagnosis.bindings.extend(bindings)
        diagnosis.findings.extend(findings)
        if bindings:
            files_with_bindings.append(path)
    diagnosis.function_files = files_with_bindings
