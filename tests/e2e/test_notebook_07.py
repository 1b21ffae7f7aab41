"""Notebook 07's Path A on the real engine: nbval runs its four editions (en, zh; solution and
practice), each starting Flink StateFun 2.2.2 and Kafka from the notebook, and compares every
checked output with the committed one (the greetings, the local-vs-Flink table, the function
changed live, step 7's check, the drill's verdict). `make notebooks` leaves 07 to this tier."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from statefun.flink.processes import PidFile

REPO = Path(__file__).resolve().parents[2]
EDITIONS = [
    f"notebooks/{lang}/{kind}07-deploying.ipynb"
    for lang in ("en", "zh")
    for kind in ("", "practice/")
]


# The cell of every edition that starts the stack.
START_CELL = "stack = FlinkStack("


@pytest.mark.e2e
@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.removeprefix("notebooks/"))
def test_notebook_07_runs_the_real_engine_as_committed(path: str, tmp_path: Path) -> None:
    """nbval over one edition; every cell's checked output must match the committed one.

    Twice in twelve CI runs of an edition (never in 27 runs here, loaded or not), the cell
    that starts the stack raised within two seconds, right after another stack had stopped.
    What it raised was cut off from those reports, so the cause is not known yet. Such a
    failure, and only such a failure, is reported as a warning with the cell's error, the pid
    file before and after and the JVMs running, and the edition runs once more from the start,
    which must pass. Any other failure, or a second one, fails the test.
    """
    first = _run_edition(path, tmp_path / "first")
    if first.returncode != 0 and START_CELL in first.stdout:
        warnings.warn(
            f"{path}: starting the stack failed once; running the edition again.\n{_report(first)}",
            stacklevel=1,
        )
        first = _run_edition(path, tmp_path / "again")
    assert first.returncode == 0, _report(first)
    assert " passed" in first.stdout and "failed" not in first.stdout
    assert PidFile().read() is None, f"the notebook left a stack recorded: {PidFile().read()}"


def _run_edition(path: str, scratch: Path) -> subprocess.CompletedProcess[str]:
    scratch.mkdir()
    # The notebook starts its own stack: one recorded already would be refused; say so.
    before = f"pid file before the notebook: {PidFile().read()}\n"
    env = {**os.environ, "STATEFUN_LAB_PROGRESS": str(scratch / "progress.json")}
    # -x: a failing cell stops the run, so the report shows that cell (the first failure),
    # not the NameErrors of the cells after it.
    command = [sys.executable, "-m", "pytest", "--nbval", path, "-q", "-x"]
    command += ["-p", "no:cacheprovider", "--nbval-sanitize-with", "notebooks/nbval-sanitize.cfg"]
    command += ["--nbval-cell-timeout", "600"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    done.stderr += before
    return done


def _report(done: subprocess.CompletedProcess[str]) -> str:
    """nbval's last output, the pid file's record and the JVMs running now."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid,etimes,args"], capture_output=True, text=True)
    rows = [line[:200] for line in ps.stdout.splitlines() if "java" in line]
    return (
        f"{done.stdout[-6000:]}{done.stderr[-2000:]}\n"
        f"pid file after the notebook: {PidFile().read()}\n"
        f"java processes now:\n" + ("\n".join(rows) or "(none)")
    )
