"""Move the runtime's virtual clock: delayed messages fire and states expire on the way."""

from __future__ import annotations

import html
from datetime import timedelta

import ipywidgets as w

from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.clock import format_time
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import DelayFired, Event, StateExpired

__all__ = ["ClockControls", "ClockDriver"]

_MARKS = {DelayFired: "⏰", StateExpired: "⌛"}


class ClockDriver:
    """The logic of :class:`ClockControls`: advance, and tell what happened meanwhile."""

    def __init__(self, rt: LocalRuntime) -> None:
        self.rt = rt
        #: Everything that happened during the last advance, in order.
        self.last: list[Event] = []

    @property
    def now(self) -> str:
        """The virtual time, as the trace prints it: ``+61.000s``."""
        return format_time(self.rt.now)

    @property
    def last_events(self) -> list[str]:
        """The last advance as trace lines: time, kind, what."""
        return [str(e).strip() for e in self.last]

    def advance(self, seconds: float) -> list[str]:
        """Advance by ``seconds``; returns one line per event on the way."""
        events: list[Event] = []
        unsubscribe = self.rt.subscribe(events.append)
        try:
            self.rt.advance(timedelta(seconds=seconds))
        finally:
            unsubscribe()
        self.last = events
        return self.last_events

    def fired(self) -> int:
        """How many delayed messages fired and states expired during the last advance."""
        return sum(1 for e in self.last if isinstance(e, DelayFired | StateExpired))

    def pending_timers(self) -> list[str]:
        """Delayed messages scheduled but not delivered yet, soonest first (``rt.timers``)."""
        return [
            f"{format_time(due)} {source} -> {target}" for due, source, target, _ in self.rt.timers
        ]


class ClockControls:
    """Advance the clock (+1 s, +10 s, +61 s, or N seconds) and see what each advance did."""

    def __init__(self, rt: LocalRuntime, *, seconds: int = 61) -> None:
        self.driver = ClockDriver(rt)
        self.seconds = w.BoundedIntText(value=seconds, min=1, max=864_000)
        self.advance_button = w.Button(button_style="primary", icon="clock-o")
        self.quick = {s: w.Button() for s in (1, 10, 61)}
        self.now = w.Label(value="")
        self.events = w.HTML(value="")
        self.title = w.HTML()
        self.advance_button.on_click(lambda _: self.advance(self.seconds.value))
        for s, button in self.quick.items():
            button.on_click(lambda _, s=s: self.advance(s))
        self._last_advance: float | None = None
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox([self.title, self.now]),
                w.HBox([self.seconds, self.advance_button, *self.quick.values()]),
                self.events,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.seconds.description = _("Seconds")
        self.advance_button.description = _("Advance")
        for s, button in self.quick.items():
            button.description = _("+{n} s").format(n=s)
        self.title.value = "<b>{}</b>".format(html.escape(_("Virtual clock")))
        self._render(self._last_advance)

    def advance(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` and show what happened meanwhile (as the buttons do)."""
        self.driver.advance(seconds)
        self._render(seconds)

    def _render(self, seconds: float | None = None) -> None:
        self.now.value = _("now {time}").format(time=self.driver.now)
        if seconds is None:
            return
        self._last_advance = seconds
        lines = [
            f"{_MARKS.get(type(e), '·')} {html.escape(str(e).strip())}" for e in self.driver.last
        ]
        body = "<br>".join(lines) or html.escape(_("nothing was due"))
        advanced = html.escape(_("+{n} s").format(n=f"{seconds:g}"))
        self.events.value = (
            f"<div style='font-family:monospace;font-size:12px'><b>{advanced}</b><br>{body}</div>"
        )

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
