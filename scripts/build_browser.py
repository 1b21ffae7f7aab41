"""Build StateFun Lab's browser edition: a static JupyterLite site under ``build/browser/``.

The notebooks run in the participant's browser on Pyodide (CPython compiled to WebAssembly):
nothing to install, and every request stays on the site's origin. The site is built from the
repository as it is: the committed notebooks (their sources are ``notebooks/src``), this
repository's ``statefun`` package as a wheel, and the walkthrough files the notebooks read.

Everything the build downloads is pinned and verified (``browser/``):

* ``requirements-build.txt``: JupyterLite and its Pyodide kernel, in a virtual environment of
  their own (``build/browser-cache/tools``), installed with ``pip --require-hashes``;
* ``package.json`` + ``package-lock.json``: Pyodide itself (npm ``pyodide``, ``npm ci`` checks
  the lock's integrity hashes); the site ships it, so no CDN is needed at run time;
* ``requirements-kernel.txt``: the pure-Python wheels the browser's Python loads at start
  (the kernel's IPython, protobuf, Flask, ipywidgets, ...);
* ``requirements-sdist.txt``: PyYAML and MarkupSafe, which publish no pure wheel: the build
  packs their Python sources (which fall back from their C parts by themselves) into one.

The site's ``pyodide-lock.json`` is Pyodide's, rewritten to list exactly the wheels shipped
(name, version, file, sha256, imports, dependencies). The notebooks are copied with the
Pyodide kernel's name in their metadata; nothing else in them changes.

Usage, from the repository root (``make browser`` runs the first)::

    .venv/bin/python scripts/build_browser.py            # build from clean, report the size
    .venv/bin/python scripts/build_browser.py --clean    # also drop the download cache
    .venv/bin/python scripts/build_browser.py --add my-workshop/   # your notebooks too
    .venv/bin/python scripts/build_browser.py --serve 8000   # then open http://127.0.0.1:8000

It runs with the project's environment (``make setup``): PyYAML and nbformat read the notebook
sources for the landing page, and jupyter_server writes the site's file listings.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import email.parser
import functools
import hashlib
import html
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "browser"
OUTPUT = ROOT / "build" / "browser"
CACHE = ROOT / "build" / "browser-cache"
STAGE = ROOT / "build" / "browser-stage"

#: Pyodide's version (the npm package in browser/package.json) and its Python.
PYODIDE_VERSION = "314.0.6"
PYODIDE_PYTHON = "3.14"
#: The kernel the site offers (jupyterlite-pyodide-kernel's), written into the notebooks' copies.
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
#: Pyodide's own files the site needs (the npm package also holds typings, maps and demos).
PYODIDE_CORE = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "package.json",
)
#: What the kernel loads before the first cell runs (each with what it depends on).
PRELOAD = ("micropip", "ipython", "jedi", "comm", "statefun-lab", "flask", "ipywidgets")
#: Requirements of the shipped wheels that the browser's Python does not need: the widgets'
#: front-end halves, which the site itself carries (jupyterlab_widgets).
FRONTEND_ONLY = frozenset({"widgetsnbextension", "jupyterlab-widgets"})
#: The markers a requirement is evaluated with, for Pyodide's Python.
PYODIDE_ENVIRONMENT = {
    "python_version": PYODIDE_PYTHON,
    "python_full_version": f"{PYODIDE_PYTHON}.2",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "extra": "",
}
#: The walkthrough files the notebooks read, beside them in the site (paths from the root).
WALKTHROUGH = (
    "module.yaml",
    "module-2.0.yaml",
    "greeter",
    "generator",
    "docker",
)
#: JupyterLab settings for the site: no news or update checks (they would leave the origin),
#: and every cell in the page (the notebooks are short; find-in-page sees all of them).
SETTINGS_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


class BuildError(Exception):
    """A build step failed: the message says which and what to do."""


def log(message: str) -> None:
    print(f"[browser] {message}", flush=True)


def run(command: list[str], **kwargs: Any) -> None:
    """Run ``command``; a failure stops the build with its output."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BuildError(
            f"{' '.join(command)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stamp(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_date_epoch() -> int:
    """The time every file of the site carries: ``$SOURCE_DATE_EPOCH``, else the last commit's."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True
        )
        return int(out.stdout.strip())
    except (OSError, ValueError):
        return 315532800  # 1980-01-01, the earliest time a zip file can hold


# -- the tools: JupyterLite in its own virtual environment, Pyodide from npm -------------------


def tools_python() -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return CACHE / "tools" / folder / ("python.exe" if os.name == "nt" else "python")


def ensure_tools() -> Path:
    """The JupyterLite build environment, installed from browser/requirements-build.txt."""
    requirements = INPUTS / "requirements-build.txt"
    venv = CACHE / "tools"
    stamp = venv / ".installed"
    want = _stamp(requirements)
    if stamp.exists() and stamp.read_text() == want:
        return tools_python()
    log("installing JupyterLite (browser/requirements-build.txt) into build/browser-cache/tools")
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    run(
        [
            str(tools_python()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--only-binary=:all:",
            "-r",
            str(requirements),
        ]
    )
    stamp.write_text(want)
    return tools_python()


def ensure_pyodide() -> Path:
    """Pyodide's npm package, installed with ``npm ci`` (integrity checked against the lock)."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "npm is needed to fetch Pyodide (browser/package.json): install Node.js 18 or newer "
            "(Debian: `apt-get install npm`)."
        )
    folder = CACHE / "npm"
    lock = INPUTS / "package-lock.json"
    stamp = folder / ".installed"
    want = _stamp(INPUTS / "package.json", lock)
    package = folder / "node_modules" / "pyodide"
    if not (stamp.exists() and stamp.read_text() == want):
        log(f"installing pyodide {PYODIDE_VERSION} from npm (browser/package-lock.json)")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy2(INPUTS / "package.json", folder)
        shutil.copy2(lock, folder)
        run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"],
            cwd=folder,
        )
        stamp.write_text(want)
    version = json.loads((package / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        raise BuildError(
            f"browser/package-lock.json installs pyodide {version}, but this build is for "
            f"{PYODIDE_VERSION} (the jupyterlite-pyodide-kernel of requirements-build.txt "
            f"expects it): change both together."
        )
    return package


# -- the wheels the browser's Python loads ------------------------------------------------------


def download_wheels(python: Path) -> list[Path]:
    """The pinned py3-none-any wheels of browser/requirements-kernel.txt, hashes checked."""
    requirements = INPUTS / "requirements-kernel.txt"
    folder = CACHE / "wheels"
    log("downloading the kernel's wheels (browser/requirements-kernel.txt)")
    run(
        [
            str(python),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--only-binary=:all:",
            "--platform=any",
            "--implementation=py",
            "--abi=none",
            f"--python-version={PYODIDE_PYTHON}",
            "--dest",
            str(folder),
            "-r",
            str(requirements),
        ]
    )
    return [folder / name for name in _pinned_files(requirements, folder, ".whl")]


def download_sdists(python: Path) -> list[Path]:
    """The pinned source distributions of browser/requirements-sdist.txt, hashes checked."""
    requirements = INPUTS / "requirements-sdist.txt"
    folder = CACHE / "sdists"
    log("downloading PyYAML's and MarkupSafe's sources (browser/requirements-sdist.txt)")
    run(
        [
            str(python),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--no-binary=:all:",
            "--no-build-isolation",  # setuptools comes from requirements-build.txt
            "--dest",
            str(folder),
            "-r",
            str(requirements),
        ]
    )
    return [folder / name for name in _pinned_files(requirements, folder, ".tar.gz")]


def _pinned_files(requirements: Path, folder: Path, suffix: str) -> list[str]:
    """The files of ``folder`` that ``requirements`` pins, matched by their sha256."""
    hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", requirements.read_text()))
    found = {sha256(p): p.name for p in folder.iterdir() if p.name.endswith(suffix)}
    missing = hashes - set(found)
    if missing:
        raise BuildError(f"{requirements.name}: no downloaded file has the hash(es) {missing}")
    return sorted(found[h] for h in hashes)


def _wheel_record(files: dict[str, bytes], dist_info: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    return out.getvalue().encode()


def write_wheel(path: Path, files: dict[str, bytes], dist_info: str, epoch: int) -> None:
    """A wheel holding ``files`` (their RECORD added), with fixed times: the same bytes each
    build."""
    files = {**files, f"{dist_info}/RECORD": b""}
    files[f"{dist_info}/RECORD"] = _wheel_record(
        {k: v for k, v in files.items() if not k.endswith("/RECORD")}, dist_info
    )
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def pure_wheel(sdist: Path, folder: Path, epoch: int) -> Path:
    """A py3-none-any wheel of the Python packages in ``sdist`` (PyYAML's ``lib/yaml``,
    MarkupSafe's ``src/markupsafe``): their C extensions are optional and left out."""
    with tarfile.open(sdist) as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        top = sdist.name.removesuffix(".tar.gz")
        info = archive.extractfile(members[f"{top}/PKG-INFO"])
        assert info is not None
        pkg_info = info.read()
        metadata = email.parser.BytesParser().parsebytes(pkg_info)
        name, version = metadata["Name"], metadata["Version"]
        imports = {"pyyaml": "yaml", "markupsafe": "markupsafe"}[name.lower()]
        files: dict[str, bytes] = {}
        for member_name, member in sorted(members.items()):
            match = re.match(rf"{re.escape(top)}/(?:lib|src)/({imports}/.*)$", member_name)
            if match and not member_name.endswith((".c", ".h", ".pyx", ".pxd")):
                data = archive.extractfile(member)
                assert data is not None
                files[match.group(1)] = data.read()
            elif re.fullmatch(rf"{re.escape(top)}/LICENSE(\.\w+)?", member_name):
                data = archive.extractfile(member)
                assert data is not None
                licence = member_name.rsplit("/", 1)[1]
                files[f"{name}-{version}.dist-info/licenses/{licence}"] = data.read()
    if not any(f.startswith(f"{imports}/__init__.py") for f in files):
        raise BuildError(f"{sdist.name}: found no {imports}/ package to pack")
    dist_info = f"{name}-{version}.dist-info"
    files[f"{dist_info}/METADATA"] = pkg_info
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: statefun-lab scripts/build_browser.py\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{dist_info}/top_level.txt"] = f"{imports}\n".encode()
    path = folder / f"{name.lower()}-{version}-py3-none-any.whl"
    write_wheel(path, files, dist_info, epoch)
    return path


def kit_wheel(python: Path, folder: Path, epoch: int) -> Path:
    """This repository's ``statefun-lab`` wheel, built by setuptools from pyproject.toml."""
    log("building the statefun-lab wheel from this repository")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, source / name)
        shutil.copytree(
            ROOT / "statefun",
            source / "statefun",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        run(
            [
                str(python),
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-build-isolation",  # setuptools comes from requirements-build.txt
                "--wheel-dir",
                str(folder),
                str(source),
            ],
            env={**os.environ, "SOURCE_DATE_EPOCH": str(max(epoch, 315532800))},
        )
    wheels = sorted(folder.glob("statefun_lab-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one statefun_lab wheel in {folder}, found {wheels}")
    return wheels[0]


# -- the Pyodide distribution the site ships ----------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    """One wheel of the site, read from its own metadata."""

    path: Path
    name: str  # canonical: "statefun-lab"
    display_name: str  # as its metadata spells it: "statefun-lab", "MarkupSafe"
    version: str
    imports: list[str]
    requires: list[str]  # canonical names, for Pyodide's Python

    @classmethod
    def read(cls, path: Path) -> Wheel:
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.BytesParser().parsebytes(archive.read(f"{dist_info}/METADATA"))
            if f"{dist_info}/top_level.txt" in names:
                top = archive.read(f"{dist_info}/top_level.txt").decode().split()
            else:
                top = sorted(
                    {
                        n.split("/")[0].removesuffix(".py")
                        for n in names
                        if not n.split("/")[0].endswith((".dist-info", ".data"))
                        and (n.endswith(".py") or "/" in n)
                    }
                )
        requires = []
        for text in metadata.get_all("Requires-Dist") or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(PYODIDE_ENVIRONMENT):
                requires.append(canonicalize_name(requirement.name))
        return cls(
            path=path,
            name=canonicalize_name(metadata["Name"]),
            display_name=metadata["Name"],
            version=metadata["Version"],
            imports=sorted(t for t in top if t and not t.startswith("_")),
            requires=requires,
        )


def pyodide_lock(npm_lock: dict[str, Any], wheels: list[Wheel]) -> dict[str, Any]:
    """Pyodide's lock, listing exactly ``wheels``: every package the site can load is a file it
    ships, with that file's hash."""
    shipped = {w.name for w in wheels}
    packages = {}
    for wheel in sorted(wheels, key=lambda w: w.name):
        missing = [r for r in wheel.requires if r not in shipped and r not in FRONTEND_ONLY]
        if missing:
            raise BuildError(
                f"{wheel.path.name} needs {missing}, which the site does not ship: add them "
                f"to browser/requirements-kernel.txt (pinned, with their hashes)."
            )
        packages[wheel.name] = {
            "name": wheel.display_name,
            "version": wheel.version,
            "file_name": wheel.path.name,
            "install_dir": "site",
            "sha256": sha256(wheel.path),
            "package_type": "package",
            "imports": wheel.imports,
            "depends": sorted({r for r in wheel.requires if r in shipped}),
            "unvendored_tests": False,
        }
    not_shipped = [p for p in PRELOAD if p not in packages]
    if not_shipped:
        raise BuildError(f"the kernel preloads {not_shipped}, which the site does not ship")
    return {"info": npm_lock["info"], "packages": packages}


def stage_pyodide(package: Path, wheels: list[Path], target: Path) -> dict[str, Any]:
    """Pyodide's core files, the wheels and their lock in ``target`` (the site's
    ``static/pyodide``); returns the lock."""
    target.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy2(package / name, target / name)
    read = [Wheel.read(path) for path in wheels]
    names = [w.name for w in read]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise BuildError(f"two wheels of {sorted(duplicates)}: keep one version of each")
    for wheel in read:
        shutil.copy2(wheel.path, target / wheel.path.name)
    lock = pyodide_lock(json.loads((package / "pyodide-lock.json").read_text()), read)
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock


# -- the site's contents: notebooks and walkthrough files ---------------------------------------


def _walk(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or child.name == "__pycache__":
            continue
        yield from _walk(child)


def _copy_notebook(source: Path, out: Path) -> None:
    """``source`` at ``out``, asking for the Pyodide kernel (the only change)."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    notebook.setdefault("metadata", {})["kernelspec"] = dict(KERNELSPEC)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stage_contents(target: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """The files the participant sees (``target`` becomes the site's ``files/``): every edition
    of every notebook, with the Pyodide kernel in its metadata, the walkthrough files, and
    each ``extra`` file or folder at the top (an instructor's own notebooks: ``--add``)."""
    written = []
    for edition in sorted((ROOT / "notebooks").glob("*/**/*.ipynb")):
        relative = edition.relative_to(ROOT)
        if relative.parts[1] in ("en", "zh"):
            _copy_notebook(edition, target / relative)
            written.append(target / relative)
    sources = [(ROOT / entry, ROOT) for entry in WALKTHROUGH]
    for path in extra:
        if not path.exists():
            raise BuildError(f"--add {path}: no such file or folder")
        sources.append((path.resolve(), path.resolve().parent))
    for entry, base in sources:
        for source in _walk(entry):
            out = target / source.relative_to(base)
            if out in written:
                raise BuildError(f"{source}: the site already has {out.relative_to(target)}")
            if source.suffix == ".ipynb":
                _copy_notebook(source, out)
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, out)
            written.append(out)
    return written


def contents_listings(files: Path, api: Path, epoch: int) -> int:
    """The Jupyter Contents API answers for every folder of ``files`` (JupyterLite reads
    ``api/contents/<folder>/all.json``), made by jupyter_server as ``jupyter lite build``
    does; times clamped to ``epoch``. Returns the number of folders."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    for path in [files, *files.rglob("*")]:
        os.utime(path, (epoch, epoch))
    manager = FileContentsManager(root_dir=str(files))
    folders = [files, *sorted(p for p in files.rglob("*") if p.is_dir())]
    for folder in folders:
        relative = folder.relative_to(files).as_posix()
        listing = _clamped(manager.get("" if relative == "." else relative), epoch)
        out = api / ("" if relative == "." else relative) / "all.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(listing, sort_keys=True, indent=2, default=_iso) + "\n")
    return len(folders)


def _clamped(model: dict[str, Any], epoch: int) -> dict[str, Any]:
    """``model`` with its times (a file's ``created`` is its inode's, which no one can set) at
    ``epoch`` and its entries in name order: the same listing every build."""
    import datetime

    when = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    model = {**model, "created": when, "last_modified": when}
    if isinstance(model.get("content"), list):
        model["content"] = sorted(
            (_clamped(child, epoch) for child in model["content"]), key=lambda c: c["name"]
        )
    return model


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


# -- the landing page ---------------------------------------------------------------------------

LANDING = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StateFun Lab in the browser</title>
<!-- JupyterLite's pages read their settings from this element of the site's root page (and
     from jupyter-lite.json); unlike JupyterLite's own root page, this one does not redirect. -->
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
         padding: 0 1rem; color: #1f2328; }}
  h1 {{ margin-bottom: 0.2rem; }}
  table {{ border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }}
  th, td {{ text-align: left; vertical-align: top; padding: 0.4rem 0.6rem;
           border-bottom: 1px solid #d0d7de; }}
  .start {{ display: inline-block; margin: 0.5rem 0 1rem; padding: 0.6rem 1rem;
            background: #0969da; color: white; border-radius: 6px; text-decoration: none; }}
  .note {{ color: #59636e; }}
  section + section {{ border-top: 2px solid #d0d7de; margin-top: 2rem; }}
</style>
</head>
<body>
<section lang="en">
<h1>StateFun Lab in the browser</h1>
<p>Learn <a href="https://nightlies.apache.org/flink/flink-statefun-docs-release-2.2/">Apache
Flink Stateful Functions 2.x</a> in Python by rebuilding its walkthrough, the
<code>greeter</code>, one notebook at a time. Everything runs in this browser tab: Python
(Pyodide), the StateFun SDK and a local runtime with the real runtime's rules and a virtual
clock. Nothing to install; nothing leaves this site.</p>
<p><a class="start" href="{start_en}">Start: 00 · {first_en}</a></p>
<p>Take the steps in order. Where a step has a <b>practice</b> edition, open that first: you
write the code, <code>check_step_N(greet)</code> says whether it is right, and
<code>hint_step_N(1)</code> and <code>solution_step_N()</code> help when stuck. The
<b>solution</b> edition has the answers. The first start of Python in a tab takes a few
seconds; after that each notebook runs in a moment.</p>
<table>
<tr><th>#</th><th>step</th><th>what it teaches</th><th>time</th></tr>
{rows_en}
</table>
<p class="note">What needs a real server, a socket, Kafka, Docker or Java (serving the function
over HTTP, the Docker Compose stack of step 07) cannot run in a browser: those cells say so and
point to the full install (<code>make setup</code> in the
repository, then <code>.venv/bin/jupyter lab notebooks/</code>). Your edits are kept in this
browser's storage; <i>File → Download</i> saves a copy.</p>
</section>
<section lang="zh">
<h1>浏览器中的 StateFun Lab</h1>
<p>用 Python 学习 Apache Flink Stateful Functions 2.x：逐个 notebook 重建官方教程中的
<code>greeter</code>。一切都在这个浏览器标签页里运行：Python（Pyodide）、StateFun SDK，
以及一个遵循真实运行时规则、带虚拟时钟的本地运行时。无需安装任何东西，也没有任何请求离开本站。</p>
<p><a class="start" href="{start_zh}">开始：00 · {first_zh}</a></p>
<p>请按顺序学习。有<b>练习版</b>的步骤，先打开练习版：由你来写代码，
<code>check_step_N(greet)</code> 会告诉你是否正确，卡住时可以用 <code>hint_step_N(1)</code>
和 <code>solution_step_N()</code>。<b>参考答案版</b>里有答案。在一个标签页里第一次启动 Python
需要几秒钟，之后每个 notebook 很快就能跑完。</p>
<table>
<tr><th>#</th><th>步骤</th><th>学什么</th><th>时长</th></tr>
{rows_zh}
</table>
<p class="note">需要真正的服务器、网络套接字、Kafka、Docker 或 Java 的内容（通过 HTTP
提供函数服务、第 07 步的 Docker Compose 环境）无法在浏览器中运行：这些单元格会说明这一点，
并指向完整安装（在仓库中 <code>make setup</code>，然后
<code>.venv/bin/jupyter lab notebooks/</code>）。
你的修改保存在本浏览器的存储中；<i>File → Download</i> 可以下载一份副本。</p>
</section>
</body>
</html>
"""


def _open(path: str) -> str:
    """A link that opens ``path`` (under the site's files) in JupyterLab."""
    return f"lab/index.html?path={html.escape(path)}"


def landing_page() -> str:
    """The site's index.html, in English and Chinese, from the notebook sources."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_notebooks import edition_path, load_sources

    rows: dict[str, list[str]] = {"en": [], "zh": []}
    labels = {"en": ("practice", "solution", "min"), "zh": ("练习版", "参考答案版", "分钟")}
    sources = load_sources()
    for source in sources:
        for lang, row in rows.items():
            practice, solution, minutes = labels[lang]
            links = []
            if source.has_exercises:
                path = edition_path(source.stem, lang, "practice").relative_to(ROOT)
                links.append(f'<a href="{_open(path.as_posix())}"><b>{practice}</b></a>')
            path = edition_path(source.stem, lang, "solution").relative_to(ROOT)
            title = html.escape(source.title[lang])
            label = f"{title} ({solution})" if source.has_exercises else title
            links.append(f'<a href="{_open(path.as_posix())}">{label}</a>')
            row.append(
                f"<tr><td>{source.stem[:2]}</td><td>{' · '.join(links)}</td>"
                f"<td>{html.escape(source.teaches[lang])}</td>"
                f"<td>{source.minutes} {minutes}</td></tr>"
            )
    first = sources[0]
    return LANDING.format(
        rows_en="\n".join(rows["en"]),
        rows_zh="\n".join(rows["zh"]),
        first_en=html.escape(first.title["en"]),
        first_zh=html.escape(first.title["zh"]),
        start_en=_open(edition_path(first.stem, "en", "solution").relative_to(ROOT).as_posix()),
        start_zh=_open(edition_path(first.stem, "zh", "solution").relative_to(ROOT).as_posix()),
    )


# -- the JupyterLite build ----------------------------------------------------------------------


def lite_config(stage: Path) -> None:
    """The JupyterLite project in ``stage``: runtime settings and settings overrides."""
    (stage / "jupyter-lite.json").write_text(
        json.dumps(
            {
                "jupyter-lite-schema-version": 0,
                "jupyter-config-data": {
                    "appName": "StateFun Lab",
                    # window.jupyterapp: what the tests (tests/lite) and a curious instructor
                    # drive the page through
                    "exposeAppInBrowser": True,
                    "litePluginSettings": {
                        "@jupyterlite/pyodide-kernel-extension:kernel": {
                            # pyodideUrl is set by the build to the site's own copy
                            "disablePyPIFallback": True,
                            "loadPyodideOptions": {"packages": list(PRELOAD)},
                        }
                    },
                },
            },
            indent=2,
        )
        + "\n"
    )
    (stage / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=2) + "\n")


def jupyter_lite_build(python: Path, stage: Path, output: Path, epoch: int) -> None:
    log("running jupyter lite build")
    run(
        [
            str(python),
            "-m",
            "jupyterlite_core",
            "build",
            f"--lite-dir={stage}",
            f"--output-dir={output}",
            "--apps=lab",
            "--no-sourcemaps",
            "--no-unused-shared-packages",
            f"--source-date-epoch={max(epoch, 315532800)}",
            "--settings-overrides=overrides.json",
        ],
        cwd=stage,
        env={**os.environ, "JUPYTERLITE_NO_LIBARCHIVE": "1"},
    )


def patch_config(output: Path) -> dict[str, Any]:
    """Point the site at its contents listings, and return its jupyter-lite.json."""
    path = output / "jupyter-lite.json"
    config: dict[str, Any] = json.loads(path.read_text())
    config["jupyter-config-data"]["contentsAllJsonFile"] = "all.json"
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return config


def check_site(output: Path, lock: dict[str, Any]) -> None:
    """What must hold for the site to work offline; a failure stops the build."""
    config = json.loads((output / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    url = kernel.get("pyodideUrl", "")
    if url != "./static/pyodide/pyodide.mjs":
        raise BuildError(
            f"jupyter-lite.json's pyodideUrl is {url!r}, not the site's own Pyodide: the kernel "
            f"would load it from a CDN. Build from clean (the default) and check the build log."
        )
    pyodide = output / "static" / "pyodide"
    for package in lock["packages"].values():
        wheel = pyodide / package["file_name"]
        if not wheel.exists() or sha256(wheel) != package["sha256"]:
            raise BuildError(f"{wheel} is missing or differs from its pyodide-lock.json entry")
    remote = re.findall(r"https?://[^\"']+", json.dumps(config))
    if remote:
        raise BuildError(f"jupyter-lite.json names remote addresses: {remote}")


def inputs_digest() -> str:
    """A digest of everything the site is built from: a site whose ``build-info.json`` holds
    the same one is current (the lite tier rebuilds it otherwise)."""
    digest = hashlib.sha256()
    paths = [
        *(INPUTS / name for name in sorted(os.listdir(INPUTS))),
        Path(__file__).resolve(),
        ROOT / "scripts" / "build_notebooks.py",
        ROOT / "pyproject.toml",
        *sorted((ROOT / "notebooks" / "src").glob("*.yaml")),
        *sorted((ROOT / "notebooks").glob("*/**/*.ipynb")),
        *(p for entry in ("statefun", *WALKTHROUGH) for p in _walk(ROOT / entry)),
    ]
    for path in paths:
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def size_of(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(clean: bool = False, extra: Iterable[Path] = ()) -> Path:
    """Build the site from clean into build/browser/, with the ``extra`` files and folders
    beside the notebooks; returns its folder."""
    started = time.perf_counter()
    if clean:
        shutil.rmtree(CACHE, ignore_errors=True)
    for folder in (OUTPUT, STAGE):
        shutil.rmtree(folder, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch()

    python = ensure_tools()
    package = ensure_pyodide()
    wheels = download_wheels(python)
    built = CACHE / "built"
    shutil.rmtree(built, ignore_errors=True)
    built.mkdir()
    wheels += [pure_wheel(sdist, built, epoch) for sdist in download_sdists(python)]
    wheels.append(kit_wheel(python, built, epoch))

    STAGE.mkdir(parents=True)
    lock = stage_pyodide(package, wheels, STAGE / "static" / "pyodide")
    lite_config(STAGE)
    jupyter_lite_build(python, STAGE, OUTPUT, epoch)

    files = stage_contents(OUTPUT / "files", extra)
    folders = contents_listings(OUTPUT / "files", OUTPUT / "api" / "contents", epoch)
    patch_config(OUTPUT)
    (OUTPUT / "index.html").write_text(landing_page(), encoding="utf-8")
    (OUTPUT / ".nojekyll").write_text("")  # GitHub Pages: serve every file as it is
    info = {"inputs": inputs_digest(), "pyodide": PYODIDE_VERSION, "source_date_epoch": epoch}
    (OUTPUT / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
    check_site(OUTPUT, lock)
    shutil.rmtree(STAGE, ignore_errors=True)

    size, count = size_of(OUTPUT)
    pyodide_size, _ = size_of(OUTPUT / "static" / "pyodide")
    elapsed = time.perf_counter() - started
    log(
        f"{len(files)} notebooks and walkthrough files in {folders} folders, "
        f"{len(lock['packages'])} wheels preloadable"
    )
    log(
        f"site: {OUTPUT.relative_to(ROOT)}/, {size / 2**20:.1f} MiB in {count} files "
        f"(Pyodide and wheels {pyodide_size / 2**20:.1f} MiB), built in {elapsed:.1f} s"
    )
    return OUTPUT


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site with the types its files need whatever the platform's table says
    (the kernel's worker imports ``pyodide.mjs`` as a module: only a JavaScript type will do)."""

    extensions_map = {  # noqa: RUF012 (the base class declares it so)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".whl": "application/zip",
        ".zip": "application/zip",
        ".ipynb": "application/json",
    }


def serve(port: int) -> None:
    """Serve build/browser/ on http://127.0.0.1:``port`` until interrupted."""
    if not (OUTPUT / "index.html").is_file():
        raise BuildError("build/browser/ holds no site yet: run `make browser` first")
    handler = functools.partial(SiteHandler, directory=str(OUTPUT))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        log(f"StateFun Lab in the browser: http://127.0.0.1:{port}/ (Ctrl-C stops it)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clean",
        action="store_true",
        help="also drop build/browser-cache (the tools and the verified downloads)",
    )
    parser.add_argument(
        "--add",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="a notebook, file or folder of your own to put at the top of the site (repeatable)",
    )
    parser.add_argument(
        "--serve",
        type=int,
        metavar="PORT",
        help="do not build: serve build/browser/ on 127.0.0.1:PORT (make browser-serve)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        if args.serve is not None:
            serve(args.serve)
        else:
            build(clean=args.clean, extra=args.add)
    except BuildError as e:
        print(f"[browser] build failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
