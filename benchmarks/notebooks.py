"""How long the notebooks take: each edition with nbclient, and the whole ``pytest --nbval`` run.

Each notebook runs in a fresh ``python3`` kernel from its own folder (as nbval runs it); the
table splits the kernel start from the cells. The targets: every notebook under 10 s, the
whole nbval run under 2 minutes.

    .venv/bin/python benchmarks/notebooks.py               # every edition, then nbval
    .venv/bin/python benchmarks/notebooks.py --only 04     # the editions of one notebook
    .venv/bin/python benchmarks/notebooks.py --no-nbval    # skip the nbval run
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat as _nbformat
from nbclient import NotebookClient

nbformat: Any = _nbformat  # it has no type hints

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_LIMIT = 10.0  # seconds
NBVAL_LIMIT = 120.0  # seconds
NBVAL = [
    "-m",
    "pytest",
    "--nbval",
    "notebooks/",
    "--nbval-sanitize-with",
    "notebooks/nbval-sanitize.cfg",
    "-q",
    "-p",
    "no:cacheprovider",
]


def editions(only: str | None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("*/*.ipynb")) + sorted(NOTEBOOKS.glob("*/practice/*.ipynb"))
    return [p for p in paths if only is None or p.name.startswith(only)]


def run(path: Path) -> tuple[float, float, int]:
    """(kernel start seconds, cells seconds, cells run) of one notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
    )
    started = time.perf_counter()
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        ready = time.perf_counter()
        ran = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and "skip-execution" not in cell.metadata.get("tags", []):
                client.execute_cell(cell, index)
                ran += 1
        done = time.perf_counter()
    return ready - started, done - ready, ran


def nbval() -> tuple[float, str, int]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *NBVAL], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    return elapsed, re.sub(r"=+", "", summary).strip(), result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="only the notebooks whose name starts with this")
    parser.add_argument("--no-nbval", action="store_true", help="skip the whole nbval run")
    args = parser.parse_args(argv)

    slow = 0
    rows = []
    for path in editions(args.only):
        start, cells, ran = run(path)
        total = start + cells
        slow += total > NOTEBOOK_LIMIT
        rows.append((str(path.relative_to(NOTEBOOKS)), start, cells, ran, total))
    width = max(len(r[0]) for r in rows)
    print(f"{'notebook':<{width}}  kernel start   cells (n)   total")
    for name, start, cells, ran, total in rows:
        flag = "  > 10 s!" if total > NOTEBOOK_LIMIT else ""
        print(f"{name:<{width}}  {start:10.2f} s  {cells:6.2f} s ({ran:2d})  {total:5.2f} s{flag}")
    totals = [r[4] for r in rows]
    print(
        f"{len(rows)} notebooks: {sum(totals):.1f} s in all, slowest {max(totals):.2f} s, "
        f"mean {sum(totals) / len(totals):.2f} s"
    )
    if args.no_nbval:
        return 1 if slow else 0
    elapsed, summary, code = nbval()
    limit = "" if elapsed <= NBVAL_LIMIT else "  > 2 min!"
    print(f"\npytest --nbval notebooks/: {elapsed:.1f} s ({summary}){limit}")
    return 1 if slow or code or elapsed > NBVAL_LIMIT else 0


if __name__ == "__main__":
    raise SystemExit(main())
