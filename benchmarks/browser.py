"""How the browser edition performs, beside the same notebooks in a local kernel.

For each notebook: in the browser edition (build/browser, served on 127.0.0.1, headless
Chromium, a fresh browser context each time, so nothing is cached), the seconds from opening
the page to JupyterLab's UI, to the Pyodide kernel being ready, and to run every cell; then the
same notebook in a local ``python3`` kernel with nbclient (benchmarks/notebooks.py's run: kernel
start and cells). Also the site's size, and with ``--clean-build`` the time of a clean build
(its downloads included).

    .venv/bin/python benchmarks/browser.py                 # the English editions
    .venv/bin/python benchmarks/browser.py --only 04       # one notebook
    .venv/bin/python benchmarks/browser.py --clean-build   # build from nothing first, timed
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from chromium import chromium_path  # noqa: E402
from lite_site import (  # noqa: E402
    CHROMIUM_ARGS,
    SITE,
    OriginGuard,
    committed,
    compare_outputs,
    notebook_json,
    run_all,
    serve,
)
from playwright.sync_api import sync_playwright  # noqa: E402

APP_READY = "() => window.jupyterapp?.shell.currentWidget !== undefined"


def _local_runner() -> ModuleType:
    path = ROOT / "benchmarks" / "notebooks.py"
    spec = importlib.util.spec_from_file_location("bench_notebooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_build() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_browser.py"), "--clean"], check=True
    )
    return time.perf_counter() - started


def site_size() -> tuple[float, int]:
    files = [p for p in SITE.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20, len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="the notebooks whose name starts with this")
    parser.add_argument("--clean-build", action="store_true", help="time a clean build first")
    args = parser.parse_args()

    if args.clean_build:
        print(f"clean build: {clean_build():.1f} s")
    elif not (SITE / "index.html").is_file():
        raise SystemExit("build/browser/ holds no site: run `make browser` first")
    size, count = site_size()
    print(f"site: {size:.1f} MiB in {count} files")

    paths = sorted((ROOT / "notebooks" / "en").glob("*.ipynb"))
    paths = [p for p in paths if args.only is None or p.name.startswith(args.only)]
    local = _local_runner()
    rows = []
    with serve(SITE) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for path in paths:
            relative = path.relative_to(ROOT).as_posix()
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            guard = OriginGuard(context, served.url)
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{served.url}/lab/index.html?path={relative}")
            page.wait_for_function(APP_READY, timeout=120_000)
            ui = time.perf_counter() - started
            page.wait_for_function(
                "(path) => { const p = window.jupyterapp.shell.currentWidget;"
                " return p?.context?.path === path"
                " && p?.sessionContext?.session?.kernel?.status === 'idle'; }",
                arg=relative,
                timeout=180_000,
            )
            kernel = time.perf_counter() - started
            ok, cells = run_all(page)
            problems = compare_outputs(committed(relative), notebook_json(page))
            context.close()
            start, local_cells, _ = local.run(path)
            status = "ok" if ok is True and not problems and not guard.outside else "DIFFERS"
            rows.append((path.stem, ui, kernel, cells, start, local_cells, status))
            print(
                f"{path.stem:<28} browser: UI {ui:5.1f} s, kernel ready {kernel:5.1f} s, "
                f"run all {cells:5.1f} s | local: kernel {start:4.1f} s, "
                f"cells {local_cells:5.1f} s  {status}",
                flush=True,
            )
        browser.close()

    print()
    print(
        "| notebook | browser: page → UI | page → kernel ready | run all "
        "| local: kernel start | cells |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for stem, ui, kernel, cells, start, local_cells, status in rows:
        print(
            f"| {stem} | {ui:.1f} s | {kernel:.1f} s | {cells:.1f} s | {start:.1f} s | "
            f"{local_cells:.1f} s |" + ("" if status == "ok" else f" {status}")
        )
    return 0 if all(row[-1] == "ok" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
