"""The real-engine tier: one ``statefun.flink.FlinkStack`` (Kafka + StateFun 2.2.2 + the
greeter served from this process) per session.

The jars come from Maven Central through ``statefun.flink.jars`` (plain HTTPS downloads checked
against the committed lock; no Maven needed). The tier skips only when the Maven repository
refuses to serve a jar of the lock (``statefun.errors.JarRefusedError``: HTTP 401, 403, 404,
410 or 451). Any other problem (offline, a checksum mismatch, no Java, a process that does not
start, a timeout) is an error, with what to do or the tail of the relevant log in its message.

The greeter is served from this process through a callable (``serving``), so a test can swap
the functions Flink calls (``serving.use(...)``) and the fixture puts the greeter back after it.
The ``e2e_stack`` fixture yields a ``real_engine.E2EHandle``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from real_engine import E2EHandle, Serving

import greeter
from statefun.errors import JarRefusedError
from statefun.flink import FlinkStack, fetch_jars

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def serving() -> Serving:
    return Serving(greeter.functions)


@pytest.fixture(scope="module")
def e2e_stack(serving: Serving) -> Iterator[E2EHandle]:
    """One stack per test module: it is down before the next module, so the tests that start
    their own (notebook 07's nbval, the pytest plugin's flink engine, a second ``up``) can."""
    try:
        fetch_jars("runtime", "kafka")
    except JarRefusedError as exc:
        pytest.skip(
            f"real-engine tier: the Maven repository refused a jar, so it cannot run:\n{exc}"
        )
    with FlinkStack(REPO / "module.yaml", functions=serving) as stack:
        yield E2EHandle(stack)


@pytest.fixture
def greeter_back(serving: Serving) -> Iterator[Serving]:
    """Lets a test swap the served functions; the greeter is served again after it."""
    yield serving
    serving.use(greeter.functions)
