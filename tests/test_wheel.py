"""The package as a learner installs it: a wheel built from the sdist (as ``python -m build``
does), installed (not editable), then ``statefun-lab notebooks`` and the notebooks' environment
check run from it. A few seconds: setuptools' PEP 517 hooks and ``pip install --target``."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from statefun._workshop_files import DATA_DIR, collect

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, *, cwd: Path, path: Path) -> str:
    """Run ``code`` in this Python with only ``path`` (the install) in front of site-packages."""
    env = {**os.environ, "PYTHONPATH": str(path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _hook(hook: str, source: Path, out: Path) -> Path:
    """Call setuptools' PEP 517 ``hook`` (build_sdist, build_wheel) in ``source``."""
    out.mkdir(parents=True, exist_ok=True)
    name = _python(
        f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))",
        cwd=source,
        path=source,
    ).splitlines()[-1]
    return out / name


def _checkout_copy(target: Path, files: list[str] | None = None) -> Path:
    """This checkout's files as a clean clone has them (no build leftovers)."""
    if files is None:
        files = (
            subprocess.run(
                ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip("\0")
            .split("\0")
        )
    for relative in files:
        source = REPO / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_bytes(source.read_bytes())
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the sdist of this checkout."""
    tmp = tmp_path_factory.mktemp("build")
    sdist = _hook("build_sdist", _checkout_copy(tmp / "checkout"), tmp / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "sdist", filter="data")
    return _hook("build_wheel", tmp / "sdist" / sdist.name.removesuffix(".tar.gz"), tmp / "dist")


def test_the_wheel_ships_the_repository_files_of_the_notebooks(wheel: Path) -> None:
    prefix = f"statefun/{DATA_DIR}/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix(prefix): archive.read(name)
            for name in archive.namelist()
            if name.startswith(prefix)
        }
    expected = collect(REPO)
    assert sorted(shipped) == expected
    assert [name for name in expected if shipped[name] != (REPO / name).read_bytes()] == []


def test_installed_from_the_wheel_the_copied_notebooks_check_all_good(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site-packages"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--no-deps", "--no-compile", "--target", str(site), str(wheel)], check=True
    )
    lab = tmp_path / "my-lab"
    out = _python(
        "import sys; from statefun.cli import main; "
        f"sys.exit(main(['notebooks', {str(lab)!r}, '--no-launch']))",
        cwd=tmp_path,
        path=site,
    )
    package = [p for p in (site / "statefun").rglob("*") if p.is_file() and DATA_DIR not in p.parts]
    assert out.startswith(f"{len(collect(REPO)) + len(package)} file(s) copied into {lab}, ")
    # As a notebook's kernel: it starts in the notebook's folder, imports statefun, then the
    # setup cell moves to the folder above that holds greeter/.
    out = _python(
        "import os, sys\n"
        "from statefun.i18n import set_language\n"
        "os.chdir('../..')\n"
        "sys.path.insert(0, 'greeter')\n"
        "import statefun\n"
        "from statefun.exercises import check_environment\n"
        "print(statefun.__file__)\n"
        "report = check_environment()\n"
        "print(report)\n"
        "print(report.summary)\n",
        cwd=lab / "notebooks" / "en",
        path=site,
    )
    lines = out.splitlines()
    assert lines[0] == str(site / "statefun" / "__init__.py")
    assert lines[-1] == "all good: the environment is ready for the StateFun Lab notebooks.", out


def test_a_source_tree_without_the_notebooks_builds_a_wheel_without_them(
    tmp_path: Path,
) -> None:
    """The browser edition builds its wheel from pyproject.toml, README.md and statefun/."""
    package = [
        p.relative_to(REPO).as_posix()
        for p in (REPO / "statefun").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    source = _checkout_copy(tmp_path / "src", ["pyproject.toml", "README.md", "setup.py", *package])
    wheel = _hook("build_wheel", source, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "statefun/workshop.py" in names
    assert [n for n in names if f"/{DATA_DIR}/" in n] == []
