"""Figures for the real-engine stack (statefun.flink.FlinkStack): start-up, throughput, memory.

    .venv/bin/python benchmarks/real_engine.py                 # 2000 names over 20 keys
    .venv/bin/python benchmarks/real_engine.py --count 5000 --keys 50
    .venv/bin/python benchmarks/real_engine.py --serve kernel   # functions from this process
    .venv/bin/python benchmarks/real_engine.py --tier          # also time `pytest -m e2e`

Prints, for one fresh stack: the start-up time of each component (jars, Kafka ready, the
function server ready, StateFun job RUNNING, first completed checkpoint), the greetings per
second through the real StateFun 2.2.2 runtime with exactly-once egress (produce N names at
once, time until all N committed greetings are read with read_committed), and the RSS of the
JVMs and of gunicorn with its workers. By default the greeter is the walkthrough's own Flask
app under gunicorn (``--serve gunicorn``), as in Docker. Nothing is asserted; the numbers
depend on the machine (CI: 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "greeter"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from messages_pb2 import GreetRequest, GreetResponse  # noqa: E402

from statefun.flink import CommittedReader, FlinkStack  # noqa: E402


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


def memory(stack: FlinkStack) -> dict[str, dict[str, float | None]]:
    assert stack.record is not None
    pids = stack.record.pids
    out: dict[str, dict[str, float | None]] = {}
    for name, pid in pids.items():
        out[name] = {
            "rss_mib": proc_status(pid, "VmRSS"),
            "peak_rss_mib": proc_status(pid, "VmHWM"),
        }
    if "functions" in pids:
        workers = children(pids["functions"])
        total = sum(proc_status(p, "VmRSS") or 0.0 for p in [pids["functions"], *workers])
        out["functions"]["rss_mib_with_workers"] = total
        out["functions"]["workers"] = float(len(workers))
    return out


def expected(sequence: list[str]) -> list[tuple[str, str]]:
    templates = ["", "Welcome {}", "Nice to see you again {}", "Third time is a charm {}"]
    seen: dict[str, int] = {}
    out = []
    for name in sequence:
        seen[name] = n = seen.get(name, 0) + 1
        text = (
            templates[n].format(name) if n < 4 else f"Nice to see you at the {n}-nth time {name}!"
        )
        out.append((name, text))
    return out


def throughput(stack: FlinkStack, count: int, keys: int) -> dict[str, float]:
    token = uuid.uuid4().hex[:6]
    names = [f"k{i}-{token}" for i in range(keys)]
    sequence = [names[i % keys] for i in range(count)]
    wanted = set(names)
    with CommittedReader(stack.bootstrap, "greetings", GreetResponse, from_start=False) as reader:
        t0 = time.monotonic()
        stack.produce_many("names", ((n, GreetRequest(name=n)) for n in sequence))
        produced = time.monotonic() - t0
        first: float | None = None
        got: list[tuple[str, str]] = []
        deadline = t0 + 600
        while len(got) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(got)}/{count} greetings after 600 s")
            for r in reader.poll(timeout_ms=200):
                assert not isinstance(r.value, bytes)
                if r.value.name in wanted:
                    if first is None:
                        first = time.monotonic() - t0
                    got.append((r.value.name, r.value.greeting))
        elapsed = time.monotonic() - t0
    want = expected(sequence)
    per_name_ok = all(
        [x for x in got if x[0] == n] == [x for x in want if x[0] == n] for n in names
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
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument(
        "--serve",
        choices=("gunicorn", "kernel"),
        default="gunicorn",
        help="the walkthrough's Flask app under gunicorn, or greeter.functions from this process",
    )
    parser.add_argument("--tier", action="store_true", help="also time `pytest -m e2e tests/e2e`")
    args = parser.parse_args()

    if args.serve == "kernel":
        import greeter

        stack = FlinkStack(REPO / "module.yaml", functions=greeter.functions)
    else:
        stack = FlinkStack(
            REPO / "module.yaml", app="greeter:app", app_dir=REPO / "greeter", workers=args.workers
        )
    report: dict[str, object] = {"serve": args.serve}
    t0 = time.monotonic()
    with stack:
        report["stack_up_s"] = round(time.monotonic() - t0, 2)
        report["java"] = stack.java.describe() if stack.java else None
        report["startup"] = dict(stack.timings)
        report["memory_after_start"] = memory(stack)
        report["throughput"] = throughput(stack, args.count, args.keys)
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
