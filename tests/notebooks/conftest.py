"""Fixtures for the notebooks' widgets and exercises: cells defined as in Jupyter."""

from __future__ import annotations

import itertools
import linecache
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from statefun.exercises import EXERCISES, localize
from statefun.i18n import get_language, set_language

_cells = itertools.count()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Each test starts in English (whatever STATEFUN_LAB_LANG says) and leaves the language as
    it found it."""
    before = get_language()
    set_language("en")
    yield
    set_language(before)


def run_cell(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run ``source`` like a Jupyter cell: its source stays readable by ``inspect``."""
    source = textwrap.dedent(source)
    filename = f"<notebook-cell-{next(_cells)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def define_greet(step: int, source: str) -> Callable[..., Any]:
    """The ``greet`` that ``source`` defines, after the exercise's preamble (imports)."""
    namespace: dict[str, Any] = {}
    run_cell(EXERCISES[step].preamble, namespace)
    run_cell(source, namespace)
    return namespace["greet"]  # type: ignore[no-any-return]


class LocalStack:
    """Step 7's ``stack`` in these tests: a FlinkStack's ``send`` and ``greetings`` on the
    local runtime, with the walkthrough's greeter (the same greetings, no JVM)."""

    def __init__(self) -> None:
        from messages_pb2 import GreetResponse

        import greeter
        from statefun.local import LocalRuntime

        self.runtime = LocalRuntime.from_module(
            Path(__file__).resolve().parents[2] / "module.yaml",
            greeter.functions,
            egress_types={"example/greets": GreetResponse},
        )
        self._read = 0

    def send(self, *names: str, topic: str | None = None) -> int:
        from messages_pb2 import GreetRequest

        for name in names:
            self.runtime.ingest(topic or "names", key=name, value=GreetRequest(name=name))
        return len(names)

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        records = self.runtime.egress("example/greets")[self._read :]
        records = records if count is None else records[:count]
        self._read += len(records)
        return [(r.value.name, r.value.greeting) for r in records]  # type: ignore[attr-defined]


def define_answers(step: int, source: str) -> tuple[Any, ...]:
    """The answers (``Exercise.answers``) that ``source`` defines, after the preamble; step 7's
    cells get a :class:`LocalStack` as the running ``stack``."""
    namespace: dict[str, Any] = {"__name__": "__main__"}  # a notebook's (Flask(__name__))
    if step == 7:
        namespace["stack"] = LocalStack()
    run_cell(EXERCISES[step].preamble, namespace)
    run_cell(source, namespace)
    return tuple(namespace[name] for name in EXERCISES[step].answers)


def _solution(step: int) -> Callable[..., Any]:
    return define_greet(step, localize(EXERCISES[step].solution, "en"))


def _starter(step: int, lang: str = "en") -> Callable[..., Any]:
    return define_greet(step, localize(EXERCISES[step].starter, lang))


@pytest.fixture
def solution() -> Callable[[int], Callable[..., Any]]:
    """``solution(step)``: the ``greet`` of the solution notebooks."""
    return _solution


@pytest.fixture
def starter() -> Callable[..., Callable[..., Any]]:
    """``starter(step, lang)``: the ``greet`` of the practice notebooks."""
    return _starter


@pytest.fixture
def define() -> Callable[[int, str], Callable[..., Any]]:
    """``define(step, source)``: the learner's ``greet`` from a cell's source."""
    return define_greet


@pytest.fixture
def answers() -> Callable[[int, str], tuple[Any, ...]]:
    """``answers(step, source)``: what a cell defines for ``check_step_N(*answers)``."""
    return define_answers


@pytest.fixture
def solution_answers() -> Callable[[int], tuple[Any, ...]]:
    """``solution_answers(step)``: the answers of the solution notebooks."""
    return lambda step: define_answers(step, localize(EXERCISES[step].solution, "en"))


@pytest.fixture
def starter_answers() -> Callable[..., tuple[Any, ...]]:
    """``starter_answers(step, lang)``: the answers of the practice notebooks, as given."""
    return lambda step, lang="en": define_answers(step, localize(EXERCISES[step].starter, lang))


@pytest.fixture
def cell() -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """``cell(source, namespace)``: run source like a Jupyter cell."""
    return run_cell
