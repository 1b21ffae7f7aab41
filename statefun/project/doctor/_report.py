"""What ``statefun-lab doctor`` prints: a line per finding, then the summary line."""

from __future__ import annotations

from statefun.project.doctor._model import Diagnosis, Finding

__all__ = ["finding_line", "summary"]


def finding_line(finding: Finding) -> str:
    """``finding`` as printed, marked when ``--fix`` repairs it."""
    return f"{finding}{' [fixable: --fix]' if finding.fixable else ''}"


def summary(diagnosis: Diagnosis, shown: str) -> str:
    """The last line: what was read, and OK or how many problems (``shown``: the folder)."""
    found = (
        f"{_count(len(diagnosis.module_yamls), 'module.yaml')}, "
        f"{_count(len(diagnosis.protos), '.proto file')}, "
        f"{_count(len(diagnosis.generated), 'generated file')}, "
        f"{_count(len(diagnosis.bindings), 'bound function')} in "
        f"{_count(len(diagnosis.function_files), 'Python file')}"
    )
    errors = diagnosis.errors
    warnings = len(diagnosis.findings) - len(errors)
    if not errors:
        extra = f" ({_count(warnings, 'warning')})" if warnings else ""
        return f"OK: {shown}: {found}; nothing will fail{extra}."
    fixable = sum(f.fixable for f in errors)
    fixes = f", {fixable} fixable with statefun-lab doctor --fix {shown}" if fixable else ""
    extra = f", {_count(warnings, 'warning')}" if warnings else ""
    return f"{shown}: {found}; {_count(len(errors), 'problem')}{fixes}{extra}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
