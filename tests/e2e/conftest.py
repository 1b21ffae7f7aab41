"""The real-engine tier: one Stack (Kafka + gunicorn greeter + StateFun 2.2.2) per session.

The tier skips only when Maven Central refuses to serve an artifact of e2e/runtime-pom.xml or
e2e/kafka-pom.xml (``FetchRefused``). Any other problem (no mvn, no Java, a process that does
not start, a timeout) is an error, with the tail of the relevant log in its message.

The ``e2e_stack`` fixture yields an ``e2e.stack.E2EHandle``: what other tests (e.g. a
differential test against ``statefun.local.LocalRuntime``) need: ``bootstrap`` (the broker
address), ``names_topic``/``greetings_topic``, ``produce(names)`` and
``collect(names, count)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from e2e.stack import E2EHandle, FetchRefused, Stack  # noqa: E402


@pytest.fixture(scope="session")
def e2e_stack() -> Iterator[E2EHandle]:
    stack = Stack()
    try:
        stack.fetch()
    except FetchRefused as exc:
        pytest.skip(
            f"real-engine tier: Maven Central refused an artifact, so it cannot run:\n{exc}"
        )
    with stack:
        yield E2EHandle(stack)
