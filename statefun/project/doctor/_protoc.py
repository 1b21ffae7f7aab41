"""The pinned protoc (grpcio-tools): compile a ``.proto``, regenerate a ``_pb2.py`` in place."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf.descriptor_pb2 import FileDescriptorProto, FileDescriptorSet

from statefun.project.doctor._files import shown
from statefun.project.doctor._model import GeneratedFile

__all__ = ["PROTOC_REQUIREMENT", "compile_proto", "protoc", "regenerate", "regenerate_command"]

#: The protoc StateFun Lab pins (the ``dev`` extra): what ``--fix`` regenerates with.
PROTOC_REQUIREMENT = "grpcio-tools==1.85.1"

_TEMP_PREFIX = "statefun-doctor-"


def protoc() -> list[str] | None:
    """How to run the pinned protoc, or None when grpcio-tools is not installed."""
    if importlib.util.find_spec("grpc_tools") is None:
        return None
    return [sys.executable, "-m", "grpc_tools.protoc"]


def compile_proto(proto: Path, include: Path) -> FileDescriptorProto | str | None:
    """``proto`` compiled by the pinned protoc; its error text; None without grpcio-tools."""
    command = protoc()
    if command is None:
        return None
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as tmp:
        out = Path(tmp) / "set.bin"
        result = subprocess.run(
            [*command, f"-I{include}", f"--descriptor_set_out={out}", str(proto)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        files = FileDescriptorSet.FromString(out.read_bytes()).file
        return files[-1] if files else None


def regenerate_command(generated: GeneratedFile) -> str:
    """The protoc command that regenerates ``generated`` in place, as one shell line."""
    assert generated.proto is not None
    include = generated.include or generated.proto.parent
    out = shown(_out_dir(generated))
    return (
        f"python -m grpc_tools.protoc -I {shown(include)} --python_out={out} "
        f"{shown(generated.proto)}"
    )


def _out_dir(generated: GeneratedFile) -> Path:
    """Where protoc writes so the file lands at ``generated.path`` (its source may have folders)."""
    depth = len(Path(generated.source or generated.path.name).parts) - 1
    return generated.path.parents[depth] if depth > 0 else generated.path.parent


def regenerate(command: list[str], generated: GeneratedFile) -> str | None:
    """Regenerate ``generated`` (and its ``.pyi`` if it has one) in place with ``command``.

    Returns None when done, else why protoc failed (the old files are then left as they were).
    """
    assert generated.proto is not None
    include = generated.include or generated.proto.parent
    pyi = generated.path.with_suffix(".pyi")
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as tmp:
        args = [*command, f"-I{include}", f"--python_out={tmp}"]
        if pyi.exists():
            args.append(f"--pyi_out={tmp}")
        result = subprocess.run(
            [*args, str(generated.proto)], capture_output=True, text=True, check=False
        )
        source = Path(generated.source or generated.proto.name)
        made = Path(tmp) / source.with_name(source.stem + "_pb2.py")
        if result.returncode != 0 or not made.exists():
            return " ".join(result.stderr.split()) or "no output"
        _replace(made, generated.path)
        if pyi.exists():
            _replace(made.with_suffix(".pyi"), pyi)
    return None


def _replace(new: Path, old: Path) -> None:
    staging = old.with_name(old.name + ".doctor-tmp")
    staging.write_bytes(new.read_bytes())
    os.replace(staging, old)
