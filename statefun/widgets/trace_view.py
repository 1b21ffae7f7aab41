"""The message-flow picture of the last steps: ingress → function → egress, batches, state."""

from __future__ import annotations

import html

import ipywidgets as w

from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import Event
from statefun.widgets._refresh import Refresher, require_trace

__all__ = ["TraceView"]


class TraceView:
    """``rt.trace.to_svg()`` of the last N events in an ``HTML`` widget, redrawn live."""

    def __init__(self, rt: LocalRuntime, *, last: int = 40, live: bool = True) -> None:
        require_trace(rt, "TraceView")
        self.rt = rt
        self.last = w.IntSlider(value=last, min=5, max=400, step=5)
        self.live = w.Checkbox(value=live, indent=False)
        self.refresh_button = w.Button(icon="refresh")
        self.title = w.HTML()
        self.html = w.HTML()
        self._refresher = Refresher(self.refresh)
        self.refresh_button.on_click(lambda _: self.refresh())
        self.last.observe(lambda _: self.refresh(), names="value")
        self.close = rt.subscribe(self._on_event)
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox([self.title, self.last, self.live, self.refresh_button]),
                self.html,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.last.description = _("Last events")
        self.live.description = _("Live")
        self.refresh_button.description = _("Refresh")
        self.title.value = "<b>{}</b>".format(html.escape(_("Trace")))
        self.refresh()

    def svg(self) -> str:
        """The picture of the last ``self.last.value`` events."""
        return self.rt.trace.to_svg(last=self.last.value)

    def refresh(self) -> None:
        """Redraw the picture from the trace now."""
        if not len(self.rt.trace):
            self.html.value = "<i>{}</i>".format(
                html.escape(_("nothing happened yet: send a message"))
            )
            return
        self.html.value = f'<div style="overflow:auto;max-height:640px">{self.svg()}</div>'

    def _on_event(self, event: Event) -> None:
        if self.live.value:
            self._refresher.request()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
