"""docs/testing.md's worked example runs, as written, against the walkthrough's greeter."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_worked_example_passes(
    tmp_path: Path, python: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    doc = (ROOT / "docs" / "testing.md").read_text()
    section = doc.split("## A worked example", 1)[1]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    (ini,) = re.findall(r"```ini\n(.*?)```", doc, re.DOTALL)
    (tmp_path / "test_greeter.py").write_text(example)
    for name in ("module.yaml", "module-2.0.yaml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "greeter").mkdir()
    for name in ("greeter.py", "messages_pb2.py"):
        (tmp_path / "greeter" / name).write_bytes((ROOT / "greeter" / name).read_bytes())
    (tmp_path / "pytest.ini").write_text(ini)

    result = python(
        "-m",
        "pytest",
        "-p",
        "statefun.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-rs",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed, 1 skipped" in result.stdout
