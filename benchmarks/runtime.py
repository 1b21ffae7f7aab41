"""Greetings per second through the local runtime, end to end, beside the handler alone.

End to end: ``LocalRuntime.ingest`` of each record until its greeting is captured on the egress,
with the in-process transport, for RECORDS records over NAMES names (each name RECORDS/NAMES
times, in a seeded random order), trace off and trace on. Two ways in:

* ``one by one``: ``rt.ingest(...)`` per record, run to quiescence each time (every request is
  a batch of 1, as when input is slower than the function);
* ``burst``: one ``rt.ingest_many(...)`` of every record (they queue up as a Kafka backlog
  would, and the runtime batches each address's waiting messages).

Handler only: the walkthrough greeter's ``RequestReplyHandler`` called on the very requests the
runtime sent in that mode (captured in an untimed run, so the same bytes, states and batch
sizes), in the same process. ``ratio`` = end-to-end rate / handler-only rate, per round
(median of rounds); the target is 0.5.

Where one record's time goes (one by one, trace off): CPU time inside the handler, timed
around each call within the run, against the rest; beside the handler replayed alone. This
split goes through a wrapping transport, so it takes the wire path (the response serialised
and parsed back), which the in-process transport of the table above skips.

Memory per idle address: ``tracemalloc`` growth after greeting N more distinct names once
(the runtime idle again, trace off), divided by N; with and without the egress record each
greeting left behind.

Memory of the trace with large values: resident memory growth (upb keeps messages outside
``tracemalloc``'s view) while a function rewrites a 10 MB state on each of 20 messages, trace
off and trace on, each in a fresh process (values above the trace's value limit are kept as
their type and size only).

CPU time of this process (``time.process_time``), median of ``--repeat`` runs.

    .venv/bin/python benchmarks/runtime.py [--records 100000] [--names 1000] [--repeat 3]
    .venv/bin/python benchmarks/runtime.py --profile   # where the runtime's own time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from operator import truediv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "greeter"))

from messages_pb2 import GreetRequest, GreetResponse  # noqa: E402

from statefun import RequestReplyHandler  # noqa: E402
from statefun.local import InProcessTransport, LocalRuntime  # noqa: E402
from statefun.local.transport import CONTENT_TYPE, Attempt  # noqa: E402
from statefun.request_reply_pb2 import ToFunction  # noqa: E402

# The walkthrough's greeter.py, unchanged (imported by name: it is not a typed package).
greeter = importlib.import_module("greeter")

MODULE = ROOT / "module.yaml"
TOPIC = "names"
TARGET = 0.5

Records = list[tuple[str, GreetRequest]]


def make_records(records: int, names: int, seed: int = 0) -> Records:
    """``records`` greet requests over ``names`` names, each name equally often, shuffled."""
    pool = [f"name-{i:05d}" for i in range(names)]
    keys = [pool[i % names] for i in range(records)]
    random.Random(seed).shuffle(keys)
    return [(key, GreetRequest(name=key)) for key in keys]


class RecordingTransport:
    """The in-process transport, keeping a copy of every request it sends."""

    def __init__(self) -> None:
        self.inner = InProcessTransport(greeter.functions)
        self.requests: list[bytes] = []

    def describe(self) -> str:
        return self.inner.describe()

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        self.requests.append(request)
        return self.inner.send(typename, request, timeout)


def feed_one_by_one(rt: LocalRuntime, records: Records) -> None:
    for key, value in records:
        rt.ingest(TOPIC, key, value)


def feed_burst(rt: LocalRuntime, records: Records) -> None:
    rt.ingest_many(TOPIC, records)


MODES: dict[str, Callable[[LocalRuntime, Records], None]] = {
    "one by one": feed_one_by_one,
    "burst": feed_burst,
}


def runtime(record_trace: bool) -> LocalRuntime:
    return LocalRuntime.from_module(MODULE, greeter.functions, record_trace=record_trace)


def check_output(rt: LocalRuntime, records: Records) -> None:
    """Every record got its greeting, in order per name (outside the timed part)."""
    out = rt.egress("example/greets", GreetResponse)
    assert len(out) == len(records), (len(out), len(records))
    seen: Counter[str] = Counter()
    for record in out:
        assert record.key is not None and isinstance(record.value, GreetResponse)
        seen[record.key] += 1
        expected = greeter.compute_greeting(record.key, seen[record.key]).greeting
        assert record.value.greeting == expected, (record, expected)
    assert seen == Counter(key for key, _ in records)


def cpu_seconds(action: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    action()
    return time.process_time() - start


def end_to_end(
    feed: Callable[[LocalRuntime, Records], None], records: Records, *, record_trace: bool
) -> float:
    """Records per CPU second from ingest to egress, in a fresh runtime."""
    rt = runtime(record_trace=record_trace)
    seconds = cpu_seconds(lambda: feed(rt, records))
    check_output(rt, records)
    return len(records) / seconds


@dataclass
class ModeResult:
    requests: int
    batches: Counter[int]
    handler: float  # records per CPU second
    trace_off: float
    trace_on: float
    ratio_off: float  # median of each round's end-to-end rate / that round's handler rate
    ratio_on: float


def measure_mode(name: str, records: Records, repeat: int) -> ModeResult:
    feed = MODES[name]
    recorder = RecordingTransport()
    rt = runtime(record_trace=False)
    rt.bind("example/greeter", recorder)
    feed(rt, records)
    check_output(rt, records)
    requests = recorder.requests
    batches = Counter(len(ToFunction.FromString(r).invocation.invocations) for r in requests)
    assert sum(size * n for size, n in batches.items()) == len(records)

    handler = RequestReplyHandler(greeter.functions)

    def replay() -> None:
        for request in requests:
            handler(request)

    rates: dict[str, list[float]] = {"handler": [], "off": [], "on": []}
    for _ in range(repeat):  # interleaved, so background load hits all three alike
        rates["handler"].append(len(records) / cpu_seconds(replay))
        rates["off"].append(end_to_end(feed, records, record_trace=False))
        rates["on"].append(end_to_end(feed, records, record_trace=True))
    return ModeResult(
        requests=len(requests),
        batches=batches,
        handler=statistics.median(rates["handler"]),
        trace_off=statistics.median(rates["off"]),
        trace_on=statistics.median(rates["on"]),
        # per round, so a slow spell of the machine during one round does not skew the ratio
        ratio_off=statistics.median(map(truediv, rates["off"], rates["handler"])),
        ratio_on=statistics.median(map(truediv, rates["on"], rates["handler"])),
    )


class TimedTransport:
    """Calls the greeter's handler, adding up the CPU time spent inside it.

    Each ``process_time()`` call costs about a microsecond, which lands in the handler's share.
    """

    def __init__(self) -> None:
        self.handler = RequestReplyHandler(greeter.functions)
        self.seconds = 0.0
        self.requests: list[bytes] = []

    def describe(self) -> str:
        return "in-process (timed)"

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        start = time.process_time()
        body = self.handler(request)
        self.seconds += time.process_time() - start
        self.requests.append(request)
        return Attempt(200, CONTENT_TYPE, body)


def split_once(records: Records) -> tuple[float, float, float]:
    """CPU seconds in the handler and in the rest of one run, and replaying its requests."""
    transport = TimedTransport()
    rt = runtime(record_trace=False)
    rt.bind("example/greeter", transport)
    total = cpu_seconds(lambda: feed_one_by_one(rt, records))
    handler = RequestReplyHandler(greeter.functions)
    requests = transport.requests
    alone = cpu_seconds(lambda: [handler(request) for request in requests])
    return transport.seconds, total - transport.seconds, alone


def split(records: Records, repeat: int) -> tuple[float, float, float]:
    """Microseconds per record (one by one, trace off) in the handler and in the rest of the
    runtime, in the same run; and in the handler replayed alone. Best of ``repeat``.
    """
    runs = [split_once(records) for _ in range(repeat)]
    per = 1e6 / len(records)
    inside, rest, alone = (min(run[i] for run in runs) * per for i in range(3))
    return inside, rest, alone


def memory_per_address(addresses: int) -> tuple[float, float]:
    """Bytes retained per idle address (with its egress record, and without when possible)."""
    rt = runtime(record_trace=False)
    warm = [(f"warm-{i}", GreetRequest(name=f"warm-{i}")) for i in range(1000)]
    fresh = [(f"idle-{i:06d}", GreetRequest(name=f"idle-{i:06d}")) for i in range(addresses)]
    tracemalloc.start()
    try:
        feed_one_by_one(rt, warm)  # first-call allocations and caches, not per address
        rt.clear_egress()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        feed_one_by_one(rt, fresh)
        gc.collect()
        with_egress = (tracemalloc.get_traced_memory()[0] - before) / addresses
        rt.clear_egress()
        gc.collect()
        state_only = (tracemalloc.get_traced_memory()[0] - before) / addresses
    finally:
        tracemalloc.stop()
    assert len(rt.addresses("example/greeter")) == addresses + len(warm)
    return with_egress, state_only


def _rss() -> int:
    """This process's resident memory in bytes (Linux): upb keeps messages outside tracemalloc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def trace_memory_child(record_trace: bool, state_bytes: int, messages: int) -> int:
    """RSS growth while ``messages`` rewrite a ``state_bytes`` state (run in a fresh process)."""
    from statefun import StatefulFunctions

    functions = StatefulFunctions()

    @functions.bind("example/greeter")
    def rewrite(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        context.state("seen_count").pack(GreetRequest(name=request.name * state_bytes))

    rt = LocalRuntime.from_module(MODULE, functions, record_trace=record_trace)
    rt.ingest("names", key="warm", value=GreetRequest(name="w"))
    gc.collect()
    before = _rss()
    for i in range(messages):
        rt.ingest("names", key="big", value=GreetRequest(name=chr(ord("a") + i % 26)))
    gc.collect()
    return _rss() - before


def trace_memory(state_bytes: int = 10 * 1024 * 1024, messages: int = 20) -> tuple[int, int]:
    """RSS growth (trace off, trace on), each in a fresh process."""
    out = []
    for mode in ("off", "on"):
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--trace-memory-child",
                mode,
                str(state_bytes),
                str(messages),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        out.append(int(child.stdout))
    return out[0], out[1]


def profile(records: Records) -> str:
    """cProfile of one end-to-end run (one by one, trace off): the runtime's own functions."""
    rt = runtime(record_trace=False)
    profiler = cProfile.Profile()
    profiler.enable()
    feed_one_by_one(rt, records)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(r"statefun/local/|statefun/core|greeter", 30)
    return out.getvalue()


def describe_batches(batches: Counter[int]) -> str:
    parts = [f"{size}x{count}" for size, count in sorted(batches.items())]
    if len(parts) > 4:
        parts = [*parts[:2], "...", *parts[-2:]]
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--memory-addresses", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile")
    parser.add_argument("--trace-memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trace_memory_child:
        mode, state_bytes, messages = args.trace_memory_child
        print(trace_memory_child(mode == "on", int(state_bytes), int(messages)))
        return

    records = make_records(args.records, args.names)
    print(
        f"{args.records:,} records over {args.names:,} names, in-process transport, "
        f"CPU time, median of {args.repeat}"
    )
    header = (
        f"{'mode':<10} {'requests':>8} {'batch sizes (size x count)':<27} "
        f"{'handler rec/s':>13} {'e2e rec/s':>10} {'ratio':>6} "
        f"{'e2e+trace':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    below = []
    for name in MODES:
        r = measure_mode(name, records, args.repeat)
        off, on = r.ratio_off, r.ratio_on
        print(
            f"{name:<10} {r.requests:>8,} {describe_batches(r.batches):<27} "
            f"{r.handler:>13,.0f} {r.trace_off:>10,.0f} {off:>6.2f} "
            f"{r.trace_on:>10,.0f} {on:>6.2f}"
        )
        if off < TARGET:
            below.append(name)
    inside, rest, alone = split(records[: min(len(records), 50_000)], args.repeat)
    print()
    print("one record, one by one, trace off, wire path (CPU time, best of runs):")
    print(
        f"  in the handler, inside the runtime: {inside:6.1f} us  (replayed alone: {alone:.1f} us)"
    )
    print(f"  in the runtime itself:              {rest:6.1f} us")
    with_egress, state_only = memory_per_address(args.memory_addresses)
    print()
    print(f"memory per idle address (1 state, trace off, {args.memory_addresses:,} addresses):")
    print(f"  with its egress record: {with_egress:,.0f} bytes")
    print(f"  address and state only: {state_only:,.0f} bytes")
    print()
    off, on = trace_memory()
    print("memory (RSS growth) while a 10 MB state is rewritten by 20 messages:")
    print(f"  trace off: {off / 1e6:,.1f} MB; trace on: {on / 1e6:,.1f} MB")
    print()
    if below:
        print(
            f"below target: end to end (trace off) under {TARGET} x handler-only for "
            f"{', '.join(below)}"
        )
    else:
        print(f"target met: end to end (trace off) at least {TARGET} x handler-only")
    if args.profile:
        print()
        print(profile(records[: min(len(records), 50_000)]))


if __name__ == "__main__":
    main()
