"""Exercises of the StateFun Lab notebooks: checkers, progressive hints, solutions.

In a notebook::

    from statefun.exercises import check_step_4, hint_step_4, solution_step_4

    check_step_4(greet)   # ✅ correct / ❌ wrong, and why / ⏳ not attempted yet
    hint_step_4(1)        # a nudge; hint_step_4(2), (3) say more
    solution_step_4()     # prints a solution

Each checker runs your function in a fresh :class:`~statefun.local.LocalRuntime` on the
repository's module.yaml (or ``module=...``) and looks at what it did: its greetings on the
egress, its state, its timers.
"""

from __future__ import annotations

from statefun.exercises import first_function, reset, response, state
from statefun.exercises.catalog import Exercise, localize
from statefun.exercises.environment import EnvironmentReport, check_environment
from statefun.exercises.first_function import check_step_2
from statefun.exercises.reset import check_step_8
from statefun.exercises.response import check_step_3
from statefun.exercises.result import CheckResult, Status
from statefun.exercises.state import check_step_4

__all__ = [
    "EXERCISES",
    "CheckResult",
    "EnvironmentReport",
    "Exercise",
    "Status",
    "check_environment",
    "check_step_2",
    "check_step_3",
    "check_step_4",
    "check_step_8",
    "hint_step_2",
    "hint_step_3",
    "hint_step_4",
    "hint_step_8",
    "localize",
    "solution_step_2",
    "solution_step_3",
    "solution_step_4",
    "solution_step_8",
]

#: Every exercise by step number.
EXERCISES: dict[int, Exercise] = {
    m.EXERCISE.step: m.EXERCISE for m in (first_function, response, state, reset)
}

hint_step_2 = EXERCISES[2].hint
hint_step_3 = EXERCISES[3].hint
hint_step_4 = EXERCISES[4].hint
hint_step_8 = EXERCISES[8].hint
solution_step_2 = EXERCISES[2].show_solution
solution_step_3 = EXERCISES[3].show_solution
solution_step_4 = EXERCISES[4].show_solution
solution_step_8 = EXERCISES[8].show_solution
