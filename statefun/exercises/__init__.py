"""Exercises of the StateFun Lab notebooks: checkers, progressive hints, solutions.

In a notebook::

    from statefun.exercises import check_step_4, hint_step_4, solution_step_4

    check_step_4(greet)   # ✅ correct / ❌ wrong, and why / ⏳ not attempted yet
    hint_step_4(1)        # a nudge; hint_step_4(2), (3) say more
    solution_step_4()     # prints a solution

The checkers of steps 2, 3, 4 and 8 run your function in a fresh
:class:`~statefun.local.LocalRuntime` on the repository's module.yaml (or ``module=...``) and
look at what it did: its greetings on the egress, its state, its timers. The others check
values: step 1 a message, its ``Any`` and their bytes (``check_step_1(request, envelope,
type_url, value)``), step 5 a Flask app (``check_step_5(app)``, which posts the golden request
to it), step 6 module.yaml texts (``check_step_6(fixes, ttl_module)``), step 7 the names sent to the
real runtime and the committed greetings read back (``check_step_7(names, greetings)``).
"""

from __future__ import annotations

from statefun.exercises import (
    committed_greetings,
    envelope,
    first_function,
    flask_route,
    module_files,
    reset,
    response,
    state,
)
from statefun.exercises.catalog import Exercise, localize
from statefun.exercises.committed_greetings import check_step_7
from statefun.exercises.envelope import check_step_1
from statefun.exercises.environment import EnvironmentReport, check_environment
from statefun.exercises.first_function import check_step_2
from statefun.exercises.flask_route import check_step_5
from statefun.exercises.module_files import check_step_6
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
    "check_step_1",
    "check_step_2",
    "check_step_3",
    "check_step_4",
    "check_step_5",
    "check_step_6",
    "check_step_7",
    "check_step_8",
    "hint_step_1",
    "hint_step_2",
    "hint_step_3",
    "hint_step_4",
    "hint_step_5",
    "hint_step_6",
    "hint_step_7",
    "hint_step_8",
    "localize",
    "solution_step_1",
    "solution_step_2",
    "solution_step_3",
    "solution_step_4",
    "solution_step_5",
    "solution_step_6",
    "solution_step_7",
    "solution_step_8",
]

#: Every exercise by step number.
EXERCISES: dict[int, Exercise] = {
    m.EXERCISE.step: m.EXERCISE
    for m in (
        envelope,
        first_function,
        response,
        state,
        flask_route,
        module_files,
        committed_greetings,
        reset,
    )
}

hint_step_1 = EXERCISES[1].hint
hint_step_2 = EXERCISES[2].hint
hint_step_3 = EXERCISES[3].hint
hint_step_4 = EXERCISES[4].hint
hint_step_5 = EXERCISES[5].hint
hint_step_6 = EXERCISES[6].hint
hint_step_7 = EXERCISES[7].hint
hint_step_8 = EXERCISES[8].hint
solution_step_1 = EXERCISES[1].show_solution
solution_step_2 = EXERCISES[2].show_solution
solution_step_3 = EXERCISES[3].show_solution
solution_step_4 = EXERCISES[4].show_solution
solution_step_5 = EXERCISES[5].show_solution
solution_step_6 = EXERCISES[6].show_solution
solution_step_7 = EXERCISES[7].show_solution
solution_step_8 = EXERCISES[8].show_solution
