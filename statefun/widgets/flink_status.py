"""A running Flink stack's status: the job's state, its checkpoints, the uptime, each
process's memory (``stack.status()``)."""

from __future__ import annotations

import html

import ipywidgets as w

from statefun.errors import StackNotRunningError, StatefunError
from statefun.flink.protocol import FlinkStackLike
from statefun.flink.status import StackStatus
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.widgets._following import Following
from statefun.widgets._poll import Poller, stack_lock

__all__ = ["FlinkStatusView", "format_duration", "status_lines"]


def format_duration(seconds: float) -> str:
    """``75.4`` as ``1m 15s``, ``3725`` as ``1h 02m 05s``, ``9`` as ``9s``.

    >>> format_duration(3725), format_duration(75.4), format_duration(9)
    ('1h 02m 05s', '1m 15s', '9s')
    """
    total = round(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def status_lines(status: StackStatus) -> list[str]:
    """The status in the current language: the job, its checkpoints, the uptimes, then one
    line per process (name, pid, running or stopped, RSS)."""
    job = status.job
    if job is None:
        lines = [_("job: not answering (the StateFun JVM is down or starting)")]
    else:
        lines = [
            _("job: {state}, tasks {running}/{total}").format(
                state=job.state, running=job.tasks_running, total=job.tasks_total
            ),
            _("checkpoints: {completed} completed, {failed} failed, the last #{last}").format(
                completed=job.checkpoints_completed,
                failed=job.checkpoints_failed,
                last="-" if job.last_checkpoint_id is None else job.last_checkpoint_id,
            ),
            _("the job runs for {duration}").format(duration=format_duration(job.duration_s)),
        ]
    lines.append(_("the stack is up for {uptime}").format(uptime=format_duration(status.uptime_s)))
    for p in status.processes:
        if p.pid is not None:
            where = _("pid {pid}").format(pid=p.pid)
        else:
            where = _("in this process") if p.alive else _("no process")
        state = _("running") if p.alive else _("stopped")
        rss = "-" if p.rss_mb is None else _("{mb:.0f} MiB").format(mb=p.rss_mb)
        lines.append(
            _("{name}: {where}, {state}, RSS {rss}").format(
                name=p.name, where=where, state=state, rss=rss
            )
        )
    if status.function_errors:
        lines.append(
            _("the function raised {count} time(s)").format(count=len(status.function_errors))
        )
    return lines


class FlinkStatusView(Following):
    """The stack's status with *Refresh* and *Follow* (poll every ``interval`` seconds in a
    background thread); ``state`` shows the job's state alone, ``html`` the rest.

    :meth:`refresh` reads once; :meth:`follow` / :meth:`stop` start and stop polling;
    :meth:`close` stops.
    """

    def __init__(self, stack: FlinkStackLike, *, interval: float = 2.0) -> None:
        self.stack = stack
        self.interval = interval
        #: The last status read (None before the first, or when reading it failed).
        self.status: StackStatus | None = None
        self.title = w.HTML()
        self.state = w.HTML(value="")
        self.html = w.HTML(value="")
        self.refresh_button = w.Button(icon="refresh")
        self.follow_toggle = w.ToggleButton(value=False, icon="play")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.follow_toggle.observe(self._on_follow, names="value")
        self._poller = Poller(self._tick, self._render, name="statefun-status")
        self._error_text = ""
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox([self.title, self.state, self.refresh_button, self.follow_toggle]),
                self.html,
            ]
        )

    def refresh(self) -> StackStatus | None:
        """Read the status now and show it (None, and the error shown, when it fails)."""
        self._read()
        self._render()
        return self.status

    def close(self) -> None:
        """Stop polling."""
        self.stop()

    @property
    def text(self) -> str:
        """What the view shows, as lines of text."""
        if self._error_text:
            return self._error_text
        if self.status is None:
            return _("no status read yet: press Refresh")
        return "\n".join(status_lines(self.status))

    def _read(self) -> bool:
        try:
            with stack_lock(self.stack):
                self.status = self.stack.status()
        except StackNotRunningError as e:
            self.status, self._error_text = None, str(e)
            return False
        except StatefunError as e:
            self.status, self._error_text = None, str(e)
            return True
        self._error_text = ""
        return True

    def _tick(self) -> bool:
        try:
            return self._read()
        except Exception as e:  # shown to the learner: the thread must not die mute
            self.status, self._error_text = None, f"{type(e).__name__}: {e}"
            return False

    def _relabel(self, language: str = "") -> None:
        self.title.value = "<b>{}</b>".format(html.escape(_("Flink job")))
        self.refresh_button.description = _("Refresh")
        self.follow_toggle.description = _("Follow")
        self._render()

    def _render(self) -> None:
        job = self.status.job if self.status is not None else None
        if job is not None:
            color = "#2ca02c" if job.running else "#d62728"
            self.state.value = f'<b style="color:{color}">{html.escape(job.state)}</b>'
        else:
            self.state.value = ""
        body = html.escape(self.text).replace("\n", "<br>")
        color = "#d62728" if self._error_text else "#333"
        self.html.value = (
            f'<div style="font-family:monospace;font-size:12px;color:{color}">{body}</div>'
        )
        self._untoggle_if_stopped()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
