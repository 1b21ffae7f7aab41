"""What the doctor finds: the findings, and what it read to find them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from google.protobuf.descriptor_pb2 import FileDescriptorProto

from statefun.local.module_yaml import ModuleSpec

__all__ = ["Diagnosis", "Finding", "FunctionBinding", "GeneratedFile", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing that will not work (``error``) or may not be what was meant (``warning``).

    ``path`` is shown as given (relative to the current folder when inside it); ``fixable``
    findings are repaired by :func:`fix` (``statefun-lab doctor --fix``).
    """

    severity: Severity
    path: str
    line: int | None
    problem: str
    fix: str
    fixable: bool = False
    generated: GeneratedFile | None = field(default=None, compare=False, repr=False)
    new_file: tuple[Path, str] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.problem} Fix: {self.fix}"


@dataclass(frozen=True)
class GeneratedFile:
    """A ``*_pb2.py`` file: what it was generated from and by which generation of protoc.

    ``style`` is ``"old"`` for code from protoc before 3.19 (it builds descriptors by hand,
    which protobuf 4+ refuses), ``"current"`` otherwise. ``proto`` is the ``.proto`` found for
    it in the project (None if none or several), ``include`` the folder to pass to protoc's
    ``-I`` so the descriptor keeps its name (``source``).
    """

    path: Path
    source: str | None
    style: Literal["old", "current"]
    descriptor: FileDescriptorProto | None
    gencode_version: tuple[int, int, int] | None
    proto: Path | None = None
    include: Path | None = None


@dataclass(frozen=True)
class FunctionBinding:
    """A function bound in code, and the names its body uses as string literals."""

    typename: str
    path: Path
    line: int
    function: str
    states: dict[str, int]  # state name -> first line it is used on
    egresses: dict[str, int]
    targets: dict[str, int]


@dataclass
class Diagnosis:
    """What :func:`diagnose` found in a project folder."""

    root: Path
    module_yamls: list[Path] = field(default_factory=list)
    protos: list[Path] = field(default_factory=list)
    generated: list[GeneratedFile] = field(default_factory=list)
    function_files: list[Path] = field(default_factory=list)
    bindings: list[FunctionBinding] = field(default_factory=list)
    modules: list[ModuleSpec] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """The findings that will not work."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when nothing will fail (warnings allowed)."""
        return not self.errors
