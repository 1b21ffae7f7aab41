"""The walkthrough on the real Apache Flink StateFun 2.2.2 runtime and a real Kafka broker.

Run with ``pytest -m e2e tests/e2e`` (about two minutes once the jars are cached; the first
run fetches ~160 MB from Maven Central). See statefun/flink/stack.py for what runs where.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import defaultdict

import pytest
from real_engine import E2EHandle, Greeting, as_greetings, expected_greetings, greetings_reader

pytestmark = pytest.mark.e2e


def by_name(greetings: list[Greeting]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for g in greetings:
        assert g.key == g.name, f"record key {g.key!r} differs from the greeted name {g.name!r}"
        out[g.name].append(g.greeting)
    return dict(out)


def expected_by_name(names: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name, greeting in expected_greetings(names):
        out[name].append(greeting)
    return dict(out)


def test_walkthrough_end_to_end(e2e_stack: E2EHandle) -> None:
    """The event generator's names come back as exactly the expected greetings, in order."""
    jerry, george, elaine, kramer = e2e_stack.unique_names("Jerry", "George", "Elaine", "Kramer")
    names = [jerry, george, jerry, elaine, jerry, george, jerry, kramer, jerry, jerry, george]

    started = time.monotonic()
    e2e_stack.run_generator(names)
    greetings = e2e_stack.collect(names, len(names), timeout=120)
    elapsed = time.monotonic() - started

    assert by_name(greetings) == expected_by_name(names)
    assert len(greetings) == len(names), "a duplicate greeting was committed"
    assert by_name(greetings)[jerry][:4] == [
        f"Welcome {jerry}",
        f"Nice to see you again {jerry}",
        f"Third time is a charm {jerry}",
        f"Nice to see you at the 4-nth time {jerry}!",
    ]
    print(f"\n{len(names)} names -> {len(greetings)} committed greetings in {elapsed:.2f}s")


def test_kill_and_restore_from_checkpoint(e2e_stack: E2EHandle) -> None:
    """SIGKILL the StateFun JVM mid-stream, restart it from the last completed checkpoint.

    A read_committed consumer must see every greeting exactly once, and each name's count must
    go on from where the checkpoint left it (no "Welcome" twice, no gap).
    """
    stack = e2e_stack.stack
    bases = ("Ann", "Bob", "Cid")
    names = e2e_stack.unique_names(*bases)
    per_name = 60
    total = per_name * len(names)
    # The generator paces itself (~4 s of input) and keeps producing while StateFun is down.
    generator = subprocess.Popen(
        e2e_stack.generator_cmd(names, rate=total / 4, count=total),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with greetings_reader(e2e_stack.bootstrap) as reader:
            before_kill = as_greetings(
                reader.read(20, timeout=90, keep=lambda r: r.value.name in names)
            )
        committed_before_kill = len(before_kill)
        split_offset = before_kill[-1].offset
        producing_at_kill = generator.poll() is None
        stack.kill_task()
        checkpoint = stack.restore()
        assert generator.wait(timeout=120) == 0, generator.stdout and generator.stdout.read()
    finally:
        if generator.poll() is None:
            generator.kill()
            generator.wait()

    assert checkpoint is not None and (checkpoint / "_metadata").exists()
    assert committed_before_kill < total, "the kill did not happen in the middle of the stream"
    flink_log = stack.log_path("statefun").read_text()
    assert re.search(rf"Starting job \w+ from savepoint {re.escape(str(checkpoint))} ", flink_log)
    assert re.search(r"Restoring job \w+ from latest valid checkpoint: Checkpoint \d+", flink_log)

    greetings = e2e_stack.collect(names, total, timeout=180)
    assert by_name(greetings) == expected_by_name(names * per_name)
    assert len(greetings) == total, "a duplicate greeting was committed"
    # Spelled out: the counts go on after the crash; nobody is welcomed a second time.
    for name in names:
        seen_before = sum(g.name == name for g in greetings if g.offset <= split_offset)
        after = [g.greeting for g in greetings if g.name == name and g.offset > split_offset]
        assert after, f"no greeting for {name} after the restart"
        assert after[0] == expected_greetings([name] * (seen_before + 1))[-1][1]
    print(
        f"\nkilled StateFun after {committed_before_kill}/{total} committed greetings "
        f"(generator still producing: {producing_at_kill}), restored "
        f"{checkpoint.name}; all {total} greetings exactly once; "
        f"restart timings { ({k: v for k, v in stack.timings.items() if k.startswith('restore')}) }"
    )
