"""Your progress: which exercises' checkers passed in this environment.

The checkers record every ✅ in a small JSON file (:mod:`statefun.exercises.progress`); this
view lists the exercises of the notebooks (:data:`statefun.exercises.EXERCISES`) with what that
file says, and re-reads it on *Refresh* (a check run in another notebook shows up then).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as w

from statefun.exercises import EXERCISES
from statefun.exercises.progress import load_progress
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change

__all__ = ["ProgressRow", "ProgressTable", "ProgressView"]

_ICONS = {"passed": "✅", "solution": "📖", "todo": "⬜"}


@dataclass(frozen=True)
class ProgressRow:
    """One exercise: its step, its title (translated when shown) and ``passed``, ``solution``
    (passed by running the solution edition) or ``todo``."""

    step: int
    title: str
    status: str

    def line(self) -> str:
        labels = {
            "passed": _("passed"),
            "solution": _("the solution passed; your own code not yet"),
            "todo": _("not passed yet"),
        }
        # NOTE: one line of the progress view, e.g. "✅ Step 4 · a stateful hello: passed".
        return _("{icon} Step {step} · {title}: {status}").format(
            icon=_ICONS[self.status],
            step=self.step,
            title=_(self.title),
            status=labels[self.status],
        )


class ProgressTable:
    """The logic of :class:`ProgressView`: the exercises and what the progress file says."""

    def __init__(self, path: Path | None = None) -> None:
        self._source = path  # None: the file statefun.exercises.progress.progress_path() names
        #: The file read last.
        self.path: Path | None = None
        self.rows: list[ProgressRow] = []
        self.refresh()

    def refresh(self) -> list[ProgressRow]:
        """Re-read the progress file."""
        progress = load_progress(self._source)
        self.path = progress.path
        rows = []
        for step in sorted(EXERCISES):
            entry = progress.passed.get(step)
            status = "todo" if entry is None else "solution" if entry.solution else "passed"
            rows.append(ProgressRow(step, EXERCISES[step].title, status))
        self.rows = rows
        return rows

    @property
    def done(self) -> int:
        """Exercises passed with the learner's own code."""
        return sum(1 for r in self.rows if r.status == "passed")

    def summary(self) -> str:
        return _("{done} of {total} exercises passed with your own code").format(
            done=self.done, total=len(self.rows)
        )

    def lines(self) -> list[str]:
        """The summary, then one line per exercise."""
        return [self.summary(), *(r.line() for r in self.rows)]


class ProgressView:
    """The exercises and which passed here, with a *Refresh* button."""

    def __init__(self, path: Path | None = None) -> None:
        self.table = ProgressTable(path)
        self.title = w.HTML()
        self.refresh_button = w.Button(icon="refresh")
        self.html = w.HTML()
        self.where = w.HTML()
        self.refresh_button.on_click(lambda _: self.refresh())
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox([w.HBox([self.title, self.refresh_button]), self.html, self.where])

    def refresh(self) -> None:
        """Re-read the progress file and redraw (what *Refresh* does)."""
        self.table.refresh()
        self._render()

    def _relabel(self, language: str = "") -> None:
        self.title.value = "<b>{}</b>".format(html.escape(_("Your progress")))
        self.refresh_button.description = _("Refresh")
        self._render()

    def _render(self) -> None:
        summary, *rows = self.table.lines()
        body = "<br>".join(html.escape(line) for line in rows)
        self.html.value = f"<div>{html.escape(summary)}<br>{body}</div>"
        where = _("Kept in {path} (delete the file to start over).").format(path=self.table.path)
        self.where.value = f"<small>{html.escape(where)}</small>"

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
