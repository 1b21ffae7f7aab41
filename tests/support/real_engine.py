"""What the real-engine tier (tests/e2e) adds to ``statefun.flink.FlinkStack``: test helpers.

* :func:`expected_greetings`: the greeter's greetings for a sequence of names, computed
  independently of the greeter (its templates, as the walkthrough writes them);
* :class:`Serving`: the functions the session's stack serves from this process, swappable;
* :class:`E2EHandle`: the session's stack with names nobody used yet, the walkthrough's event
  generator as a command, and :meth:`E2EHandle.collect`, which reads committed greetings from
  the topic's beginning and then waits for a *fence* (one more name produced afterwards) so a
  duplicate committed after the expected ones is caught too.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from messages_pb2 import GreetRequest, GreetResponse

from statefun import StatefulFunctions
from statefun.flink import CommittedReader, FlinkStack

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "generator" / "event-generator.py"
NAMES_TOPIC = "names"
GREETINGS_TOPIC = "greetings"
FENCE_PREFIX = "__fence__"


def expected_greeting(name: str, seen: int) -> str:
    """The greeter's templates (statefun-python-greeter-example)."""
    if seen == 1:
        return f"Welcome {name}"
    if seen == 2:
        return f"Nice to see you again {name}"
    if seen == 3:
        return f"Third time is a charm {name}"
    return f"Nice to see you at the {seen}-nth time {name}!"


def expected_greetings(
    names: Iterable[str], already_seen: dict[str, int] | None = None
) -> list[tuple[str, str]]:
    """Expected (name, greeting) pairs, in input order, for a sequence of names."""
    seen = dict(already_seen or {})
    out: list[tuple[str, str]] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append((name, expected_greeting(name, seen[name])))
    return out


@dataclasses.dataclass(frozen=True)
class Greeting:
    """A committed greeting: the record's key, the response's fields, its offset."""

    key: str
    name: str
    greeting: str
    offset: int


def greetings_reader(bootstrap: str, *, from_start: bool = True) -> CommittedReader[GreetResponse]:
    """A read_committed reader of the greetings topic."""
    return CommittedReader(bootstrap, GREETINGS_TOPIC, GreetResponse, from_start=from_start)


def as_greetings(records: Iterable[Any]) -> list[Greeting]:
    """EgressRecords of GreetResponse values as :class:`Greeting`."""
    return [Greeting(r.key or "", r.value.name, r.value.greeting, r.offset) for r in records]


class Serving:
    """The functions a stack serves from this process, swappable by a test (the stack is given
    this object, a callable, and looks it up on every request)."""

    def __init__(self, functions: StatefulFunctions) -> None:
        self.functions = functions

    def __call__(self) -> StatefulFunctions:
        return self.functions

    def use(self, functions: StatefulFunctions) -> None:
        """Serve ``functions`` from the next request on."""
        self.functions = functions


class E2EHandle:
    """The session's running stack, as the tests use it."""

    def __init__(self, stack: FlinkStack) -> None:
        self.stack = stack
        self.bootstrap = stack.bootstrap
        self.names_topic = NAMES_TOPIC
        self.greetings_topic = GREETINGS_TOPIC

    @staticmethod
    def unique_names(*bases: str) -> list[str]:
        """Names nobody has used on this stack yet (function state lives as long as it)."""
        token = uuid.uuid4().hex[:6]
        return [f"{base}-{token}" for base in bases]

    def produce(self, names: Sequence[str]) -> None:
        """Produce GreetRequests keyed by name."""
        self.stack.produce_many(NAMES_TOPIC, ((n, GreetRequest(name=n)) for n in names))

    def generator_cmd(
        self, names: Sequence[str], *, rate: float = 0, count: int | None = None
    ) -> list[str]:
        """The walkthrough's event generator, producing exactly ``names`` (cycled to ``count``)."""
        cmd = [sys.executable, str(GENERATOR), "--produce-only", "--broker", self.bootstrap]
        cmd += ["--names", ",".join(names), "--rate", str(rate)]
        if count is not None:
            cmd += ["--count", str(count)]
        return cmd

    def run_generator(self, names: Sequence[str], *, timeout: float = 120) -> None:
        """Produce ``names`` once, as fast as possible, with the event generator."""
        proc = subprocess.run(
            self.generator_cmd(names), capture_output=True, text=True, timeout=timeout
        )
        assert proc.returncode == 0, f"event generator failed:\n{proc.stdout}\n{proc.stderr}"

    def collect(self, names: Iterable[str], count: int, *, timeout: float = 120) -> list[Greeting]:
        """Committed greetings for ``names``: wait for ``count`` of them, then for a fence.

        Returns every greeting read for ``names`` (from the topic's beginning), in topic order.
        """
        wanted = set(names)
        fence = f"{FENCE_PREFIX}{uuid.uuid4().hex[:8]}"
        with greetings_reader(self.bootstrap) as reader:
            got = as_greetings(
                reader.read(count, timeout=timeout, keep=lambda r: r.value.name in wanted)
            )
            self.produce([fence])
            seen_fence = False
            while not seen_fence:
                more = as_greetings(
                    reader.read(1, timeout=timeout, keep=lambda r: r.value.name in wanted | {fence})
                )
                seen_fence = any(g.name == fence for g in more)
                got += more
        return [g for g in got if g.name in wanted]
