"""statefun.cli.inputs: MODULE_YAML and FUNCTIONS_PY, the two inputs of check and run."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from statefun.cli.inputs import add_inputs, load_inputs
from statefun.errors import ModuleYamlError

ROOT = Path(__file__).resolve().parents[2]
GREETER_PY = ROOT / "greeter" / "greeter.py"
TYPO = (ROOT / "module.yaml").read_text(encoding="utf-8").replace("    egresses:", "    Egresses:")


def parse(*argv: str, functions_optional: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_inputs(parser, module_help="m", functions_help="f", functions_optional=functions_optional)
    return parser.parse_args(argv)


def test_the_functions_file_is_required_unless_optional(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("module.yaml")
    assert "FUNCTIONS_PY" in capsys.readouterr().err
    assert parse("module.yaml", functions_optional=True).functions is None


def test_the_warnings_go_to_report_then_the_file_is_loaded(tmp_path: Path) -> None:
    module_yaml = tmp_path / "module.yaml"
    module_yaml.write_text(TYPO, encoding="utf-8")
    reported: list[str] = []
    module, loaded = load_inputs(parse(str(module_yaml), str(GREETER_PY)), reported.append)
    assert reported == [str(w) for w in module.warnings] and "Egresses" in reported[0]
    assert loaded is not None and loaded.functions is not None
    assert "example/greeter" in module.functions


def test_without_a_functions_file_only_the_module_is_read(tmp_path: Path) -> None:
    module_yaml = tmp_path / "module.yaml"
    module_yaml.write_text(TYPO, encoding="utf-8")
    module, loaded = load_inputs(parse(str(module_yaml), functions_optional=True), print)
    assert loaded is None and module.path == str(module_yaml)


def test_strict_makes_an_ignored_key_an_error(tmp_path: Path) -> None:
    module_yaml = tmp_path / "module.yaml"
    module_yaml.write_text(TYPO, encoding="utf-8")
    with pytest.raises(ModuleYamlError, match="Egresses"):
        load_inputs(parse(str(module_yaml), str(GREETER_PY), "--strict"), print)
