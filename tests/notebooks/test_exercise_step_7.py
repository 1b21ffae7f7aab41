"""Step 7: the names sent to the real runtime and their committed greetings, checked without
a stack (the greetings carry the counts)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from statefun.exercises import EXERCISES, Status, check_step_7, localize
from statefun.i18n import set_language
from statefun.walkthrough import greeting

NAMES = ["Newman", "Puddy", "Newman"]
GOOD = [("Newman", "Welcome Newman"), ("Puddy", "Welcome Puddy"), ("Newman", greeting("Newman", 2))]


def wrong(names: Any, greetings: Any, *fragments: str) -> None:
    result = check_step_7(names, greetings)
    assert result.status is Status.WRONG, str(result)
    for fragment in fragments:
        assert fragment in result.message, str(result)


def test_the_greetings_of_the_names_sent_are_right() -> None:
    result = check_step_7(NAMES, GOOD)
    assert result.correct, str(result)
    assert "3 committed greetings" in result.message


def test_the_order_between_names_does_not_matter_but_each_names_order_does() -> None:
    assert check_step_7(NAMES, [GOOD[1], GOOD[0], GOOD[2]]).correct
    wrong(NAMES, [GOOD[2], GOOD[1], GOOD[0]], "Newman's greetings skip or repeat a count")


def test_a_name_the_stack_knew_starts_where_it_left_off() -> None:
    later = [("Jerry", greeting("Jerry", 4)), ("Kramer", "Welcome Kramer")]
    later.append(("Jerry", greeting("Jerry", 5)))
    result = check_step_7(["Jerry", "Kramer", "Jerry"], later)
    assert result.correct, str(result)
    assert "Jerry was already known to this stack, so it started at 4." in result.message


def test_records_of_stack_egress_count_too() -> None:
    records = [SimpleNamespace(value=SimpleNamespace(name=n, greeting=g)) for n, g in GOOD]
    assert check_step_7(NAMES, records).correct


@pytest.mark.parametrize(
    ("names", "greetings", "fragment"),
    [
        ("Newman", GOOD, "`names` is one text, 'Newman'"),
        (["Newman", ""], GOOD, "a list of non-empty texts"),
        (["Newman", "Puddy"], GOOD[:2], "send one of the names twice"),
        (NAMES, "Welcome Newman", "the list that stack.greetings(...) returns, got a str"),
        (NAMES, GOOD[:2], "3 name(s) sent but 2 greeting(s) read"),
        (NAMES, [*GOOD, ("Jerry", "Welcome Jerry")], "names you did not send in this exercise"),
        (NAMES, [GOOD[0], GOOD[1], GOOD[0]], "skip or repeat a count"),
        (NAMES, [("Newman", "Hi Newman"), *GOOD[1:]], "'Hi Newman' is not the walkthrough"),
        (NAMES, [GOOD[0], GOOD[1], ("Newman",)], "a (name, greeting) pair"),
    ],
)
def test_each_mistake_is_explained(names: Any, greetings: Any, fragment: str) -> None:
    wrong(names, greetings, fragment)


def test_not_attempted_names_what_is_missing(starter_answers: Any) -> None:
    result = check_step_7(*starter_answers(7))
    assert result.status is Status.NOT_ATTEMPTED
    assert "names, greetings" in result.message
    assert check_step_7(NAMES).status is Status.NOT_ATTEMPTED


def test_the_solution_on_a_stand_in_stack_is_right_in_both_languages(answers: Any) -> None:
    assert check_step_7(*answers(7, localize(EXERCISES[7].solution, "en"))).correct
    set_language("zh")
    result = check_step_7(*answers(7, localize(EXERCISES[7].solution, "zh")))
    assert result.correct and "已提交问候" in result.message
    assert "名字" in check_step_7(["A", "B"], []).message


def test_in_a_browser_tab_the_step_waits_for_a_full_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import statefun.exercises.committed_greetings as step_7

    monkeypatch.setattr(step_7, "runs_here", lambda: False)
    result = check_step_7(NAMES, GOOD)
    assert result.status is Status.NOT_ATTEMPTED
    assert "does not run in a browser tab" in result.message
