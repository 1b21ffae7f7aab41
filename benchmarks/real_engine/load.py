"""Offered load through the stack: names produced at a fixed rate, greetings read committed.

One step produces ``rate`` names a second for ``seconds`` (paced from one thread, over ``keys``
distinct names of the step's own), while this thread reads the committed greetings
(``read_committed``) and matches each to its name's n-th send: per key the order is kept, so
the n-th greeting of a name answers its n-th send (its text is checked against n too).
Latency is produce -> committed read, so it includes up to one checkpoint interval.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from messages_pb2 import GreetRequest, GreetResponse

from real_engine.memory import cpu
from statefun.flink import CommittedReader, FlinkStack, Producer

TEMPLATES = ["", "Welcome {}", "Nice to see you again {}", "Third time is a charm {}"]


def greeting(name: str, n: int) -> str:
    """The walkthrough's greeting for the n-th visit of ``name``."""
    return TEMPLATES[n].format(name) if n < 4 else f"Nice to see you at the {n}-nth time {name}!"


@dataclass
class Step:
    """What one offered rate gave."""

    rate: float  # asked for, names/s
    offered_per_s: float  # what the producer managed
    sent: int
    read: int
    delivered_per_s: float
    p50_s: float | None
    p99_s: float | None  # None: more than 1% never read within the drain
    max_s: float | None
    wrong: int  # a greeting whose text does not match its count
    cores: dict[str, float] = field(default_factory=dict)  # CPU per process, in cores

    def as_dict(self) -> dict[str, Any]:
        """The step as JSON-able figures."""
        return asdict(self)


def percentile(sorted_values: list[float], q: float, total: int) -> float | None:
    """The q-quantile over ``total`` samples of which ``sorted_values`` were seen (the rest are
    longer than any seen): None when it falls among the unseen."""
    if total == 0:
        return None
    index = max(0, min(total - 1, round(q * total + 0.5) - 1))
    return sorted_values[index] if index < len(sorted_values) else None


def run_step(
    stack: FlinkStack,
    reader: CommittedReader[GreetResponse],
    rate: float,
    seconds: float,
    *,
    keys: int = 50,
    drain: float = 15.0,
) -> Step:
    """Offer ``rate`` names/s for ``seconds``; read greetings until all are in or ``drain`` s
    after the last send."""
    token = uuid.uuid4().hex[:6]
    names = [f"k{i}-{token}" for i in range(keys)]
    wanted = set(names)
    total = max(1, round(rate * seconds))
    sends: dict[str, list[float]] = defaultdict(list)
    produced = threading.Event()
    produce_wall: list[float] = []
    producer = Producer(stack.bootstrap, client_id="real-engine-bench")

    cpu_before = cpu(stack)
    t0 = time.monotonic() + 0.05

    def produce() -> None:
        for i in range(total):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            name = names[i % keys]
            sends[name].append(time.monotonic())
            producer.send("names", name, GreetRequest(name=name))
        producer.flush(timeout=120)
        produce_wall.append(time.monotonic() - t0)
        produced.set()

    thread = threading.Thread(target=produce, name="bench-producer", daemon=True)
    thread.start()
    latencies: list[float] = []
    receipts: list[float] = []
    seen: dict[str, int] = defaultdict(int)
    wrong = 0
    deadline: float | None = None
    while len(latencies) < total:
        if produced.is_set() and deadline is None:
            deadline = time.monotonic() + drain
        if deadline is not None and time.monotonic() > deadline:
            break
        for record in reader.poll(timeout_ms=100):
            now = time.monotonic()
            value = record.value
            if isinstance(value, bytes) or value.name not in wanted:
                continue
            seen[value.name] = n = seen[value.name] + 1
            latencies.append(now - sends[value.name][n - 1])
            receipts.append(now)
            if value.greeting != greeting(value.name, n):
                wrong += 1
    thread.join(timeout=60)
    wall = time.monotonic() - t0
    cpu_after = cpu(stack)
    producer.close()
    latencies.sort()
    p50 = percentile(latencies, 0.5, total)
    # Delivered: greetings read in a window as long as the sending, shifted by the median
    # latency (the steady state, not the first checkpoint's wait or the drain).
    shift = p50 if p50 is not None else (statistics.median(latencies) if latencies else 0.0)
    start, end = t0 + shift, t0 + shift + seconds
    in_window = sum(1 for t in receipts if start <= t < end)
    offered_s = produce_wall[0] if produce_wall else seconds
    return Step(
        rate=rate,
        offered_per_s=round(total / max(offered_s, 1e-9), 1),
        sent=total,
        read=len(latencies),
        delivered_per_s=round(in_window / seconds, 1),
        p50_s=_r(p50),
        p99_s=_r(percentile(latencies, 0.99, total)),
        max_s=_r(latencies[-1] if len(latencies) == total else None),
        wrong=wrong,
        cores={k: round((cpu_after[k] - v) / wall, 2) for k, v in cpu_before.items()},
    )


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def saturated(step: Step, previous: list[Step], *, p99_limit: float) -> str | None:
    """Why the ramp stops after ``step`` (None: go on)."""
    if step.p99_s is None:
        return "more than 1% of the greetings were not read within the drain"
    if step.p99_s > p99_limit:
        return f"p99 {step.p99_s:.1f} s > {p99_limit:g} s"
    if step.offered_per_s < 0.85 * step.rate:
        return (
            f"the load generator offered only {step.offered_per_s:g}/s (its limit here, "
            f"not the engine's)"
        )
    if step.delivered_per_s < 0.85 * step.offered_per_s:
        return "delivered < 85% of offered"
    best = max((s.delivered_per_s for s in previous), default=0.0)
    if previous and step.delivered_per_s < 1.1 * best:
        return "throughput stopped rising (< +10%)"
    return None


def ramp(
    stack: FlinkStack,
    rates: list[float],
    seconds: float,
    *,
    keys: int,
    drain: float,
    p99_limit: float,
    say: Any = print,
) -> tuple[list[Step], str]:
    """Steps at increasing ``rates`` until saturation; the steps and why it stopped."""
    steps: list[Step] = []
    why = "all rates done"
    with CommittedReader(stack.bootstrap, "greetings", GreetResponse, from_start=False) as reader:
        for rate in rates:
            step = run_step(stack, reader, rate, seconds, keys=keys, drain=drain)
            say(
                f"  {rate:>6g}/s offered {step.offered_per_s:>7.1f}/s delivered "
                f"{step.delivered_per_s:>7.1f}/s p50 {fmt(step.p50_s)} p99 {fmt(step.p99_s)} "
                f"read {step.read}/{step.sent}"
            )
            reason = saturated(step, steps, p99_limit=p99_limit)
            steps.append(step)
            if reason is not None:
                why = f"saturated at {rate:g}/s: {reason}"
                break
    return steps, why


def fmt(x: float | None) -> str:
    """Seconds for the table (``>drain`` when unknown)."""
    return f"{x:6.2f}s" if x is not None else " >drain"
