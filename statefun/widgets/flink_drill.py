"""The failure drill as a button: kill the job, restore it from its checkpoint, and see each
name's counts carry on with nothing lost or counted twice (:mod:`statefun.flink.drill`)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Unpack

import ipywidgets as w

from statefun.errors import StatefunError
from statefun.flink.drill import (
    DRILL_NAMES,
    CountProblem,
    DrillOptions,
    DrillResult,
    DrillStep,
    FailureDrill,
)
from statefun.flink.protocol import FlinkStackLike
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.widgets._poll import stack_lock

__all__ = ["FailureDrillView", "drill_lines", "problem_text", "step_text"]


def step_text(step: DrillStep) -> str:
    """A step of the drill, in the current language."""
    if step.phase == "send":
        return _("sent {count} names; waiting for their committed greetings").format(
            count=step.count
        )
    if step.phase == "committed":
        return _("{count} greetings committed before the crash").format(count=step.count)
    if step.phase == "kill":
        return _("killed the job (SIGKILL: no cancel, no last checkpoint)")
    if step.phase == "send_down":
        return _("sent {count} more names while the job is down").format(count=step.count)
    if step.phase == "restore":
        if step.checkpoint is None:
            return _("started the job again from nothing (no checkpoint)")
        return _("restored the job from its latest checkpoint, {checkpoint}").format(
            checkpoint=step.checkpoint
        )
    if step.phase == "restored":
        return _("{count} greetings committed after the restore").format(count=step.count)
    if step.phase == "fence":
        return _("read on up to one more name: {count} greetings after the crash in all").format(
            count=step.count
        )
    return _("done")


def problem_text(problem: CountProblem) -> str:
    """What is wrong with a name's counts, in the current language (``str(problem)``)."""
    return str(problem)


def drill_lines(result: DrillResult) -> list[str]:
    """The verdict in the current language: each name's counts before | after the crash, what
    is wrong, and the summary (:meth:`~statefun.flink.drill.DrillResult.lines`)."""
    return result.lines()


class FailureDrillView:
    """*Run the failure drill*: the steps as they happen, then each name's counts before and
    after the crash and the verdict (``text``; :attr:`result` the
    :class:`~statefun.flink.drill.DrillResult`).

    ``on_greetings`` is given every greeting the drill reads (a :class:`FlinkGreetings` view
    of the same stack shows them through it); ``after_run`` is called when a run ends.
    ``names`` and the other options are :class:`~statefun.flink.drill.FailureDrill`'s
    (:class:`~statefun.flink.drill.DrillOptions`); :attr:`drill` is the drill the button runs.
    """

    def __init__(
        self,
        stack: FlinkStackLike,
        names: Sequence[str] = DRILL_NAMES,
        *,
        on_greetings: Callable[[list[tuple[str, str]]], None] | None = None,
        after_run: Callable[[], object] | None = None,
        **options: Unpack[DrillOptions],
    ) -> None:
        self.stack = stack
        #: The drill the button runs (its names, counts and timeout).
        self.drill = FailureDrill(
            stack, names, on_step=self._on_step, on_greetings=on_greetings, **options
        )
        self._after_run = after_run
        #: The last run's verdict (None before the first, or when it failed).
        self.result: DrillResult | None = None
        #: The last run's steps, in order.
        self.steps: list[DrillStep] = []
        self._error_text = ""
        self.title = w.HTML()
        self.explain = w.HTML()
        self.run_button = w.Button(button_style="danger", icon="bolt")
        self.steps_html = w.HTML(value="")
        self.verdict = w.HTML(value="")
        self.run_button.on_click(lambda _: self.run())
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [self.title, self.explain, self.run_button, self.steps_html, self.verdict]
        )

    def run(self) -> DrillResult | None:
        """Run the drill (as the button does); returns the verdict (None, and the error shown,
        when the stack failed)."""
        self.result, self.steps, self._error_text = None, [], ""
        self.run_button.disabled = True
        self._render()
        try:
            with stack_lock(self.stack):  # a view following the stack waits meanwhile
                self.result = self.drill.run()
        except StatefunError as e:
            self._error_text = str(e)
        finally:
            self.run_button.disabled = False
            self._render()
            if self._after_run is not None:
                self._after_run()
        return self.result

    @property
    def text(self) -> str:
        """The verdict as lines of text (or the error, or a hint before the first run)."""
        if self._error_text:
            return self._error_text
        if self.result is None:
            return _("not run yet: press the button")
        return "\n".join(drill_lines(self.result))

    def _on_step(self, step: DrillStep) -> None:
        self.steps.append(step)
        self._render()

    def _relabel(self, language: str = "") -> None:
        self.title.value = "<b>{}</b>".format(html.escape(_("Failure drill")))
        self.explain.value = "<small>{}</small>".format(
            html.escape(
                _(
                    "Sends {names} {before}× each, kills the job, sends them {after}× more while "
                    "it is down, restores it from its checkpoint, and checks each name's counts "
                    "go on one by one."
                ).format(
                    names=", ".join(self.drill.names),
                    before=self.drill.before,
                    after=self.drill.after,
                )
            )
        )
        self.run_button.description = _("Run the failure drill")
        self._render()

    def _render(self) -> None:
        steps = "".join(f"<li>{html.escape(step_text(s))}</li>" for s in self.steps)
        self.steps_html.value = f"<ol style='margin:0'>{steps}</ol>" if steps else ""
        if self.result is None and not self._error_text:
            self.verdict.value = ""
            return
        ok = self.result is not None and self.result.ok
        color = "#2ca02c" if ok else "#d62728"
        body = html.escape(self.text).replace("\n", "<br>")
        self.verdict.value = (
            f'<div style="font-family:monospace;font-size:12px;color:{color}">{body}</div>'
        )

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
