"""Notebook 07's Path A on the real engine: nbval runs its four editions (en, zh; solution and
practice), each starting Flink StateFun 2.2.2 and Kafka from the notebook, and compares every
checked output with the committed one (the greetings, the local-vs-Flink table, the function
changed live, step 7's check, the drill's verdict). `make notebooks` leaves 07 to this tier."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from statefun.flink.processes import PidFile

REPO = Path(__file__).resolve().parents[2]
EDITIONS = [
    f"notebooks/{lang}/{kind}07-deploying.ipynb"
    for lang in ("en", "zh")
    for kind in ("", "practice/")
]


@pytest.mark.e2e
@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.removeprefix("notebooks/"))
def test_notebook_07_runs_the_real_engine_as_committed(path: str, tmp_path: Path) -> None:
    # The notebook starts its own stack: none may be recorded before (what is, is named), and
    # its last cell's stack.down() leaves none behind for the next edition.
    assert PidFile().read() is None, f"a stack is recorded before the notebook: {PidFile().read()}"
    env = {**os.environ, "STATEFUN_LAB_PROGRESS": str(tmp_path / "progress.json")}
    # -x: a failing cell stops the run, so the report shows that cell (the first failure),
    # not the NameErrors of the cells after it.
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        path,
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
    ]
    command += ["--nbval-sanitize-with", "notebooks/nbval-sanitize.cfg"]
    command += ["--nbval-cell-timeout", "600"]
    done = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:] + _java_processes()
    assert " passed" in done.stdout and "failed" not in done.stdout
    assert PidFile().read() is None, f"the notebook left a stack recorded: {PidFile().read()}"


def _java_processes() -> str:
    """The JVMs running now (a failed start may be about one left over), for the report."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid,etimes,args"], capture_output=True, text=True)
    rows = [line[:200] for line in ps.stdout.splitlines() if "java" in line]
    return "\njava processes now:\n" + ("\n".join(rows) or "(none)")
