"""Every view of one runtime together: sender, state, egress log, clock and trace."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w
from google.protobuf.message import Message

from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.runtime import LocalRuntime
from statefun.walkthrough import EGRESS_ID, NAMES_TOPIC
from statefun.widgets.clock import ClockControls
from statefun.widgets.egress_log import EgressLog
from statefun.widgets.inspector import StateInspector
from statefun.widgets.sender import DEFAULT_NAMES, GreetSender
from statefun.widgets.trace_view import TraceView

__all__ = ["Dashboard"]


class Dashboard:
    """The walkthrough's whole loop on one screen; each part is also an attribute."""

    def __init__(
        self,
        rt: LocalRuntime,
        message_type: type[Message],
        *,
        egress: str = EGRESS_ID,
        ingress: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        seed: int = 7,
    ) -> None:
        self.sender = GreetSender(rt, message_type, ingress=ingress, names=names, seed=seed)
        self.inspector = StateInspector(rt)
        self.log = EgressLog(rt, egress)
        self.clock = ClockControls(rt)
        self.trace = TraceView(rt)
        self.tabs = tabs = w.Tab(children=[self.trace.widget, self.clock.widget])
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox(
                    [self.sender.widget, self.inspector.widget],
                    layout=w.Layout(align_items="flex-start"),
                ),
                self.log.widget,
                tabs,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.tabs.titles = (_("Trace"), _("Clock"))

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
