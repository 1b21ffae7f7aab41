"""The browser edition's build steps that need no download and no browser (the fast suite)."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from lite_site import REPO, build_browser

from statefun.exercises import EXERCISES

PKG_INFO = b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.3\nSummary: YAML parser\n"


def _sdist(folder: Path) -> Path:
    """A small stand-in for PyYAML's sdist: a pure package, a C file, a licence."""
    path = folder / "pyyaml-6.0.3.tar.gz"
    members = {
        "pyyaml-6.0.3/PKG-INFO": PKG_INFO,
        "pyyaml-6.0.3/LICENSE": b"MIT",
        "pyyaml-6.0.3/lib/yaml/__init__.py": b"__version__ = '6.0.3'\n",
        "pyyaml-6.0.3/lib/yaml/cyaml.py": b"from yaml._yaml import CParser\n",
        "pyyaml-6.0.3/lib/yaml/_yaml.h": b"/* C */",
        "pyyaml-6.0.3/lib/_yaml/__init__.py": b"",
        "pyyaml-6.0.3/tests/test_yaml.py": b"",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_pure_wheel_holds_the_python_package_and_its_metadata(tmp_path: Path) -> None:
    wheel = build_browser.pure_wheel(_sdist(tmp_path), tmp_path, 1_700_000_000)
    assert wheel.name == "pyyaml-6.0.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert archive.read("PyYAML-6.0.3.dist-info/METADATA") == PKG_INFO
        assert b"Tag: py3-none-any" in archive.read("PyYAML-6.0.3.dist-info/WHEEL")
        record = archive.read("PyYAML-6.0.3.dist-info/RECORD").decode()
    assert sorted(n for n in names if not n.startswith("PyYAML")) == [
        "yaml/__init__.py",
        "yaml/cyaml.py",
    ]
    assert "PyYAML-6.0.3.dist-info/licenses/LICENSE" in names
    assert all(name in record for name in names)
    read = build_browser.Wheel.read(wheel)
    assert (read.name, read.version, read.imports, read.requires) == (
        "pyyaml",
        "6.0.3",
        ["yaml"],
        [],
    )
    again = build_browser.pure_wheel(_sdist(tmp_path), tmp_path / "..", 1_700_000_000)
    assert again.read_bytes() == wheel.read_bytes()  # the same bytes every build


def _wheel(folder: Path, name: str, requires: list[str]) -> Path:
    path = folder / f"{name}-1.0-py3-none-any.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    build_browser.write_wheel(
        path,
        {f"{name}/__init__.py": b"", f"{name}-1.0.dist-info/METADATA": metadata.encode()},
        f"{name}-1.0.dist-info",
        0,
    )
    return path


NPM_LOCK = {"info": {"python": "3.14.2", "platform": "emscripten_5_0_3"}, "packages": {}}


def test_the_lock_lists_the_shipped_wheels_with_their_browser_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_browser, "PRELOAD", ("app",))
    wheels = [
        _wheel(tmp_path, "app", ["lib", "ipywidgets_front; extra == 'ui'", "win; os_name == 'nt'"]),
        _wheel(tmp_path, "lib", ["widgetsnbextension"]),
    ]
    lock = build_browser.pyodide_lock(NPM_LOCK, [build_browser.Wheel.read(w) for w in wheels])
    assert lock["info"] == NPM_LOCK["info"]
    assert set(lock["packages"]) == {"app", "lib"}
    app = lock["packages"]["app"]
    assert app["depends"] == ["lib"]  # not the extra, not Windows', not the front end
    assert app["file_name"] == "app-1.0-py3-none-any.whl"
    assert app["imports"] == ["app"]
    assert app["sha256"] == build_browser.sha256(wheels[0])
    assert lock["packages"]["lib"]["depends"] == []


def test_a_wheel_needing_one_the_site_does_not_ship_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_browser, "PRELOAD", ())
    wheels = [build_browser.Wheel.read(_wheel(tmp_path, "app", ["requests>=2"]))]
    with pytest.raises(
        build_browser.BuildError, match=r"needs \['requests'\].*requirements-kernel"
    ):
        build_browser.pyodide_lock(NPM_LOCK, wheels)


def test_the_site_holds_every_edition_asking_for_the_pyodide_kernel(tmp_path: Path) -> None:
    mine = tmp_path / "workshop"
    mine.mkdir()
    (mine / "intro.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (mine / "data.csv").write_text("a,b\n")
    files = tmp_path / "files"
    written = build_browser.stage_contents(files, [mine])

    editions = sorted(p.relative_to(files) for p in written if p.suffix == ".ipynb")
    committed = sorted(
        p.relative_to(REPO)
        for p in (REPO / "notebooks").glob("*/**/*.ipynb")
        if p.relative_to(REPO).parts[1] in ("en", "zh")
    )
    assert editions == sorted([*committed, Path("workshop/intro.ipynb")])
    for path in written:
        if path.suffix == ".ipynb":
            spec = json.loads(path.read_text())["metadata"]["kernelspec"]
            assert spec == {
                "name": "python",
                "display_name": "Python (Pyodide)",
                "language": "python",
            }
    source = json.loads((REPO / "notebooks/en/04-stateful-hello.ipynb").read_text())
    copy = json.loads((files / "notebooks/en/04-stateful-hello.ipynb").read_text())
    assert copy["cells"] == source["cells"]  # nothing else changes
    for name in ("module.yaml", "module-2.0.yaml", "greeter/greeter.py", "workshop/data.csv"):
        assert (files / name).is_file(), name
    assert "message Reset" in (files / "greeter/messages.proto").read_text()  # notebook 08


def test_an_added_path_may_not_replace_a_notebook(tmp_path: Path) -> None:
    mine = tmp_path / "module.yaml"
    mine.write_text("")
    with pytest.raises(build_browser.BuildError, match=r"already has module\.yaml"):
        build_browser.stage_contents(tmp_path / "files", [mine])


def test_the_landing_page_lists_the_steps_in_both_languages_practice_first() -> None:
    page = build_browser.landing_page()
    assert 'id="jupyter-config-data"' in page  # JupyterLite's pages read it from the root
    assert page.count("<tr><td>") == 2 * len(list((REPO / "notebooks/src").glob("*.yaml")))
    steps_with_practice = {f"{step:02d}" for step in EXERCISES}
    for lang, practice in (("en", "practice"), ("zh", "练习版")):
        for step in steps_with_practice:
            link = f"path=notebooks/{lang}/practice/{step}-"
            assert link in page, link
            row = page[page.index(link) - 200 : page.index(link) + 400]
            assert row.index(practice) < row.index(f"path=notebooks/{lang}/{step}-")
    assert "浏览器中的 StateFun Lab" in page


def test_listings_carry_the_build_time_and_a_stable_order() -> None:
    model = {
        "name": "",
        "created": None,
        "last_modified": None,
        "content": [
            {"name": "b", "created": None, "last_modified": None, "content": None},
            {"name": "a", "created": None, "last_modified": None, "content": None},
        ],
    }
    clamped = build_browser._clamped(model, 1_700_000_000)
    assert [c["name"] for c in clamped["content"]] == ["a", "b"]
    assert {build_browser._iso(c["created"]) for c in [clamped, *clamped["content"]]} == {
        "2023-11-14T22:13:20Z"
    }


def test_the_pages_workflow_is_a_valid_github_workflow_that_builds_the_site() -> None:
    import importlib.resources

    import yaml
    from jsonschema import Draft7Validator

    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "github-workflows.json").read_text())
    loaded = yaml.safe_load((REPO / ".github/workflows/browser-pages.yml").read_text())
    workflow = {"on" if key is True else key: value for key, value in loaded.items()}  # YAML 1.1
    errors = [e.message for e in Draft7Validator(schema).iter_errors(workflow)]
    assert errors == []
    build = workflow["jobs"]["build"]["steps"]
    assert {"run": "make browser"} in build
    assert build[-1]["with"]["path"] == "build/browser"
