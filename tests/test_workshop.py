"""``statefun-lab notebooks``: the notebooks and the walkthrough copied into a learner's folder."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import statefun
from statefun import workshop
from statefun._workshop_files import ENTRIES, MANIFEST, collect
from statefun.cli import main

REPO = Path(__file__).resolve().parents[1]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["notebooks", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_notebooks_and_the_walkthrough_are_copied_with_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "my-lab"
    status, out, err = _run(capsys, str(target), "--no-launch")
    assert (status, err) == (0, "")
    shipped = collect(REPO)
    package = [
        f"statefun/{p.relative_to(REPO / 'statefun').as_posix()}"
        for p in (REPO / "statefun").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert copied == sorted([*shipped, *package, MANIFEST])
    for relative in shipped:
        assert (target / relative).read_bytes() == (REPO / relative).read_bytes(), relative
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["statefun_lab"] == statefun.__version__
    assert manifest["files"]["notebooks/zh/00-start-here.ipynb"] == _sha(
        REPO / "notebooks/zh/00-start-here.ipynb"
    )
    assert out.splitlines()[0] == (
        f"{len(copied) - 1} file(s) copied into {target}, 0 already up to date."
    )
    assert "notebooks/en/00-start-here.ipynb" in out.splitlines()[1]


def test_every_file_the_notebooks_read_is_copied(tmp_path: Path) -> None:
    copy_into = tmp_path / "lab"
    workshop.copy_notebooks(copy_into)
    sources = "\n".join(p.read_text() for p in (REPO / "notebooks" / "src").glob("*.yaml"))
    named = set(
        re.findall(
            r"(?:greeter|generator|docker|statefun)/[\w./-]+\.\w+|module(?:-2\.0)?\.yaml", sources
        )
    )
    files = {name for name in named if (REPO / name).is_file()}
    assert {"module-2.0.yaml", "docker/docker-compose.yml", "greeter/greeter.py"} <= files
    assert [name for name in sorted(files) if not (copy_into / name).is_file()] == []


def test_lang_copies_one_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, str(tmp_path / "lab"), "--lang", "zh", "--no-launch")
    assert status == 0
    assert (tmp_path / "lab/notebooks/zh/practice/04-stateful-hello.ipynb").is_file()
    assert not (tmp_path / "lab/notebooks/en").exists()
    assert "notebooks/zh/00-start-here.ipynb" in out


def test_a_second_run_keeps_what_the_learner_changed_and_force_replaces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "lab"
    _run(capsys, str(target), "--no-launch")
    mine = target / "notebooks/en/practice/04-stateful-hello.ipynb"
    mine.write_text("my work")
    status, out, _ = _run(capsys, str(target), "--no-launch")
    assert status == 0
    assert mine.read_text() == "my work"
    lines = out.splitlines()
    assert lines[0].startswith(f"0 file(s) copied into {target}, ")
    assert "1 file(s) you changed were kept as they are (not overwritten; --force" in lines[0]
    assert lines[1] == "  notebooks/en/practice/04-stateful-hello.ipynb"

    status, out, _ = _run(capsys, str(target), "--no-launch", "--force")
    assert status == 0
    assert out.startswith(f"1 file(s) copied into {target}, ")
    assert (
        mine.read_bytes() == (REPO / "notebooks/en/practice/04-stateful-hello.ipynb").read_bytes()
    )


def test_an_older_copy_nobody_changed_is_updated(tmp_path: Path) -> None:
    target = tmp_path / "lab"
    workshop.copy_notebooks(target)
    old = target / "module.yaml"
    old.write_text("# the module.yaml of an older version\n")
    manifest = json.loads((target / MANIFEST).read_text())
    manifest["files"]["module.yaml"] = _sha(old)  # as that version's run recorded it
    (target / MANIFEST).write_text(json.dumps(manifest))
    report = workshop.copy_notebooks(target)
    assert (report.copied, report.kept) == (["module.yaml"], [])
    assert old.read_bytes() == (REPO / "module.yaml").read_bytes()


def test_a_file_where_the_folder_should_be_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "lab"
    target.write_text("")
    status, out, err = _run(capsys, str(target), "--no-launch")
    assert (status, out) == (1, "")
    assert err == (
        f"statefun-lab notebooks: error: {target} is a file, not a folder: give a folder to "
        "copy into\n"
    )


def test_it_starts_jupyterlab_in_the_folder_on_the_first_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command becomes JupyterLab (os.execv, which does not return): record the exec and
    # where it happened, and stop there.
    class Execed(Exception):
        pass

    launched: list[tuple[str, list[str], Path]] = []

    def execv(path: str, argv: list[str]) -> None:
        launched.append((path, list(argv), Path.cwd()))
        raise Execed

    monkeypatch.chdir(tmp_path)  # the command changes directory: put it back afterwards
    monkeypatch.setattr(os, "execv", execv)
    with pytest.raises(Execed):
        main(["notebooks", str(tmp_path / "lab"), "--lang", "zh"])
    out = capsys.readouterr().out
    target = (tmp_path / "lab").resolve()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={target}",
        "notebooks/zh/00-start-here.ipynb",
    ]
    assert launched == [(sys.executable, command, target)]
    assert (target / "notebooks/zh/00-start-here.ipynb").is_file()
    assert out.splitlines()[-1] == (
        f"Starting JupyterLab in {target} on notebooks/zh/00-start-here.ipynb (Ctrl-C stops it)."
    )


def test_without_jupyterlab_it_names_the_extra_and_copies_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jupyterlab" else real(name, *a),
    )
    status, out, err = _run(capsys, str(tmp_path / "lab"))
    assert (status, out) == (1, "")
    assert err == (
        "statefun-lab notebooks: error: statefun-lab notebooks (JupyterLab) needs jupyterlab, "
        "which is not installed here. Install the 'notebooks' extra into this environment: "
        "python -m pip install 'statefun-lab[notebooks]'\n"
    )
    assert not (tmp_path / "lab").exists()


def test_the_shipped_files_are_the_repository_files_of_the_list() -> None:
    """What the wheel ships is what git tracks under the entries (no build leftovers)."""
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *ENTRIES],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert collect(REPO) == sorted(tracked)
