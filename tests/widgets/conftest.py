"""Fixtures of the widgets' tests: English, and a fake running stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_stack import FakeStack

from statefun.i18n import get_language, set_language


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Each test starts in English and leaves the language as it found it."""
    before = get_language()
    set_language("en")
    yield
    set_language(before)


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()
