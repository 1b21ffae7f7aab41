"""How long the module.yaml loader takes, and how much memory, on hostile and oversized files.

Each case is a file written to a temporary directory and loaded with ``load_module`` in a fresh
Python process (so its peak resident memory is its own): wall time of the call, growth of the
peak resident set (``VmHWM``) over the process after its imports, and the outcome (the error's
class and the start of its message, or ``ok``).

Cases:

* ``walkthrough``: the repository's module.yaml, as a baseline;
* ``50 MB functions``: the walkthrough's function entry repeated (each with its own type) up to
  50 MB, a file that looks like a module but is a thousand times too big;
* ``50 MB flat list``: ``targets: [a, a, a, ...]`` up to 50 MB, the most values per byte;
* ``1 MiB functions`` and ``1 MiB flat list``: the same just under the default size limit, the
  worst a file the loader accepts to read can cost;
* ``500 [``: the walkthrough with ``timeout: [[[[...`` 500 deep (the issue's case);
* ``100,000 [``: the same, 100,000 deep;
* ``alias bomb``: nine levels of ``&a [*b, *b, ... ]`` (a billion values once expanded).

Run it against another checkout (say, main before a change) with ``--against /work/main``:
the child processes then import that checkout's ``statefun``. A case that runs over
``--timeout`` seconds is stopped and shown as such.

    .venv/bin/python benchmarks/module_yaml.py [--only 500] [--against PATH] [--timeout 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALKTHROUGH = (ROOT / "module.yaml").read_text(encoding="utf-8")
MB = 1_000_000
MIB = 1 << 20

CHILD = r"""
import re, resource, sys, time
from statefun.local.module_yaml import load_module

def peak_kib():
    # VmHWM is this process's own peak; ru_maxrss would start at the parent's (it is inherited
    # at fork), and the parent built 50 MB of text.
    try:
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\s*(\d+)", status.read()).group(1))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = peak_kib()
start = time.perf_counter()
try:
    module = load_module(sys.argv[1])
    outcome = f"ok ({len(module.functions)} functions)"
except BaseException as exc:
    text = " ".join(str(exc).split())
    outcome = f"{type(exc).__name__}: {text[:150]}"
elapsed = time.perf_counter() - start
peak = peak_kib()
print(f"{elapsed:.3f}\t{(peak - before) / 1024:.1f}\t{outcome}")
"""


def functions_file(size: int) -> str:
    """The walkthrough with its function entry repeated until the file is ``size`` bytes."""
    head, rest = WALKTHROUGH.split("    functions:\n")
    entry, tail = rest.split("    ingresses:\n")
    parts = [head, "    functions:\n"]
    total = len(head) + len(tail) + 40
    number = 0
    while total < size:
        block = entry.replace("example/greeter\n", f"example/greeter{number}\n", 1)
        parts.append(block)
        total += len(block)
        number += 1
    parts += ["    ingresses:\n", tail]
    return "".join(parts)


def flat_list_file(size: int) -> str:
    """The walkthrough whose ingress targets are one flow list of ``size`` bytes."""
    count = (size - len(WALKTHROUGH)) // 3
    return WALKTHROUGH.replace(
        "targets:\n                  - example/greeter",
        "targets: [" + ", ".join(["a"] * count) + "]",
    )


def nested_file(depth: int) -> str:
    """The walkthrough with ``timeout:`` opening ``depth`` flow lists."""
    return WALKTHROUGH.replace("timeout: 2min", "timeout: " + "[" * depth)


def alias_bomb_file() -> str:
    """The walkthrough and a top-level key of nine levels of nine aliases: 9**9 values."""
    lines = ["bomb:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"  a{level}: &a{level} [{refs}]")
    return WALKTHROUGH + "\n".join(lines) + "\n"


CASES: dict[str, Callable[[], str]] = {
    "walkthrough": lambda: WALKTHROUGH,
    "50 MB functions": lambda: functions_file(50 * MB),
    "50 MB flat list": lambda: flat_list_file(50 * MB),
    "1 MiB functions": lambda: functions_file(MIB - 4096),
    "1 MiB flat list": lambda: flat_list_file(MIB - 4096),
    "500 [": lambda: nested_file(500),
    "100,000 [": lambda: nested_file(100_000),
    "alias bomb": alias_bomb_file,
}


def run_case(path: Path, against: Path, timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(against))
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=path.parent,  # not this checkout: `-c` puts the working directory on sys.path
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f}\t?\tstopped after {timeout:.0f} s"
    if done.returncode != 0:
        return f"?\t?\tthe process failed ({done.returncode}): {done.stderr.strip()[-200:]}"
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--against", type=Path, default=ROOT, help="the checkout to import")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    args = parser.parse_args()
    where = subprocess.run(
        [sys.executable, "-c", "import statefun; print(statefun.__file__)"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(args.against)),
        cwd=tempfile.gettempdir(),
        check=True,
    )
    print(f"statefun from {where.stdout.strip()}")
    print(f"{'case':<18} {'size':>12} {'seconds':>9} {'peak MB':>9}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            if args.only and args.only not in name:
                continue
            path = Path(tmp) / "module.yaml"
            path.write_text(make(), encoding="utf-8")
            size = path.stat().st_size
            seconds, peak, outcome = run_case(path, args.against, args.timeout).split("\t", 2)
            print(f"{name:<18} {size:>12,} {seconds:>9} {peak:>9}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
