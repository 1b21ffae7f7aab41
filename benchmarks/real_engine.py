"""Figures for the real-engine stack (e2e/stack.py): start-up, throughput, memory.

    .venv/bin/python benchmarks/real_engine.py                 # 2000 names over 20 keys
    .venv/bin/python benchmarks/real_engine.py --count 5000 --keys 50
    .venv/bin/python benchmarks/real_engine.py --tier          # also time `pytest -m e2e`

Prints, for one fresh stack: the start-up time of each component (Kafka ready, gunicorn ready,
StateFun job RUNNING, first committed greeting), the greetings per second through the real
StateFun 2.2.2 runtime with exactly-once egress (produce N names at once, time until all N
committed greetings are read with read_committed), and the RSS of the JVMs and gunicorn.
Nothing is asserted; the numbers depend on the machine (CI: 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from e2e.stack import (  # noqa: E402
    E2EHandle,
    GreetingReader,
    NameProducer,
    Stack,
    expected_greetings,
)


def proc_status(pid: int, field: str) -> float | None:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except FileNotFoundError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def memory(stack: Stack) -> dict[str, dict[str, float | None]]:
    pids = stack._state().pids
    out: dict[str, dict[str, float | None]] = {}
    for name, pid in pids.items():
        out[name] = {
            "rss_mib": proc_status(pid, "VmRSS"),
            "peak_rss_mib": proc_status(pid, "VmHWM"),
        }
    if "gunicorn" in pids:
        workers = children(pids["gunicorn"])
        total = sum(proc_status(p, "VmRSS") or 0.0 for p in [pids["gunicorn"], *workers])
        out["gunicorn"]["rss_mib_with_workers"] = total
        out["gunicorn"]["workers"] = float(len(workers))
    return out


def throughput(handle: E2EHandle, count: int, keys: int) -> dict[str, float]:
    names = handle.unique_names(*(f"k{i}" for i in range(keys)))
    sequence = [names[i % keys] for i in range(count)]
    expected = expected_greetings(sequence)
    wanted = set(names)
    producer = NameProducer(handle.bootstrap)
    with GreetingReader(handle.bootstrap) as reader:
        reader.skip_to_end()  # the timed loop only sees new greetings
        t0 = time.monotonic()
        producer.send(sequence)
        produced = time.monotonic() - t0
        first: float | None = None
        got: list[tuple[str, str]] = []
        deadline = t0 + 600
        while len(got) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(got)}/{count} greetings after 600 s")
            for g in reader.poll_once(timeout_ms=200):
                if g.name in wanted:
                    if first is None:
                        first = time.monotonic() - t0
                    got.append((g.name, g.greeting))
        elapsed = time.monotonic() - t0
    producer.close()
    per_name_ok = all(
        [x for x in got if x[0] == n] == [x for x in expected if x[0] == n] for n in names
    )
    return {
        "names": count,
        "distinct_keys": keys,
        "produce_s": round(produced, 2),
        "first_committed_greeting_s": round(first or 0.0, 2),
        "all_committed_s": round(elapsed, 2),
        "greetings_per_s": round(count / elapsed, 1),
        "exact_per_key_sequences": float(per_name_ok),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="names to produce (2000)")
    parser.add_argument("--keys", type=int, default=20, help="distinct names (20)")
    parser.add_argument("--tier", action="store_true", help="also time `pytest -m e2e tests/e2e`")
    args = parser.parse_args()

    report: dict[str, object] = {}
    t0 = time.monotonic()
    with Stack() as stack:
        report["stack_up_s"] = round(time.monotonic() - t0, 2)
        report["java"] = stack._state().java
        report["startup"] = dict(stack.timings)
        report["memory_after_start"] = memory(stack)
        handle = E2EHandle(stack)
        report["throughput"] = throughput(handle, args.count, args.keys)
        report["memory_after_load"] = memory(stack)
        t = time.monotonic()
    report["stack_down_s"] = round(time.monotonic() - t, 2)

    if args.tier:
        t = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-m", "e2e", "tests/e2e"],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        report["e2e_tier"] = {
            "wall_s": round(time.monotonic() - t, 1),
            "exit_code": proc.returncode,
            "summary": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "",
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
