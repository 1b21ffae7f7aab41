"""statefun.cli.check: `statefun-lab check`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"

Cli = Callable[..., Any]  # conftest.cli: (*argv) -> Result(status, out, err, lines)
MakeProject = Callable[..., Any]  # conftest.project / echo_project: (...) -> Project

WALKTHROUGH = [MODULE_YAML, GREETER_PY]


def test_check_ok_for_the_walkthrough(cli: Cli) -> None:
    result = cli("check", *WALKTHROUGH)

    assert result.status == 0
    assert result.out == (
        f"OK: {MODULE_YAML} and {GREETER_PY} fit together: 1 function (example/greeter); "
        "1 ingress (example/names: names -> example/greeter); 1 egress (example/greets)\n"
    )


def test_check_lists_each_problem_and_exits_1(cli: Cli, echo_project: MakeProject) -> None:
    p = echo_project("message", "lab/ghost")

    result = cli("check", p.module, p.functions)

    assert result.status == 1
    assert result.lines[0] == f"{p.module} and {p.functions} do not fit together (1 problem):"
    assert result.lines[1].startswith("1. function type 'lab/ghost' is declared in ")
    assert "no Python function is bound to it" in result.lines[1]


def test_check_a_bad_module_yaml_exits_2(cli: Cli, tmp_path: Path) -> None:
    module = tmp_path / "module.yaml"
    module.write_text("version: 1.0\n", encoding="utf-8")

    result = cli("check", module, GREETER_PY)

    assert result.status == 2
    assert result.err.startswith(f"statefun-lab: error: {module}:1: ")
