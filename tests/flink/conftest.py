"""Fixtures of tests/flink: a local Maven repository over HTTP (see tests/support/fake_maven.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_maven import FakeRepository, serve


@pytest.fixture
def repo() -> Iterator[FakeRepository]:
    with serve() as repository:
        yield repository
