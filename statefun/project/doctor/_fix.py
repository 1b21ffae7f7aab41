"""``statefun-lab doctor --fix``: regenerate outdated generated code, write a module.yaml."""

from __future__ import annotations

from statefun.project.doctor._files import shown
from statefun.project.doctor._model import Diagnosis
from statefun.project.doctor._protoc import PROTOC_REQUIREMENT, protoc, regenerate

__all__ = ["fix"]


def fix(diagnosis: Diagnosis) -> list[str]:
    """Regenerate each fixable ``_pb2.py`` in place with the pinned protoc; what was done.

    A project with functions and no module.yaml gets one (:func:`module_yaml_for`). Writes
    through a temporary file, so a failed protoc run leaves the old file as it was.

    :raises ModuleNotFoundError: grpcio-tools is not installed (it names the pin to install).
    """
    return _write_new_files(diagnosis) + _regenerate_all(diagnosis)


def _write_new_files(diagnosis: Diagnosis) -> list[str]:
    done: list[str] = []
    for finding in diagnosis.findings:
        if finding.fixable and finding.new_file is not None:
            path, text = finding.new_file
            if path.exists():  # never overwrite: the finding is stale
                done.append(f"not fixed: {shown(path)} exists already")
                continue
            path.write_text(text, encoding="utf-8")
            done.append(f"wrote {shown(path)}: set its endpoints, and add ingresses")
    return done


def _regenerate_all(diagnosis: Diagnosis) -> list[str]:
    targets = [f.generated for f in diagnosis.findings if f.fixable and f.generated is not None]
    if not targets:
        return []
    command = protoc()
    if command is None:
        raise ModuleNotFoundError(
            f"--fix regenerates code with the pinned protoc, from grpcio-tools, which is not "
            f"installed: pip install {PROTOC_REQUIREMENT}"
        )
    done: list[str] = []
    for generated in targets:
        assert generated.proto is not None
        failure = regenerate(command, generated)
        if failure is not None:
            done.append(f"not fixed: {shown(generated.path)}: protoc failed: {failure}")
            continue
        done.append(
            f"regenerated {shown(generated.path)} from {shown(generated.proto)} "
            f"({PROTOC_REQUIREMENT})"
        )
    return done
