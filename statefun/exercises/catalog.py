"""An exercise: its starter and solution code, its hints, and its checker.

The notebooks' exercise cells are generated from :attr:`Exercise.starter` (practice editions)
and :attr:`Exercise.solution` (solution editions), and ``solution_step_N()`` prints the same
solution, so the three cannot drift.

Code comments come in both languages: a full-line comment starting ``# en:`` or ``# zh:``
is kept only in that language's notebooks and solutions (see :func:`localize`). Everything else
an exercise says (title, hints, verdicts) is English in the code and translated through the
message catalogs of :mod:`statefun.i18n`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from statefun.errors import UnknownLanguageError
from statefun.exercises.result import CheckResult
from statefun.i18n import LANGUAGES, get_language
from statefun.i18n import gettext as _

__all__ = ["LANGUAGES", "Exercise", "localize"]

_TAGGED = re.compile(r"^(?P<indent>\s*)# (?P<lang>[a-z]{2}): ?(?P<text>.*)$")


def localize(code: str, lang: str | None = None) -> str:
    """``code`` for one language (the current one by default): its ``# <lang>:`` comment lines
    untagged, the others dropped."""
    lang = get_language() if lang is None else lang
    if lang not in LANGUAGES:
        raise UnknownLanguageError(f"unknown language {lang!r}; use one of {LANGUAGES}")
    out = []
    for line in code.splitlines():
        match = _TAGGED.match(line)
        if match is None:
            out.append(line)
        elif match["lang"] == lang:
            text = match["text"]
            out.append(f"{match['indent']}# {text}" if text else f"{match['indent']}#")
    return "\n".join(out) + ("\n" if code.endswith("\n") else "")


@dataclass(frozen=True)
class Exercise:
    """One exercise of the notebooks.

    ``title`` and ``hints`` are English messages (marked with ``N_``), from a nudge to nearly
    the answer, translated when shown. ``preamble`` is the code a notebook runs before the
    exercise cell (imports and a fresh ``functions``); the tests run the solution after it.
    ``answers`` are the names the exercise cell defines and the check cell passes to
    ``check_step_N``, in order: ``("greet",)`` for a function, or values such as
    ``("request", "envelope", "type_url", "value")``.
    """

    step: int
    title: str
    starter: str
    solution: str
    hints: tuple[str, ...]
    preamble: str
    checker: Callable[..., CheckResult]
    answers: tuple[str, ...] = ("greet",)

    def check(self, *answers: object, **kwargs: object) -> CheckResult:
        """Run the checker on the learner's answers (see :attr:`answers`)."""
        return self.checker(*answers, **kwargs)

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1 = the gentlest) in the current language."""
        step, total = self.step, len(self.hints)
        if not isinstance(n, int) or n < 1:
            print(
                _("Hints are numbered from 1: hint_step_{step}(1) … ({total} hints).").format(
                    step=step, total=total
                )
            )
            return
        if n > total:
            print(
                _(
                    "Step {step} has {total} hints. Still stuck? solution_step_{step}() shows a "
                    "solution."
                ).format(step=step, total=total)
            )
            return
        if n < total:
            more = _("(Next: hint_step_{step}({next}))").format(step=step, next=n + 1)
        else:
            more = _("(Last hint. The solution: solution_step_{step}())").format(step=step)
        head = _("Hint {n} of {total}").format(n=n, total=total)
        print(f"{head}\n{_(self.hints[n - 1])}\n{more}")

    def show_solution(self) -> None:
        """Print the solution as the solution notebook of the current language has it."""
        header = _(
            "# Step {step}, {title}: a solution.\n"
            "# Copy it into the exercise cell, run it, then run the check."
        ).format(step=self.step, title=_(self.title))
        print(f"{header}\n\n" + localize(self.solution).rstrip("\n"))
