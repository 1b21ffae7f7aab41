"""Which checkers passed in this environment: a small JSON file the checkers write.

Every time ``check_step_N(...)`` says ✅, the step is recorded in a JSON file, so the progress
view of the notebooks (:class:`statefun.widgets.ProgressView`) can show which steps are done,
across notebooks and kernel restarts. The file is ``$STATEFUN_LAB_PROGRESS`` if that is set,
else ``progress.json`` in StateFun Lab's user cache (``$STATEFUN_LAB_CACHE``, else
``$XDG_CACHE_HOME/statefun-lab``, else ``~/.cache/statefun-lab``): outside the repository, so a
clone stays clean, and per user and machine. It holds nothing but step numbers and times::

    {"version": 1, "passed": {"4": {"at": "2026-11-30T21:04:05+00:00", "solution": false}}}

``solution`` is true when the function that passed is the solution itself (the solution
editions run the checks too): the view shows those apart. Delete the file, or call
:func:`forget_progress`, to start over. A file that cannot be read or written never breaks a
check: the check's verdict stands, progress is just not kept.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import json
import os
import tempfile
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from statefun.exercises.result import CheckResult

__all__ = [
    "PROGRESS_ENV",
    "Progress",
    "StepProgress",
    "forget_progress",
    "is_the_solution",
    "load_progress",
    "progress_path",
    "record",
    "solution_cell_ran",
]

#: The environment variable that names the progress file (tests and the notebook build set it).
PROGRESS_ENV = "STATEFUN_LAB_PROGRESS"
_VERSION = 1


def progress_path(env: Mapping[str, str] | None = None) -> Path:
    """``$STATEFUN_LAB_PROGRESS``, else ``progress.json`` in StateFun Lab's user cache."""
    env = os.environ if env is None else env
    if explicit := env.get(PROGRESS_ENV):
        return Path(explicit).expanduser()
    # The user cache's rule is statefun.flink.jars.cache_dir's; not imported from there, because
    # the checkers also run where statefun.flink cannot be imported (the browser edition).
    if cache := env.get("STATEFUN_LAB_CACHE"):
        return Path(cache).expanduser().resolve() / "progress.json"
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "statefun-lab").resolve() / "progress.json"


@dataclass(frozen=True)
class StepProgress:
    """One passed step: when it first passed, and whether with the solution itself."""

    step: int
    at: str  # ISO 8601, UTC
    solution: bool


@dataclass(frozen=True)
class Progress:
    """The passed steps, by step number, as read from the progress file."""

    passed: dict[int, StepProgress]
    path: Path

    def done(self, step: int) -> bool:
        """True when ``step``'s checker passed with the learner's own code."""
        entry = self.passed.get(step)
        return entry is not None and not entry.solution


def load_progress(path: Path | None = None) -> Progress:
    """The progress file's contents; empty when it is missing or unreadable."""
    path = progress_path() if path is None else path
    passed: dict[int, StepProgress] = {}
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        entries = data.get("passed", {}) if isinstance(data, dict) else {}
        for key, value in entries.items():
            if isinstance(value, dict) and str(key).isdigit():
                step = int(key)
                passed[step] = StepProgress(
                    step, str(value.get("at", "")), bool(value.get("solution", False))
                )
    except (OSError, ValueError, AttributeError):
        pass
    return Progress(passed, path)


def _write(path: Path, passed: dict[int, StepProgress]) -> None:
    """Replace the file atomically (a kernel in another notebook may be reading it)."""
    document = {
        "version": _VERSION,
        "passed": {str(s): {"at": p.at, "solution": p.solution} for s, p in sorted(passed.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def record(result: CheckResult, *, solution: bool = False, path: Path | None = None) -> bool:
    """Note a correct ``result`` in the progress file; returns whether it was written.

    A pass with the learner's own code replaces one with the solution; a later pass keeps the
    first time. Wrong and not-attempted results change nothing (a step once passed stays
    passed). Never raises on a file problem.
    """
    if not result.correct:
        return False
    try:
        progress = load_progress(path)
        passed = dict(progress.passed)
        before = passed.get(result.step)
        if before is not None and (solution or not before.solution):
            return False
        at = datetime.now(UTC).replace(microsecond=0).isoformat()
        passed[result.step] = StepProgress(result.step, at, solution)
        _write(progress.path, passed)
    except OSError:
        return False
    return True


def forget_progress(path: Path | None = None) -> None:
    """Delete the progress file: every step shows as not done again."""
    with contextlib.suppress(FileNotFoundError):
        (progress_path() if path is None else path).unlink()


def _code_only(source: str) -> str | None:
    """``source`` without comments, docstrings or layout (its AST), or None if unparsable."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body.pop(0)
    return ast.dump(tree)


def is_the_solution(fn: Callable[..., Any], solution: str) -> bool:
    """True when ``fn``'s source is ``solution`` up to comments, docstrings and layout."""
    try:
        source = inspect.getsource(inspect.unwrap(fn))
    except (OSError, TypeError):
        return False
    mine, theirs = _code_only(source), _code_only(solution)
    return mine is not None and mine == theirs


def solution_cell_ran(solution: str) -> bool:
    """True when this IPython kernel ran a cell that is ``solution`` up to comments and layout.

    For the steps whose answers are values, not a function (1: an envelope, 5: a Flask app, 6:
    module.yaml texts): a pass after running the solution edition's cell is the solution's.
    Outside IPython, False.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    cells = shell.user_ns.get("In", []) if shell is not None else []
    theirs = _code_only(solution)
    return theirs is not None and any(
        isinstance(cell, str) and _code_only(cell) == theirs for cell in cells
    )
