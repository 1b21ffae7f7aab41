"""An exercise: its starter and solution code, its hints, and its checker.

The notebooks' exercise cells are generated from :attr:`Exercise.starter` (practice editions)
and :attr:`Exercise.solution` (solution editions), and ``solution_step_N()`` prints the same
solution, so the three cannot drift.

Code comments may come in two languages: a full-line comment starting ``# en:`` or ``# zh:``
is kept only in that language's notebooks (see :func:`localize`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from statefun.exercises.result import CheckResult

__all__ = ["LANGUAGES", "Exercise", "localize"]

LANGUAGES = ("en", "zh")

_TAGGED = re.compile(r"^(?P<indent>\s*)# (?P<lang>[a-z]{2}): ?(?P<text>.*)$")


def localize(code: str, lang: str) -> str:
    """``code`` for one language: its ``# <lang>:`` comment lines untagged, the others dropped."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGUAGES}")
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

    ``hints`` are ``(english, chinese)`` pairs, from a nudge to nearly the answer.
    ``preamble`` is the code a notebook runs before the exercise cell (imports and a fresh
    ``functions``); the tests run the solution after it.
    """

    step: int
    title: str
    starter: str
    solution: str
    hints: tuple[tuple[str, str], ...]
    preamble: str
    checker: Callable[..., CheckResult]

    def check(self, target: object, **kwargs: object) -> CheckResult:
        return self.checker(target, **kwargs)

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1 = the gentlest) in English and Chinese."""
        total = len(self.hints)
        if not isinstance(n, int) or n < 1:
            print(f"Hints are numbered from 1: hint_step_{self.step}(1) … ({total} hints).")
            return
        if n > total:
            print(
                f"Step {self.step} has {total} hints. Still stuck? solution_step_{self.step}() "
                f"shows a solution.\n第 {self.step} 步共有 {total} 条提示。仍然卡住？"
                f"solution_step_{self.step}() 会显示参考答案。"
            )
            return
        english, chinese = self.hints[n - 1]
        more = (
            f"Next: hint_step_{self.step}({n + 1})"
            if n < total
            else f"Last hint. The solution: solution_step_{self.step}()"
        )
        print(
            f"Hint {n} of {total} (提示 {n}/{total})\n{english}\n{chinese}\n({more})",
        )

    def show_solution(self) -> None:
        """Print the solution (English comments), as the solution notebook has it."""
        print(
            f"# Step {self.step}, {self.title}: a solution (参考答案).\n"
            f"# Copy it into the exercise cell, run it, then run the check.\n\n"
            + localize(self.solution, "en").rstrip("\n")
        )
