"""The first notebook's environment self-check."""

from __future__ import annotations

from statefun.exercises import check_environment
from statefun.exercises.environment import EnvironmentReport, Finding


def test_this_environment_is_ready() -> None:
    report = check_environment()
    assert report.ok, str(report)
    assert report.summary == "all good: the environment is ready for the StateFun Lab notebooks."
    assert [f.what for f in report.findings] == [
        "Python",
        "statefun-lab",
        "protobuf",
        "ipywidgets",
        "JupyterLab",
        "kernel",
        "walkthrough",
    ]


def test_problems_come_with_their_fix() -> None:
    report = EnvironmentReport(
        [
            Finding("Python", "3.11.7", True),
            Finding("protobuf", "3.20.3, backend python", False, "pip install -e '.[dev]'"),
        ]
    )
    assert not report.ok
    assert str(report).splitlines() == [
        "✅ Python    3.11.7",
        "❌ protobuf  3.20.3, backend python",
        "             fix it like this: pip install -e '.[dev]'",
    ]
    assert report.summary.startswith("1 problem(s): protobuf.")
