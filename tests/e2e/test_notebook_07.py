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

REPO = Path(__file__).resolve().parents[2]
EDITIONS = [
    f"notebooks/{lang}/{kind}07-deploying.ipynb"
    for lang in ("en", "zh")
    for kind in ("", "practice/")
]


@pytest.mark.e2e
@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.removeprefix("notebooks/"))
def test_notebook_07_runs_the_real_engine_as_committed(path: str, tmp_path: Path) -> None:
    env = {**os.environ, "STATEFUN_LAB_PROGRESS": str(tmp_path / "progress.json")}
    command = [sys.executable, "-m", "pytest", "--nbval", path, "-q", "-p", "no:cacheprovider"]
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
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
