"""What a checker says: correct, wrong (and why), or not attempted yet."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["CheckResult", "Status"]


class Status(StrEnum):
    """The three outcomes of a check (the values are English, for code; shown translated)."""

    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not attempted yet"


_ICONS = {Status.CORRECT: "✅", Status.WRONG: "❌", Status.NOT_ATTEMPTED: "⏳"}
_LABELS = {
    Status.CORRECT: N_("correct"),
    Status.WRONG: N_("wrong"),
    Status.NOT_ATTEMPTED: N_("not attempted yet"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of ``check_step_N``; true only when correct. Prints as two lines.

    ``message`` is in the language that was current when the check ran; the first line follows
    the current language.
    """

    step: int
    status: Status
    message: str

    @property
    def correct(self) -> bool:
        """Whether the check passed."""
        return self.status is Status.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        message = self.message[:1].upper() + self.message[1:]
        # NOTE: the first line of a checker's verdict, e.g. "✅ Step 4: correct".
        head = _("{icon} Step {step}: {verdict}").format(
            icon=_ICONS[self.status], step=self.step, verdict=_(_LABELS[self.status])
        )
        return f"{head}\n{message}"

    __repr__ = __str__
