"""The exit statuses and the error line every ``statefun-lab`` command shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from statefun.cli import main
from statefun.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_error


def test_an_error_is_one_line_on_stderr_named_for_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_error("statefun-lab doctor", "no module.yaml in /tmp/x")
    out, err = capsys.readouterr()
    assert out == "" and err == "statefun-lab doctor: error: no module.yaml in /tmp/x\n"


def test_the_commands_exit_with_the_shared_statuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "shop"]) == EXIT_OK
    assert main(["new", "shop"]) == EXIT_USAGE  # not an empty folder
    err = capsys.readouterr().err
    assert err.startswith("statefun-lab new: error: ") and "exists" in err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "module.yaml").write_text('version: "2.0"\nmodule: [\n')
    assert main(["doctor", "broken"]) == EXIT_FAILED  # one problem found
    assert main(["doctor", "missing"]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("statefun-lab doctor: error: ")
