"""The local runtime's cost per record in two or more checkouts, measured side by side.

``benchmarks/runtime.py`` runs one checkout at a time; on a shared machine its figures move by
several per cent between runs, more than a refactoring's real cost. This benchmark compares
checkouts the way a restructuring needs: one worker process per checkout (``statefun``
imported from that checkout), all alive at once and asked in turn, round after round, for one
short run each (the order reversed every other round). Each round's runs are close together in
time, so a slow spell of the machine hits every checkout alike; the figure to read is the
median of the per-round differences from the first checkout. A process has its own luck too
(its hash seed, where its objects land in memory), which moves its figures by a few per cent
for the whole of its life: identical code in two processes can differ by 3 %. So the rounds
are shared among ``--processes`` successive sets of workers, each started afresh.

What one run measures, in CPU time per record (``time.process_time``), records sent one by one
(``rt.ingest`` each, run to quiescence; trace off but in ``traced``), after a warm-up of 1,000
records in the same fresh runtime:

* ``e2e``: the walkthrough's greeter behind the in-process transport, ingest to egress;
* ``traced``: the same with the trace on (every event built and kept);
* ``runtime``: the runtime alone: every request is answered with the effects the greeter gave
  for the first one (an egress record and a state write), without running it;
* ``handler``: the in-process transport alone, called on the requests an ``e2e`` run sent.

The workload is this repository's: its ``greeter/``, ``module.yaml`` and the seeded records of
``benchmarks/runtime.py``, whatever the checkout, so only ``statefun`` differs.

    .venv/bin/python benchmarks/runtime_compare.py before=/path/to/old/checkout after=.
    .venv/bin/python benchmarks/runtime_compare.py a=../a b=../b --mode e2e --rounds 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

MODES = ("e2e", "traced", "runtime", "handler")
HERE = Path(__file__).resolve().parent
WARM_UP = 1_000


def worker(records: int) -> None:
    """Answer each mode read from stdin with one run's CPU microseconds per record."""
    sys.path.insert(0, str(HERE))
    import runtime as bench  # benchmarks/runtime.py: the workload, statefun from PYTHONPATH

    from statefun.local import InProcessTransport
    from statefun.local.effects import Effects
    from statefun.local.transport import Attempt, Transport

    real = InProcessTransport(bench.greeter.functions)
    timeout = timedelta(seconds=60)

    class Recording(Transport):
        """The in-process transport, keeping each request and the effects of the first."""

        def __init__(self) -> None:
            self.requests: list[bytes] = []
            self.first: Effects | None = None

        def describe(self) -> str:
            return "in-process (recorded)"

        def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
            raise AssertionError("the runtime calls call() on an in-process transport")

        def call(self, typename: str, request: bytes, timeout: timedelta) -> Attempt | Effects:
            self.requests.append(request)
            effects = real.call(typename, request, timeout)
            if self.first is None:
                self.first = effects
            return effects

    class Answering(Recording):
        """Answers every request with the effects the greeter gave for the first one."""

        def __init__(self, effects: Effects) -> None:
            super().__init__()
            self.effects = effects

        def call(self, typename: str, request: bytes, timeout: timedelta) -> Attempt | Effects:
            return self.effects

    workload = bench.make_records(records, 1_000)
    warm = bench.make_records(WARM_UP, 1_000, seed=1)
    recording = Recording()
    rt = bench.runtime(record_trace=False)
    rt.bind("example/greeter", recording)
    bench.feed_one_by_one(rt, workload)
    bench.check_output(rt, workload)
    assert recording.first is not None
    answering = Answering(recording.first)

    def handler_alone() -> None:
        call = real.call
        for request in recording.requests:
            call("example/greeter", request, timeout)

    print("ready", flush=True)
    for line in sys.stdin:
        mode = line.strip()
        if mode == "handler":
            seconds = bench.cpu_seconds(handler_alone)
        else:
            rt = bench.runtime(record_trace=mode == "traced")
            if mode == "runtime":
                rt.bind("example/greeter", answering)
            bench.feed_one_by_one(rt, warm)
            seconds = bench.cpu_seconds(partial(bench.feed_one_by_one, rt, workload))
        print(f"{seconds * 1e6 / len(workload):.4f}", flush=True)


class Checkout:
    """A worker process with ``statefun`` imported from one checkout."""

    def __init__(self, label: str, path: Path, records: int) -> None:
        if not (path / "statefun" / "__init__.py").is_file():
            raise SystemExit(f"{label}={path}: no statefun/__init__.py there; give a checkout")
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(path)}
        command = [sys.executable, __file__, "--worker", "--records", str(records)]
        self.process = subprocess.Popen(
            command, cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._expect("ready")

    def run(self, mode: str) -> float:
        """One run of ``mode``: CPU microseconds per record."""
        assert self.process.stdin is not None
        self.process.stdin.write(mode + "\n")
        self.process.stdin.flush()
        return float(self._expect(None))

    def _expect(self, text: str | None) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line or (text is not None and line != text):
            self.process.kill()
            raise SystemExit(f"the worker of {self.label} stopped (its error is above)")
        return line

    def close(self) -> None:
        """End the worker."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def measure(
    paths: list[tuple[str, Path]], mode: str, rounds: int, processes: int, records: int
) -> dict[str, list[float]]:
    """``rounds`` runs of ``mode`` per checkout, round by round, by ``processes`` successive
    sets of workers (each serves its share of the rounds, then ends)."""
    runs: dict[str, list[float]] = {label: [] for label, _ in paths}
    for share in range(processes):
        checkouts = [Checkout(label, path, records) for label, path in paths]
        try:
            for index in range(rounds * share // processes, rounds * (share + 1) // processes):
                for checkout in checkouts if index % 2 == 0 else checkouts[::-1]:
                    runs[checkout.label].append(checkout.run(mode))
        finally:
            for checkout in checkouts:
                checkout.close()
    return runs


def compare(runs: dict[str, list[float]], mode: str) -> list[str]:
    """Rows of the table for ``mode``: each checkout's runs and its differences from the first."""
    first = next(iter(runs.values()))
    rows = []
    for label, values in runs.items():
        diffs = sorted(v - f for v, f in zip(values, first, strict=True))
        quartiles = statistics.quantiles(diffs, n=4)
        ordered = sorted(values)
        median = statistics.median(values)
        rows.append(
            f"{mode:8} {label:>10} {ordered[0]:7.2f} {ordered[len(ordered) // 5]:7.2f} "
            f"{median:7.2f}   {statistics.median(diffs):+6.2f} "
            f"({quartiles[0]:+.2f} .. {quartiles[2]:+.2f})  "
            f"{statistics.median(diffs) / statistics.median(first):+6.1%}"
        )
    return rows


def parse_checkout(text: str) -> tuple[str, Path]:
    """``label=path`` of a checkout."""
    label, sep, path = text.partition("=")
    if not sep or not label or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: give a checkout as label=path")
    return label, Path(path).resolve()


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def whole(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of {minimum} or more")
        return number

    return whole


def main() -> None:
    """Compare the checkouts named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="*", type=parse_checkout, metavar="LABEL=PATH")
    parser.add_argument("--mode", choices=MODES, action="append", help="default: all three")
    parser.add_argument("--rounds", type=at_least(2), default=200)
    parser.add_argument("--records", type=at_least(1), default=4_000, help="records per run")
    parser.add_argument(
        "--processes", type=at_least(1), default=5, help="successive worker processes per checkout"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.records)
        return
    if len(args.checkouts) < 2:
        parser.error("give at least two checkouts, e.g. before=../old after=.")
    labels = [label for label, _ in args.checkouts]
    if len(set(labels)) < len(labels):
        parser.error(f"give each checkout its own label, got {', '.join(labels)}")
    if args.processes > args.rounds:
        parser.error(f"--processes {args.processes} is more than --rounds {args.rounds}")
    first = args.checkouts[0][0]
    print(
        f"{args.records:,} records one by one per run, {args.rounds} rounds by "
        f"{args.processes} successive processes per checkout, CPU µs per record; difference: "
        f"median of the per-round differences from {first} (quartiles), and that median "
        f"against {first}'s"
    )
    print(f"{'mode':8} {'checkout':>10} {'min':>7} {'p20':>7} {'median':>7}   difference")
    for mode in args.mode or MODES:
        runs = measure(args.checkouts, mode, args.rounds, args.processes, args.records)
        for row in compare(runs, mode):
            print(row, flush=True)


if __name__ == "__main__":
    main()
