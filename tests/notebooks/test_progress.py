"""Progress: the checkers record their passes, the progress view shows them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from statefun.exercises import (
    EXERCISES,
    CheckResult,
    Status,
    check_step_1,
    check_step_2,
    check_step_4,
    check_step_5,
    check_step_6,
)
from statefun.exercises.progress import (
    PROGRESS_ENV,
    forget_progress,
    is_the_solution,
    load_progress,
    progress_path,
    record,
    solution_cell_ran,
)
from statefun.i18n import set_language
from statefun.widgets import ProgressTable, ProgressView

Define = Callable[[int, str], Callable[..., Any]]

OWN_STEP_2 = """\
@functions.bind("example/greeter")
def greet(context, request: GreetRequest):
    name = request.name
    print("Welcome " + name)
"""


@pytest.fixture
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache" / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    return path


def test_where_the_file_is(tmp_path: Path) -> None:
    assert progress_path({PROGRESS_ENV: str(tmp_path / "p.json")}) == tmp_path / "p.json"
    cache = {"STATEFUN_LAB_CACHE": str(tmp_path / "c")}
    assert progress_path(cache) == (tmp_path / "c").resolve() / "progress.json"
    xdg = {"XDG_CACHE_HOME": str(tmp_path / "x")}
    assert progress_path(xdg) == (tmp_path / "x" / "statefun-lab").resolve() / "progress.json"
    from statefun.flink.jars import cache_dir  # the same user cache as the jars'

    for env in ({}, cache, xdg, {**cache, **xdg}):
        assert progress_path(env) == cache_dir(env) / "progress.json"


def test_only_a_correct_result_is_recorded(progress_file: Path) -> None:
    assert not record(CheckResult(4, Status.WRONG, "no"))
    assert not record(CheckResult(4, Status.NOT_ATTEMPTED, "no"))
    assert not progress_file.exists()
    assert record(CheckResult(4, Status.CORRECT, "yes"))
    data = json.loads(progress_file.read_text())
    assert data["version"] == 1 and list(data["passed"]) == ["4"]
    assert data["passed"]["4"]["solution"] is False
    assert load_progress().done(4) and not load_progress().done(3)


def test_own_code_replaces_the_solution_never_the_reverse(progress_file: Path) -> None:
    assert record(CheckResult(8, Status.CORRECT, ""), solution=True)
    assert not load_progress().done(8)
    assert not record(CheckResult(8, Status.CORRECT, ""), solution=True)
    assert record(CheckResult(8, Status.CORRECT, ""))
    first = load_progress().passed[8]
    assert not record(CheckResult(8, Status.CORRECT, ""), solution=True)
    assert not record(CheckResult(8, Status.CORRECT, ""))  # the first pass's time stays
    assert load_progress().passed[8] == first and load_progress().done(8)
    assert not record(CheckResult(8, Status.WRONG, "later mistake"))
    assert load_progress().done(8)  # a step once passed stays passed


def test_a_broken_or_unwritable_file_never_breaks_a_check(
    progress_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solution: Any
) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("{not json")
    assert load_progress().passed == {}
    assert record(CheckResult(2, Status.CORRECT, ""))  # replaced by a good file
    assert load_progress().done(2)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(PROGRESS_ENV, str(blocker / "progress.json"))  # its parent is a file
    result = check_step_4(solution(4))
    assert result.correct  # the verdict stands
    assert load_progress().passed == {}


def test_forget_progress(progress_file: Path) -> None:
    record(CheckResult(3, Status.CORRECT, ""))
    forget_progress()
    assert not progress_file.exists()
    forget_progress()  # nothing to delete: fine


def test_the_checkers_record_their_passes(
    progress_file: Path, solution: Any, starter: Any, define: Define
) -> None:
    assert not check_step_4(starter(4))
    assert load_progress().passed == {}
    assert check_step_4(solution(4))
    assert load_progress().passed[4].solution  # the solution edition's own code
    assert check_step_2(define(2, OWN_STEP_2))
    assert load_progress().done(2)
    assert not load_progress().passed[2].solution


@pytest.mark.parametrize("step", [1, 5, 6])
def test_the_checkers_of_values_record_their_passes(
    progress_file: Path, step: int, solution_answers: Any, starter_answers: Any
) -> None:
    checker = {1: check_step_1, 5: check_step_5, 6: check_step_6}[step]
    assert not checker(*starter_answers(step))
    assert load_progress().passed == {}
    assert checker(*solution_answers(step))
    assert load_progress().done(step)
    assert not load_progress().passed[step].solution  # no IPython kernel ran the solution's cell


class FakeShell:
    """What solution_cell_ran reads of IPython's shell: the cells run, in ``user_ns["In"]``."""

    def __init__(self, cells: list[str]) -> None:
        self.user_ns = {"In": ["", *cells]}


def test_a_pass_after_the_solution_cell_ran_is_the_solutions(
    progress_file: Path, solution_answers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython

    solution = EXERCISES[1].solution
    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeShell(["x = 1", solution]))
    assert solution_cell_ran(solution)
    assert solution_cell_ran(solution.replace("print(type_url)", "print(type_url)  # here"))
    assert check_step_1(*solution_answers(1))
    assert load_progress().passed[1].solution
    edited = solution.replace('name="Jerry"', 'name="Tom"')
    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeShell([edited]))
    assert not solution_cell_ran(solution)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # a script, not a kernel
    assert not solution_cell_ran(solution)


def test_is_the_solution_ignores_comments_and_layout(define: Define) -> None:
    text = EXERCISES[4].solution
    assert is_the_solution(define(4, text), text)
    reformatted = text.replace("    # en:", "    # en: a comment\n    # en:").replace(
        "state.seen += 1", "state.seen += 1  # one more"
    )
    assert is_the_solution(define(4, reformatted), text)
    changed = text.replace("state.seen += 1", "state.seen = state.seen + 1")
    assert not is_the_solution(define(4, changed), text)
    assert not is_the_solution(print, text)  # no source


def test_the_view_lists_every_exercise(progress_file: Path) -> None:
    record(CheckResult(2, Status.CORRECT, ""))
    record(CheckResult(4, Status.CORRECT, ""), solution=True)
    table = ProgressTable()
    assert [r.step for r in table.rows] == sorted(EXERCISES)
    assert {r.step: r.status for r in table.rows}[2] == "passed"
    assert {r.step: r.status for r in table.rows}[4] == "solution"
    lines = table.lines()
    assert lines[0] == f"1 of {len(EXERCISES)} exercises passed with your own code"
    assert "✅ Step 2 · the first function: passed" in lines
    assert any(line.startswith("📖 Step 4 ·") for line in lines)
    assert any(line.startswith("⬜ Step 8 ·") and "not passed yet" in line for line in lines)


def test_the_view_refreshes_and_speaks_chinese(progress_file: Path) -> None:
    view = ProgressView()
    assert "0 of" in view.html.value and str(progress_file) in view.where.value
    record(CheckResult(3, Status.CORRECT, ""))
    assert "0 of" in view.html.value  # until refreshed
    view.refresh_button.click()
    assert "1 of" in view.html.value and "✅ Step 3" in view.html.value
    set_language("zh")
    assert view.refresh_button.description == "刷新"
    assert "你的进度" in view.title.value
    assert "✅ 第 3 步" in view.html.value and "已通过" in view.html.value
    assert "删掉这个文件" in view.where.value
