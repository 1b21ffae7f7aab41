"""The plugin's statefun_engine on real Flink StateFun (the e2e tier: Java, jars, Kafka)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_same_test_passes_on_local_and_on_flink(
    python: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = python(
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--statefun-flink",
        "-rs",
        "-m",
        "not browser",
        "tests/walkthrough/test_walkthrough_plugin.py::test_on_every_engine",
        cwd=ROOT,
    )
    # both engines ran: a skipped flink run (no Java, no FlinkStack) fails this tier
    assert "2 passed" in result.stdout and "skipped" not in result.stdout, result.stdout
