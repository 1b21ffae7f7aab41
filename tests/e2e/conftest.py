"""The real-engine tier: one Stack (Kafka + gunicorn greeter + StateFun 2.2.2) per session.

The jars come from Maven Central through ``statefun.flink.jars`` (plain HTTPS downloads checked
against the committed lock; no Maven needed). The tier skips only when the Maven repository
refuses to serve a jar of the lock (``statefun.errors.JarRefusedError``: HTTP 401, 403, 404,
410 or 451). Any other problem (offline, a checksum mismatch, no Java, a process that does not
start, a timeout) is an error, with what to do or the tail of the relevant log in its message.

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

from statefun.errors import JarRefusedError

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from e2e.stack import E2EHandle, Stack  # noqa: E402


@pytest.fixture(scope="session")
def e2e_stack() -> Iterator[E2EHandle]:
    stack = Stack()
    try:
        stack.fetch()
    except JarRefusedError as exc:
        pytest.skip(
            f"real-engine tier: the Maven repository refused a jar, so it cannot run:\n{exc}"
        )
    with stack:
        yield E2EHandle(stack)
