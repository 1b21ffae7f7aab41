"""What a checker says: correct, wrong (and why), or not attempted yet."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CheckResult", "Status"]


class Status(StrEnum):
    """The three outcomes of a check."""

    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not attempted yet"


# The icon and the Chinese label: outputs are the same in every edition of a notebook, so the
# verdict carries both languages (the explanation is English).
_SHOWN = {
    Status.CORRECT: ("✅", "正确"),
    Status.WRONG: ("❌", "还不对"),
    Status.NOT_ATTEMPTED: ("⏳", "尚未作答"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of ``check_step_N``; true only when correct. Prints as two lines."""

    step: int
    status: Status
    message: str

    @property
    def correct(self) -> bool:
        return self.status is Status.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        icon, chinese = _SHOWN[self.status]
        message = self.message[:1].upper() + self.message[1:]
        return f"{icon} Step {self.step}: {self.status.value} ({chinese})\n{message}"

    __repr__ = __str__
