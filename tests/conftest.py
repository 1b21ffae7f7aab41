"""Shared setup: puts the walkthrough's greeter, the test protos and tests/support on the path."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# statefun-lab's pytest plugin (also its pytest11 entry point once the package is reinstalled;
# named alike, so it is loaded once): the statefun_* fixtures, set up in pyproject.toml.
pytest_plugins = ["statefun.pytest_plugin"]

for extra in (ROOT / "greeter", ROOT / "tests" / "protos", ROOT / "tests" / "support"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

# Checkers record passes in a progress file (statefun.exercises.progress); the tests' passes go
# to a scratch file, never to the developer's own ~/.cache/statefun-lab/progress.json.
os.environ.setdefault(
    "STATEFUN_LAB_PROGRESS", str(Path(tempfile.mkdtemp(prefix="statefun-progress-")) / "p.json")
)

# Property tests explore new random examples on every local run; CI runs a fixed, derandomized
# set so that a submission's result does not depend on the draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
